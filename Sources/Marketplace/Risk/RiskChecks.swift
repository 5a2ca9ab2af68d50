import Domain
public import Foundation
import Privacy
public import Risk
import SQLKit
import Storage

public struct RiskDecisionView: Sendable, Codable, Equatable {
    public let id: String
    public let event: String
    public let outcome: String
    public let score: Double
    public let reasons: [RiskReason]
    public let features: [String: Double]
    public let ruleSetVersion: String
    public let modelVersion: String?
    /// What the shadow rule set would have decided, when one runs.
    public let shadowOutcome: String?
    public let createdAt: Int64
}

public struct RiskCaseView: Sendable, Codable, Equatable {
    public let id: String
    public let accountId: String
    public let status: String
    public let claimedBy: String?
    public let label: String?
    public let createdAt: Int64
    public let decision: RiskDecisionView?
    /// The account's recent decisions, newest first (for a claimed case).
    public let history: [RiskDecisionView]
    /// Accounts sharing a device or a payment network with this one (for a claimed case).
    public let linked: [LinkedAccountView]
}

public struct LinkedAccountView: Sendable, Codable, Equatable {
    public let accountId: String
    /// `device` (signed in from the same device) or `network` (paid from the same network).
    public let via: String
}

/// The risk engine inside the request (clause 2.4.3): features from the database, a decision in microseconds,
/// stored with its reasons and versions and audited. Blocks and unmet challenges are refused without naming a
/// rule; reviews go to the risk analysts' queue.
public enum RiskChecks {
    /// The rules shipped with the platform (Resources/risk-rules.json).
    public static func bundledRules() throws -> RiskRuleSet {
        guard
            let url = Bundle.module.url(forResource: "risk-rules", withExtension: "json", subdirectory: "Resources"),
            let data = FileManager.default.contents(atPath: url.path)
        else { throw PlatformError.riskRulesMissing }
        return try RiskRuleSet.load(json: data)
    }

    /// The model shipped with the platform (Resources/risk-model.txt): 60 trees trained by tools/risk/train.py on
    /// `covenant risk simulate` traffic (seed 7), over the sliding-window features (`RiskFeatures.names`).
    public static func bundledModel() throws -> Data {
        guard
            let url = Bundle.module.url(forResource: "risk-model", withExtension: "txt", subdirectory: "Resources"),
            let data = FileManager.default.contents(atPath: url.path)
        else { throw PlatformError.riskRulesMissing }
        return data
    }

    /// A checkout's decision, before anything is written. Throws for a block or an unmet challenge (after
    /// recording the decision); otherwise returns the rows to write with the orders.
    static func checkout(totalFen: Int64, caller: Caller, clientAddress: String?, platform: Platform) async throws
        -> (decision: RiskDecisionRow, riskCase: RiskCaseRow?)
    {
        let db = platform.db.sql
        let now = platform.now
        let counts = try await RiskStore.checkoutCounts(buyerId: caller.accountId, now: now, on: db)
        let createdAt = try await AccountStore.find(id: caller.accountId, on: db)?.created_at ?? now
        var features = try signals(
            .checkout, account: caller.accountId, createdAt: createdAt, clientAddress: clientAddress,
            amountFen: totalFen, platform: platform)
        let stored: [String: Double] = [
            "amount_fen": Double(totalFen),
            "checkouts_1h": Double(counts.lastHour),
            "checkouts_24h": Double(counts.lastDay),
            "account_age_days": Double(now - createdAt) / 86_400_000,
            "amount_vs_history": counts.averageFen.map { Double(totalFen) / max($0, 1) } ?? 1,
            "failed_payments_1h": Double(counts.failedPaymentsLastHour),
            "on_deny_list": try await RiskStore.isListed(
                list: "deny", kind: "account", valueIndex: caller.accountId, on: db) ? 1 : 0,
        ]
        // the database's figures over this instance's own
        for (name, value) in stored { features[name] = value }
        return try await decide(.checkout, object: "checkout", features: features, caller: caller, platform: platform)
    }

    /// The sliding-window features of an event (first sight of the device or network, velocity, links).
    static func signals(
        _ kind: RiskEventKind, account: String, createdAt: Int64, clientAddress: String?, device: String? = nil,
        token: String? = nil, amountFen: Int64 = 0, platform: Platform
    ) throws -> RiskFeatureVector {
        platform.riskSignals.observe(
            RiskObservation(
                time: platform.now, kind: kind, account: RiskSignals.entity(account), accountCreatedAt: createdAt,
                device: device.map(RiskSignals.entity),
                ip: try clientAddress.map { RiskSignals.entity(try Shield.addressIndex($0, platform: platform)) },
                token: token.map(RiskSignals.entity), amountFen: amountFen))
    }

    /// A sign-in's decision, after the password (and any second factor or one-time code) passed. A block refuses
    /// it; a challenge not yet `confirmed` throws `stepUp` (the caller asks for the second factor or sends a code).
    static func signIn(
        account: AccountRow, clientAddress: String, deviceIndex: String, confirmed: Bool, platform: Platform
    ) async throws {
        var features = try signals(
            .login, account: account.id, createdAt: account.created_at, clientAddress: clientAddress,
            device: deviceIndex, platform: platform)
        features["on_deny_list"] =
            try await RiskStore.isListed(
                list: "deny", kind: "account", valueIndex: account.id, on: platform.db.sql) ? 1 : 0
        let caller = Caller(
            accountId: account.id, role: Role(rawValue: account.role) ?? .consumer, merchantId: account.merchant_id,
            sessionId: "sign-in", twoFactorVerified: confirmed, twoFactorEnrolled: account.totp_enabled,
            mustChangePassword: false)
        let risk = try await decide(
            .login, object: "account:\(account.id)", features: features, caller: caller, platform: platform)
        try await recordUnlessAllowed(risk, platform: platform)
    }

    /// Before the payment institution is asked for a payment: cards tried from the consumer's network, its
    /// declines, the account's velocity. A block or an unmet challenge refuses the payment.
    static func payment(amountFen: Int64, caller: Caller, clientAddress: String?, platform: Platform) async throws {
        let createdAt =
            try await AccountStore.find(id: caller.accountId, on: platform.db.sql)?.created_at ?? platform.now
        let features = try signals(
            .payment, account: caller.accountId, createdAt: createdAt, clientAddress: clientAddress,
            amountFen: amountFen, platform: platform)
        let risk = try await decide(
            .payment, object: "account:\(caller.accountId)", features: features, caller: caller, platform: platform)
        try await recordUnlessAllowed(risk, platform: platform)
    }

    /// Sign-ins and payments are frequent and mostly allowed: only the decisions that did something (a review,
    /// a met challenge) are stored; refusals are stored by `decide`.
    private static func recordUnlessAllowed(
        _ risk: (decision: RiskDecisionRow, riskCase: RiskCaseRow?), platform: Platform
    ) async throws {
        guard risk.decision.outcome != RiskOutcome.allow.rawValue else { return }
        try await platform.db.transaction { db in
            try await record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
        }
    }

    /// The institution's answer about a card (brand and last four digits, as a keyed pseudonym): tried cards and
    /// declines count against the network the payment came from.
    static func paymentAnswered(
        declined: Bool, buyerId: String, addressIndex: String, card: String?, platform: Platform
    ) throws {
        let observation = RiskObservation(
            time: platform.now, kind: .payment, account: RiskSignals.entity(buyerId), accountCreatedAt: 0,
            ip: RiskSignals.entity(addressIndex),
            token: try card.map { RiskSignals.entity(try platform.keys.blindIndex($0, purpose: "risk.card")) })
        _ = platform.riskSignals.observe(observation)
        if declined { platform.riskSignals.paymentFailed(observation) }
    }

    /// A refund request or dispute's decision: how many claims the consumer made in 90 days, and how many were
    /// rejected (abuse signals, clause 2.4.4).
    static func refundRequest(orderId: String, caller: Caller, platform: Platform) async throws -> (
        decision: RiskDecisionRow, riskCase: RiskCaseRow?
    ) {
        let db = platform.db.sql
        let since = platform.now - 90 * 86_400_000
        let row = try await db.raw(
            """
            SELECT
              (SELECT COUNT(*) FROM disputes WHERE consumer_id = \(bind: caller.accountId)
                 AND created_at >= \(bind: since)) +
              (SELECT COUNT(*) FROM refunds r JOIN orders o ON o.id = r.order_id
                 WHERE o.buyer_id = \(bind: caller.accountId) AND r.created_at >= \(bind: since)) AS claims,
              (SELECT COUNT(*) FROM disputes WHERE consumer_id = \(bind: caller.accountId)
                 AND created_at >= \(bind: since) AND outcome_remedy = 'reject') AS rejected,
              (SELECT COUNT(*) FROM complaints WHERE consumer_id = \(bind: caller.accountId)
                 AND status = 'upheld' AND created_at >= \(bind: since)) AS complaints
            """
        ).first()
        let features = RiskFeatureVector(named: [
            "claims_90d": Double(try row?.decode(column: "claims", as: Int.self) ?? 0),
            "claims_rejected_90d": Double(try row?.decode(column: "rejected", as: Int.self) ?? 0),
            "complaints_upheld_90d": Double(try row?.decode(column: "complaints", as: Int.self) ?? 0),
            "on_deny_list": try await RiskStore.isListed(
                list: "deny", kind: "account", valueIndex: caller.accountId, on: db) ? 1 : 0,
        ])
        return try await decide(
            .refundRequest, object: "order:\(orderId)", features: features, caller: caller, platform: platform)
    }

    /// A payout's decision: the amount against the merchant's earlier payouts, and the deny list.
    static func payout(amountFen: Int64, merchantId: String, caller: Caller, platform: Platform) async throws -> (
        decision: RiskDecisionRow, riskCase: RiskCaseRow?
    ) {
        let db = platform.db.sql
        let average = try await db.raw(
            """
            SELECT CAST(AVG(amount_fen) AS DOUBLE PRECISION) AS average FROM payouts
            WHERE merchant_id = \(bind: merchantId) AND status = 'paid'
            """
        ).first()?.decode(column: "average", as: Double?.self)
        let features = RiskFeatureVector(named: [
            "amount_fen": Double(amountFen),
            "amount_vs_history": average.map { Double(amountFen) / max($0, 1) } ?? 1,
            "on_deny_list": try await RiskStore.isListed(
                list: "deny", kind: "account", valueIndex: merchantId, on: db) ? 1 : 0,
        ])
        return try await decide(
            .payout, object: "merchant:\(merchantId)", features: features, caller: caller, platform: platform)
    }

    /// A dispute closed against a merchant: many lost in 90 days send the merchant to the analysts (2.4.4).
    static func disputeLost(merchantId: String, disputeId: String, platform: Platform) async throws {
        let since = platform.now - 90 * 86_400_000
        let lost =
            try await platform.db.sql.raw(
                """
                SELECT COUNT(*) AS n FROM disputes WHERE merchant_id = \(bind: merchantId) AND status = 'closed'
                AND outcome_remedy IN ('full_refund', 'partial_refund', 'return_and_refund') AND updated_at >= \(bind: since)
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        let merchant = Caller(
            accountId: merchantId, role: .owner, merchantId: merchantId, sessionId: "system", twoFactorVerified: true,
            twoFactorEnrolled: true, mustChangePassword: false)
        let risk = try await decide(
            .disputeLost, object: "dispute:\(disputeId)",
            features: RiskFeatureVector(named: ["lost_disputes_90d": Double(lost)]),
            caller: merchant, platform: platform)
        try await platform.db.transaction { db in
            try await record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
        }
    }

    /// Decides, and refuses a block or an unmet challenge after recording it; otherwise returns the rows to write
    /// in the action's own transaction (with a case when the decision is review).
    static func decide(
        _ event: RiskEventKind, object: String, features: RiskFeatureVector, caller: Caller, platform: Platform
    ) async throws -> (decision: RiskDecisionRow, riskCase: RiskCaseRow?) {
        let now = platform.now
        let decision = platform.risk.decide(event, features: features)
        let shadow = platform.risk.shadowDecision(event, features: features)
        let row = RiskDecisionRow(
            id: Identifiers.make(), event: event.rawValue, accountId: caller.accountId,
            object: object, outcome: decision.outcome.rawValue, score: decision.score,
            reasons: String(decoding: try JSONEncoder().encode(decision.reasons), as: UTF8.self),
            features: String(decoding: try JSONEncoder().encode(features.named), as: UTF8.self),
            ruleSetVersion: decision.ruleSetVersion, modelVersion: decision.modelVersion,
            shadowOutcome: shadow?.outcome.rawValue, now: now)
        let refused: Problem? =
            switch decision.outcome {
            case .block: declined
            case .challenge where !caller.twoFactorVerified: stepUp
            default: nil
            }
        if let refused {
            try await platform.db.transaction { db in
                try await record(row, platform: platform, on: db)
            }
            throw refused
        }
        let riskCase =
            decision.outcome == .review
            ? RiskCaseRow(id: Identifiers.make(), decisionId: row.id, accountId: caller.accountId, now: now) : nil
        return (row, riskCase)
    }

    /// Stores a decision (and its case) with its audit event; call inside the action's transaction.
    static func record(
        _ decision: RiskDecisionRow, riskCase: RiskCaseRow? = nil, platform: Platform, on db: any SQLDatabase
    )
        async throws
    {
        try await RiskStore.insert(decision, on: db)
        if let riskCase { try await RiskStore.openCase(riskCase, on: db) }
        try await AuditTrail.record(
            AuditEvent(
                "risk.decision", actor: nil, subject: decision.account_id, object: "risk:\(decision.id)",
                outcome: decision.outcome == RiskOutcome.allow.rawValue ? .success : .denied,
                details: [
                    "event": decision.event, "outcome": decision.outcome, "score": String(decision.score),
                    "rules": decision.rule_set_version, "reasons": decision.reasons,
                ]), platform: platform, on: db)
    }

    // MARK: The review queue (risk analysts)

    public static func queue(caller: Caller, platform: Platform) async throws -> [RiskCaseView] {
        try caller.require(.reviewRisk)
        let db = platform.db.sql
        var views: [RiskCaseView] = []
        for status in ["open", "claimed"] {
            for row in try await RiskStore.cases(status: status, limit: 100, on: db) {
                views.append(try await view(row, history: status == "claimed", platform: platform))
            }
        }
        return views
    }

    /// Claims a case: the analyst then sees its reasons, features and the account's history.
    public static func claim(id: String, caller: Caller, platform: Platform) async throws -> RiskCaseView {
        try caller.require(.reviewRisk)
        try await platform.db.transaction { db in
            guard try await RiskStore.claim(id: id, analyst: caller.accountId, on: db) else {
                guard try await RiskStore.findCase(id: id, on: db) != nil else { throw Problem.notFound("The case") }
                throw Problem.conflict("Another analyst holds this case, or it is decided.")
            }
            try await AuditTrail.record(
                AuditEvent("risk.case.claim", actor: caller.accountId, object: "risk-case:\(id)"),
                platform: platform, on: db)
        }
        guard let row = try await RiskStore.findCase(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The case")
        }
        return try await view(row, history: true, platform: platform)
    }

    /// Labels a claimed case fraud or legitimate (labels feed the training export); fraud puts the account on
    /// the deny list.
    public static func decide(id: String, fraud: Bool, note rawNote: String, caller: Caller, platform: Platform)
        async throws -> RiskCaseView
    {
        try caller.require(.reviewRisk)
        let note = try StaffNotes.validate(rawNote)
        let now = platform.now
        try await platform.db.transaction { db in
            guard let current = try await RiskStore.findCase(id: id, on: db) else { throw Problem.notFound("The case") }
            let sealed = try await StaffNotes.seal(
                note, about: current.account_id, table: "risk_cases", row: id, platform: platform, on: db)
            guard
                try await RiskStore.decide(
                    id: id, analyst: caller.accountId, label: fraud ? "fraud" : "legitimate", note: sealed, now: now,
                    on: db)
            else { throw Problem.conflict("Claim the case before deciding it.") }
            guard let row = try await RiskStore.findCase(id: id, on: db) else { throw Problem.notFound("The case") }
            if fraud {
                try await RiskStore.addToList(
                    list: "deny", kind: "account", valueIndex: row.account_id, addedBy: caller.accountId, now: now,
                    on: db)
                // Fraud is a violation of the platform rules (2.5), charged to the account's party.
                let account = try await AccountStore.find(id: row.account_id, on: db)
                try await Violations.record(
                    party: account?.merchant_id ?? row.account_id, ruleRef: "platform-rules/fraud", source: .risk,
                    sourceRef: "risk-case:\(id)", evidence: "Risk case decided as fraud: \(note)", reported: false,
                    recordedBy: caller.accountId, platform: platform, on: db)
            }
            try await AuditTrail.record(
                AuditEvent(
                    "risk.case.decide", actor: caller.accountId, subject: row.account_id,
                    object: "risk-case:\(id)", details: ["label": fraud ? "fraud" : "legitimate"]),
                platform: platform, on: db)
        }
        guard let row = try await RiskStore.findCase(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The case")
        }
        return try await view(row, history: true, platform: platform)
    }

    private static func view(_ row: RiskCaseRow, history: Bool, platform: Platform) async throws -> RiskCaseView {
        let db = platform.db.sql
        let decision = try await RiskStore.decision(id: row.decision_id, on: db).map(view)
        let past =
            history
            ? try await RiskStore.decisions(accountId: row.account_id, limit: 20, on: db).map(view) : []
        let linked =
            history
            ? try await RiskStore.linkedAccounts(accountId: row.account_id, limit: 20, on: db).map {
                LinkedAccountView(accountId: $0.account, via: $0.via)
            } : []
        return RiskCaseView(
            id: row.id, accountId: row.account_id, status: row.status, claimedBy: row.claimed_by, label: row.label,
            createdAt: row.created_at, decision: decision, history: past, linked: linked)
    }

    static func view(_ row: RiskDecisionRow) -> RiskDecisionView {
        RiskDecisionView(
            id: row.id, event: row.event, outcome: row.outcome, score: row.score,
            reasons: (try? JSONDecoder().decode([RiskReason].self, from: Data(row.reasons.utf8))) ?? [],
            features: (try? JSONDecoder().decode([String: Double].self, from: Data(row.features.utf8))) ?? [:],
            ruleSetVersion: row.rule_set_version, modelVersion: row.model_version, shadowOutcome: row.shadow_outcome,
            createdAt: row.created_at)
    }

    /// Blocked: no rule is named, so the answer teaches nothing to whoever probes it.
    static let declined = Problem(
        type: "risk-declined", status: 403, title: "Declined",
        detail: "This request cannot be completed now. If you think this is a mistake, contact support.")

    static let stepUp = Problem(
        type: "step-up-required", status: 403, title: "Confirmation needed",
        detail: "Sign in again with your two-factor code (enrol at /api/v1/me/two-factor), then retry.")
}
