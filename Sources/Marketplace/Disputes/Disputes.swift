import Domain
public import Foundation
import Logging
import Privacy
import SQLKit
import Storage

public struct DisputeEventView: Sendable, Codable, Equatable {
    public let party: String
    public let kind: String
    /// The message, when there was one and its author's data still exists.
    public let text: String?
    public let createdAt: Int64
}

public struct DisputeView: Sendable, Codable, Equatable {
    public let id: String
    public let orderId: String
    public let reason: String
    public let remedy: String
    public let amountFen: Int64
    public let status: String
    public let offerRemedy: String?
    public let offerAmountFen: Int64?
    public let outcomeRemedy: String?
    public let outcomeAmountFen: Int64?
    public let ruleApplied: String?
    public let appealed: Bool
    /// When the party that must act next runs out of time.
    public let dueAt: Int64?
    public let timeline: [DisputeEventView]
    public let evidence: [EvidenceView]
    /// Why the case's deadline is not running (a force-majeure period), when one holds it.
    public var clockPausedBy: String? = nil
}

public struct EvidenceView: Sendable, Codable, Equatable {
    public let id: String
    public let contentType: String
    public let sizeBytes: Int64
    /// Base64 of the image, for the parties and arbitrators only.
    public let image: String?
    public let createdAt: Int64
}

/// Complaints and disputes (clauses 2.4.4, 3.5): a consumer opens a case on a shipped or delivered order and
/// its escrow freezes; the merchant answers within 72 hours or the consumer's request is granted; after 3 days of
/// negotiation either side may escalate; an arbitrator decides with a reason and the rule applied; either side
/// may appeal once within 7 days to a different arbitrator; the outcome then moves the money through the same
/// ledger paths as refunds and releases.
public enum Disputes {
    /// The case's deadlines (configurable through `SecuritySettings.disputes`).
    public struct Settings: Sendable {
        public var openWindowDays: Int64 = 15
        public var merchantResponseHours: Int64 = 72
        public var escalateAfterDays: Int64 = 3
        public var arbitrationDays: Int64 = 5
        public var appealDays: Int64 = 7
        public var maxEvidencePerCase = 10
        public init() {}
    }

    public static func open(
        orderId: String, reason rawReason: String, remedy rawRemedy: String, amountFen: Int64?, text rawText: String,
        caller: Caller, platform: Platform
    ) async throws -> DisputeView {
        guard let reason = DisputeReason(rawValue: rawReason) else {
            throw Problem.invalid("reason", "One of \(DisputeReason.allCases.map(\.rawValue)).")
        }
        guard let remedy = DisputeRemedy(rawValue: rawRemedy), remedy != .reject else {
            throw Problem.invalid("remedy", "full_refund, partial_refund, return_and_refund or replacement.")
        }
        let text = try message(rawText)
        let order = try await Orders.buyerOrder(orderId, caller: caller, platform: platform)
        guard ["shipped", "delivered", "refund_requested"].contains(order.status) else {
            throw Problem.illegalTransition(
                "The order is \(order.status); a dispute is opened on a shipped or delivered order.")
        }
        if let delivered = order.delivered_at,
            platform.now > delivered + platform.settings.disputes.openWindowDays * 86_400_000
        {
            throw Problem.conflict(
                "Disputes are opened within \(platform.settings.disputes.openWindowDays) days of delivery.")
        }
        let amount: Int64
        switch remedy {
        case .partialRefund:
            guard let asked = amountFen, asked > 0, asked < order.total_fen else {
                throw Problem.invalid("amountFen", "A partial refund is more than 0 and less than the order's total.")
            }
            amount = asked
        default: amount = order.total_fen
        }
        let now = platform.now
        let dispute = DisputeRow(
            id: Identifiers.make(), orderId: order.id, consumerId: caller.accountId, merchantId: order.merchant_id,
            reason: reason.rawValue, remedy: remedy.rawValue, amountFen: amount,
            status: DisputeStatus.awaitingMerchant.rawValue,
            dueAt: now + platform.settings.disputes.merchantResponseHours * 3_600_000, now: now)
        let sealed = try await seal(text, author: caller.accountId, dispute: dispute.id, platform: platform)
        // Abuse signals: many claims, or many rejected, go to the risk analysts (a block refuses the case).
        let risk = try await RiskChecks.refundRequest(orderId: order.id, caller: caller, platform: platform)
        try await platform.db.transaction { db in
            try await RiskChecks.record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
            guard try await DisputeStore.open(orderId: order.id, on: db) == nil else {
                throw Problem.conflict("A dispute about this order is already open.")
            }
            try await DisputeStore.insert(dispute, on: db)
            try await event(dispute, .consumer, "opened", author: caller.accountId, text: sealed, now: now, on: db)
            try await remind(
                dispute.merchant_id,
                "A consumer opened a dispute about order \(order.id.prefix(8)); "
                    + "answer within \(platform.settings.disputes.merchantResponseHours) hours.", now: now, on: db)
            try await audit("dispute.open", dispute, actor: caller.accountId, platform: platform, on: db)
        }
        return try await view(dispute, caller: caller, platform: platform)
    }

    /// The merchant accepts the consumer's request (the case closes and the money moves), or counters.
    public static func respond(
        id: String, accept: Bool, offerRemedy: String?, offerAmountFen: Int64?, text rawText: String,
        caller: Caller, platform: Platform
    ) async throws -> DisputeView {
        try caller.require(.fulfilOrders)
        let text = try message(rawText)
        var dispute = try await find(id, caller: caller, platform: platform)
        guard caller.merchantId == dispute.merchant_id else { throw Problem.forbidden("Only the merchant responds.") }
        let from = dispute.status
        let now = platform.now
        if accept {
            dispute.status = try next(dispute, .accept, .merchant).rawValue
            dispute.outcome_remedy = dispute.remedy
            dispute.outcome_amount_fen = dispute.amount_fen
            dispute.rule_applied = "merchant accepted the request"
            dispute.due_at = nil
        } else {
            guard let offer = offerRemedy.flatMap(DisputeRemedy.init(rawValue:)) else {
                throw Problem.invalid("offerRemedy", "What the merchant offers: a remedy, or reject.")
            }
            if offer == .partialRefund {
                guard let amount = offerAmountFen, amount > 0,
                    amount < dispute.amount_fen || dispute.remedy != "partial_refund"
                else { throw Problem.invalid("offerAmountFen", "The partial refund offered, in fen.") }
                dispute.offer_amount_fen = amount
            }
            dispute.status = try next(dispute, .counter, .merchant).rawValue
            dispute.offer_remedy = offer.rawValue
            // Negotiation: escalation opens 3 days after the first answer (the deadline is when it may); a
            // merchant countering again does not push it back. A flat refusal leaves nothing to negotiate, so
            // either side may ask the platform at once (as Taobao lets a refused buyer call in the platform).
            if offer == .reject {
                dispute.due_at = nil
            } else if from == DisputeStatus.awaitingMerchant.rawValue {
                dispute.due_at = now + platform.settings.disputes.escalateAfterDays * 86_400_000
            }
        }
        dispute.updated_at = now
        let sealed = try await seal(text, author: caller.accountId, dispute: dispute.id, platform: platform)
        try await commit(
            dispute, from: from, party: .merchant,
            kind: accept ? "accepted" : offerRemedy == DisputeRemedy.reject.rawValue ? "refused" : "countered",
            author: caller.accountId,
            text: sealed, platform: platform)
        return try await view(dispute, caller: caller, platform: platform)
    }

    /// The consumer takes the merchant's offer: the case closes with it.
    public static func acceptOffer(id: String, caller: Caller, platform: Platform) async throws -> DisputeView {
        var dispute = try await consumerCase(id, caller: caller, platform: platform)
        guard let offer = dispute.offer_remedy else { throw Problem.conflict("The merchant has made no offer.") }
        let from = dispute.status
        dispute.status = try next(dispute, .acceptOffer, .consumer).rawValue
        dispute.outcome_remedy = offer
        dispute.outcome_amount_fen = offer == "partial_refund" ? dispute.offer_amount_fen : dispute.amount_fen
        dispute.rule_applied = "consumer accepted the merchant's offer"
        dispute.due_at = nil
        dispute.updated_at = platform.now
        try await commit(
            dispute, from: from, party: .consumer, kind: "offer_accepted", author: caller.accountId, text: nil,
            platform: platform)
        return try await view(dispute, caller: caller, platform: platform)
    }

    /// Either party asks the platform to decide, once negotiation has lasted its 3 days.
    public static func escalate(id: String, caller: Caller, platform: Platform) async throws -> DisputeView {
        var dispute = try await find(id, caller: caller, platform: platform)
        let party = try self.party(dispute, caller)
        guard party == .consumer || party == .merchant else { throw Problem.forbidden("Only the parties escalate.") }
        if dispute.status == DisputeStatus.negotiating.rawValue, let allowed = dispute.due_at, platform.now < allowed {
            throw Problem.conflict(
                "Escalation opens after \(platform.settings.disputes.escalateAfterDays) days of negotiation.")
        }
        let from = dispute.status
        dispute.status = try next(dispute, .escalate, party).rawValue
        dispute.due_at = platform.now + platform.settings.disputes.arbitrationDays * 86_400_000
        dispute.updated_at = platform.now
        try await commit(
            dispute, from: from, party: party, kind: "escalated", author: caller.accountId, text: nil,
            platform: platform)
        try await tellArbitrators(dispute, platform: platform)
        return try await view(dispute, caller: caller, platform: platform)
    }

    /// An arbitrator decides an escalated case with a written reason and the rule applied; an appeal goes to a
    /// different arbitrator. The money moves when the decision becomes final.
    public static func decide(
        id: String, remedy rawRemedy: String, amountFen: Int64?, reason rawReason: String, rule rawRule: String,
        caller: Caller, platform: Platform
    ) async throws -> DisputeView {
        try caller.require(.arbitrate)
        guard let remedy = DisputeRemedy(rawValue: rawRemedy) else {
            throw Problem.invalid("remedy", "One of \(DisputeRemedy.allCases.map(\.rawValue)).")
        }
        let reason = try message(rawReason)
        let rule = try TextInput.singleLine(maximumLength: 200).validate(rawRule, field: "rule")
        guard var dispute = try await DisputeStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The case")
        }
        if dispute.appealed, dispute.decided_by == caller.accountId {
            throw Problem.forbidden("An appeal is decided by a different arbitrator.")
        }
        let total = try await OrderStore.find(id: dispute.order_id, on: platform.db.sql)?.total_fen ?? 0
        var amount = total
        if remedy == .partialRefund {
            guard let asked = amountFen, asked > 0, asked < total else {
                throw Problem.invalid("amountFen", "A partial refund is more than 0 and less than the total.")
            }
            amount = asked
        }
        let from = dispute.status
        dispute.status = try next(dispute, .decide, .arbitrator).rawValue
        dispute.outcome_remedy = remedy.rawValue
        dispute.outcome_amount_fen = remedy == .reject || remedy == .replacement ? 0 : amount
        dispute.rule_applied = rule
        dispute.decided_by = caller.accountId
        // An appealed case's second decision is final at once; a first one waits out the appeal window.
        let final = dispute.appealed
        dispute.due_at = final ? platform.now : platform.now + platform.settings.disputes.appealDays * 86_400_000
        dispute.updated_at = platform.now
        let sealed = try await seal(reason, author: caller.accountId, dispute: dispute.id, platform: platform)
        try await commit(
            dispute, from: from, party: .arbitrator, kind: "decided", author: caller.accountId, text: sealed,
            platform: platform)
        if final { _ = try await enforceDeadlines(platform: platform, only: dispute.id) }
        guard let stored = try await DisputeStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The case")
        }
        return try await view(stored, caller: caller, platform: platform)
    }

    /// Either party appeals a decision once, within 7 days.
    public static func appeal(id: String, text rawText: String, caller: Caller, platform: Platform) async throws
        -> DisputeView
    {
        let text = try message(rawText)
        var dispute = try await find(id, caller: caller, platform: platform)
        let party = try self.party(dispute, caller)
        guard !dispute.appealed else { throw Problem.conflict("This case was appealed once already.") }
        let from = dispute.status
        dispute.status = try next(dispute, .appeal, party).rawValue
        dispute.appealed = true
        dispute.due_at = platform.now + platform.settings.disputes.arbitrationDays * 86_400_000
        dispute.updated_at = platform.now
        let sealed = try await seal(text, author: caller.accountId, dispute: dispute.id, platform: platform)
        try await commit(
            dispute, from: from, party: party, kind: "appealed", author: caller.accountId, text: sealed,
            platform: platform)
        try await tellArbitrators(dispute, platform: platform)
        return try await view(dispute, caller: caller, platform: platform)
    }

    public static func withdraw(id: String, caller: Caller, platform: Platform) async throws -> DisputeView {
        var dispute = try await consumerCase(id, caller: caller, platform: platform)
        let from = dispute.status
        dispute.status = try next(dispute, .withdraw, .consumer).rawValue
        dispute.due_at = nil
        dispute.updated_at = platform.now
        try await commit(
            dispute, from: from, party: .consumer, kind: "withdrawn", author: caller.accountId, text: nil,
            platform: platform)
        return try await view(dispute, caller: caller, platform: platform)
    }

    /// A message or an image from a party (images: PNG or JPEG by content, no EXIF, 2 MiB, 10 per case).
    public static func addEvidence(
        id: String, text rawText: String?, image: Data?, caller: Caller, platform: Platform
    ) async throws -> DisputeView {
        let dispute = try await find(id, caller: caller, platform: platform)
        let party = try self.party(dispute, caller)
        guard DisputeStateMachine.isOpen(DisputeStatus(rawValue: dispute.status) ?? .closed) else {
            throw Problem.conflict("The case is \(dispute.status); evidence is no longer taken.")
        }
        let text = try rawText.map { try message($0) }
        var kind: ImageCheck.Kind?
        if let image {
            do {
                kind = try ImageCheck.check([UInt8](image))
            } catch {
                throw Problem(
                    type: "invalid-image", status: 422, title: "Image refused", detail: error.message, field: "image")
            }
        }
        guard text != nil || image != nil else { throw Problem.invalid("text", "Send a message or an image.") }
        let now = platform.now
        let key = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: platform.db.sql)
        var sealedText: Data?
        if let text { sealedText = try await seal(text, author: caller.accountId, dispute: id, platform: platform) }
        let evidenceId = Identifiers.make()
        let sealedImage = try image.map {
            try FieldCipher.seal(
                bytes: $0, key: key,
                context: FieldContext(table: "dispute_evidence", column: "image_cipher", row: evidenceId))
        }
        try await platform.db.transaction { [kind, sealedText] db in
            if let sealedImage, let kind, let image {
                guard
                    try await DisputeStore.evidenceCount(disputeId: id, on: db)
                        < platform.settings.disputes.maxEvidencePerCase
                else {
                    throw Problem.conflict(
                        "A case holds at most \(platform.settings.disputes.maxEvidencePerCase) images.")
                }
                try await DisputeStore.addEvidence(
                    DisputeEvidenceRow(
                        id: evidenceId, disputeId: id, authorId: caller.accountId, contentType: kind.rawValue,
                        sizeBytes: Int64(image.count), imageCipher: sealedImage, now: now), on: db)
            }
            try await event(
                dispute, party, image != nil ? "evidence" : "message", author: caller.accountId, text: sealedText,
                now: now, on: db)
            try await audit("dispute.evidence", dispute, actor: caller.accountId, platform: platform, on: db)
        }
        return try await view(dispute, caller: caller, platform: platform)
    }

    public static func get(id: String, caller: Caller, platform: Platform) async throws -> DisputeView {
        let dispute = try await find(id, caller: caller, platform: platform)
        if try party(dispute, caller) == .arbitrator {
            // Staff reading the parties' messages and images is an access to their data (2.3.3).
            try await AuditTrail.recordAlone(
                AuditEvent(
                    "dispute.view", actor: caller.accountId, subject: dispute.consumer_id,
                    object: "dispute:\(dispute.id)", details: ["fields": "messages, images"]), platform: platform)
        }
        var view = try await view(dispute, caller: caller, platform: platform, images: true)
        if DisputeStateMachine.isOpen(DisputeStatus(rawValue: dispute.status) ?? .closed),
            let order = try await OrderStore.find(id: dispute.order_id, on: platform.db.sql)
        {
            view.clockPausedBy = try await ForceMajeure.note(for: order, platform: platform)
        }
        return view
    }

    /// The consumer's cases, the merchant's, or (for arbitrators) the escalated queue.
    public static func mine(caller: Caller, platform: Platform) async throws -> [DisputeView] {
        switch caller.kind {
        case .consumer: try caller.require(.shop)
        case .merchant: try caller.require(.fulfilOrders)
        case .staff, .provider: return try await queue(caller: caller, platform: platform)
        }
        let party = caller.kind == .merchant ? (caller.merchantId ?? caller.accountId) : caller.accountId
        var views: [DisputeView] = []
        for row in try await DisputeStore.list(party: party, on: platform.db.sql) {
            views.append(try await view(row, caller: caller, platform: platform))
        }
        return views
    }

    /// Escalated cases for arbitrators, oldest first.
    public static func queue(caller: Caller, platform: Platform) async throws -> [DisputeView] {
        try caller.require(.arbitrate)
        var views: [DisputeView] = []
        for row in try await DisputeStore.list(status: DisputeStatus.escalated.rawValue, on: platform.db.sql) {
            views.append(try await view(row, caller: caller, platform: platform))
        }
        return views
    }

    // MARK: Deadlines (the background service, on the platform's clock)

    /// Each deadline's default outcome:
    /// - a merchant that did not answer in time: the consumer's request is granted (open to appeal);
    /// - negotiation has lasted its days: escalation opens and both parties are told they may escalate;
    /// - an escalated case undecided in time: the platform is late, so it is marked overdue on the timeline,
    ///   every arbitrator who may decide it and the compliance officers are told, the parties are told, and the
    ///   reminder repeats daily until someone decides (no money moves without an arbitrator's reasons);
    /// - a decision whose appeal window ended (or an appeal's decision) is final: its money moves.
    @discardableResult
    public static func enforceDeadlines(platform: Platform, only: String? = nil) async throws -> Int {
        var handled = 0
        let now = platform.now
        let due = try await DisputeStore.overdue(
            statuses: [
                DisputeStatus.awaitingMerchant.rawValue, DisputeStatus.negotiating.rawValue,
                DisputeStatus.escalated.rawValue, DisputeStatus.decided.rawValue,
            ], now: now + 1, on: platform.db.sql)
        let periods = try await ForceMajeureStore.active(now: now, on: platform.db.sql)
        for var dispute in due where only == nil || dispute.id == only {
            let from = dispute.status
            if only == nil, let order = try await OrderStore.find(id: dispute.order_id, on: platform.db.sql),
                try await ForceMajeure.pausing(order, periods: periods, on: platform.db.sql) != nil
            {
                continue  // force majeure holds this case's clock (1.1.4)
            }
            do {
                if from == DisputeStatus.awaitingMerchant.rawValue {
                    dispute.status = try next(dispute, .merchantTimeout, .system).rawValue
                    dispute.outcome_remedy = dispute.remedy
                    dispute.outcome_amount_fen = dispute.amount_fen
                    dispute.rule_applied =
                        "merchant did not respond within \(platform.settings.disputes.merchantResponseHours) hours"
                    dispute.due_at = now + platform.settings.disputes.appealDays * 86_400_000
                    dispute.updated_at = now
                    try await commit(
                        dispute, from: from, party: .system, kind: "merchant_timeout", author: nil, text: nil,
                        platform: platform)
                } else if from == DisputeStatus.negotiating.rawValue {
                    dispute.due_at = nil  // no deadline left: either side may escalate from now on
                    dispute.updated_at = now
                    try await notify(
                        dispute, from: from, kind: "escalation_open",
                        [
                            (
                                [dispute.consumer_id, dispute.merchant_id],
                                "Dispute \(dispute.id.prefix(8)): negotiation has lasted "
                                    + "\(platform.settings.disputes.escalateAfterDays) days; either side may now "
                                    + "ask the platform to decide."
                            )
                        ], platform: platform)
                } else if from == DisputeStatus.escalated.rawValue {
                    dispute.due_at = now + 86_400_000  // the next reminder, until a decision
                    dispute.updated_at = now
                    let arbitrators = try await eligibleArbitrators(dispute, platform: platform)
                    let officers = try await AccountStore.activeIds(
                        role: Role.complianceOfficer.rawValue, on: platform.db.sql)
                    try await notify(
                        dispute, from: from, kind: "arbitration_overdue",
                        [
                            (
                                arbitrators + officers,
                                "Dispute \(dispute.id.prefix(8)) is past its "
                                    + "\(platform.settings.disputes.arbitrationDays)-day arbitration deadline: "
                                    + "decide it now."
                            ),
                            (
                                [dispute.consumer_id, dispute.merchant_id],
                                "Dispute \(dispute.id.prefix(8)): the platform's decision is late; the case has "
                                    + "been raised with the arbitrators and compliance officers. The escrow stays "
                                    + "frozen."
                            ),
                        ], platform: platform)
                } else {
                    dispute.status = try next(dispute, .finalize, .system).rawValue
                    dispute.due_at = nil
                    dispute.updated_at = now
                    try await commit(
                        dispute, from: from, party: .system, kind: "final", author: nil, text: nil, platform: platform)
                }
                handled += 1
            } catch let problem as Problem where problem.statusCode == 409 {
                continue
            }
        }
        return handled
    }

    // MARK: Helpers

    /// The arbitrators who may decide the case: all of them, but for an appeal not the first decision's.
    private static func eligibleArbitrators(_ dispute: DisputeRow, platform: Platform) async throws -> [String] {
        let all = try await AccountStore.activeIds(role: Role.arbitrator.rawValue, on: platform.db.sql)
        return all.filter { !(dispute.appealed && $0 == dispute.decided_by) }
    }

    /// A case escalated or appealed waits for an arbitrator: they are the party that must act now.
    private static func tellArbitrators(_ dispute: DisputeRow, platform: Platform) async throws {
        let arbitrators = try await eligibleArbitrators(dispute, platform: platform)
        try await notify(
            dispute, from: dispute.status, kind: nil,
            [
                (
                    arbitrators,
                    "Dispute \(dispute.id.prefix(8)) awaits a decision within "
                        + "\(platform.settings.disputes.arbitrationDays) days."
                )
            ], platform: platform)
    }

    /// A deadline that passed without a change of state: its timeline entry and audit event (`kind`), and the
    /// notices (each message to its recipients), saved together; nil `kind` only sends the notices.
    private static func notify(
        _ dispute: DisputeRow, from: String, kind: String?, _ notices: [(recipients: [String], message: String)],
        platform: Platform
    ) async throws {
        try await platform.db.transaction { db in
            let now = platform.now
            if let kind {
                guard try await DisputeStore.save(dispute, from: from, on: db) else {
                    throw Problem.illegalTransition("The case changed meanwhile; reload it.")
                }
                try await event(dispute, .system, kind, author: nil, text: nil, now: now, on: db)
                try await audit("dispute.\(kind)", dispute, actor: nil, platform: platform, on: db)
            }
            for (recipients, message) in notices {
                for recipient in Set(recipients).sorted() { try await remind(recipient, message, now: now, on: db) }
            }
        }
    }

    /// Saves a transition with its timeline entry and audit event; a case that closes moves the money in the
    /// same transaction (through the order's state machine, so the ledger follows).
    static func commit(
        _ dispute: DisputeRow, from: String, party: DisputeParty, kind: String, author: String?, text: Data?,
        platform: Platform
    ) async throws {
        let save: @Sendable (Int64, any SQLDatabase) async throws -> Void = { now, db in
            guard try await DisputeStore.save(dispute, from: from, on: db) else {
                throw Problem.illegalTransition("The case changed meanwhile; reload it.")
            }
            try await event(dispute, party, kind, author: author, text: text, now: now, on: db)
            let other = party == .merchant ? dispute.consumer_id : dispute.merchant_id
            if party != .system {
                try await remind(other, "Dispute \(dispute.id.prefix(8)) is now \(dispute.status).", now: now, on: db)
            }
            try await audit("dispute.\(kind)", dispute, actor: author, platform: platform, on: db)
            // A case an arbitrator decided against the merchant is a violation of the platform rules (2.5).
            if dispute.status == DisputeStatus.closed.rawValue, dispute.decided_by != nil,
                let remedy = dispute.outcome_remedy, remedy != DisputeRemedy.reject.rawValue
            {
                try await Violations.record(
                    party: dispute.merchant_id, ruleRef: "platform-rules/disputes.lost", source: .dispute,
                    sourceRef: "dispute:\(dispute.id)", evidence: "Decided against the merchant: \(remedy).",
                    reported: false, recordedBy: nil, platform: platform, on: db)
            }
        }
        guard dispute.status == DisputeStatus.closed.rawValue,
            let remedy = dispute.outcome_remedy.flatMap(DisputeRemedy.init)
        else {
            try await platform.db.transaction { db in try await save(platform.now, db) }
            return
        }
        guard let order = try await OrderStore.find(id: dispute.order_id, on: platform.db.sql) else {
            throw Problem.notFound("The order")
        }
        let actor: OrderActor = party == .merchant ? .merchant : .system
        switch remedy {
        case .fullRefund, .returnAndRefund:
            try await Orders.move(
                order, .disputeRefund, by: actor, actorId: author, platform: platform,
                details: ["dispute": dispute.id], effects: save)
        case .partialRefund:
            try await Orders.move(
                order, .disputeSettle, by: actor, actorId: author, platform: platform,
                details: ["dispute": dispute.id], partialRefundFen: dispute.outcome_amount_fen ?? 0, effects: save)
        case .replacement, .reject:
            // Nothing is refunded: the escrow unfreezes and receipt is confirmed as usual.
            try await platform.db.transaction { db in try await save(platform.now, db) }
            return
        }
        // A lost dispute is a signal about the merchant for the risk analysts; it never undoes the outcome.
        do {
            try await RiskChecks.disputeLost(merchantId: dispute.merchant_id, disputeId: dispute.id, platform: platform)
        } catch {
            platform.logger.warning("dispute signal not recorded", metadata: ["dispute": "\(dispute.id)"])
        }
    }

    private static func next(_ dispute: DisputeRow, _ action: DisputeAction, _ party: DisputeParty) throws
        -> DisputeStatus
    {
        do {
            return try DisputeStateMachine.next(
                from: DisputeStatus(rawValue: dispute.status) ?? .closed, action: action, by: party)
        } catch {
            switch error {
            case .illegal:
                throw Problem.illegalTransition(error.message)
            case .notAllowed: throw Problem.forbidden(error.message)
            }
        }
    }

    /// The case, for its consumer, its merchant or an arbitrator; anyone else gets 404.
    private static func find(_ id: String, caller: Caller, platform: Platform) async throws -> DisputeRow {
        guard let dispute = try await DisputeStore.find(id: id, on: platform.db.sql),
            (try? party(dispute, caller)) != nil
        else { throw Problem.notFound("The case") }
        return dispute
    }

    private static func consumerCase(_ id: String, caller: Caller, platform: Platform) async throws -> DisputeRow {
        let dispute = try await find(id, caller: caller, platform: platform)
        guard dispute.consumer_id == caller.accountId else { throw Problem.forbidden("Only the consumer can do this.") }
        return dispute
    }

    private static func party(_ dispute: DisputeRow, _ caller: Caller) throws -> DisputeParty {
        if caller.accountId == dispute.consumer_id { return .consumer }
        if caller.kind == .merchant, caller.merchantId == dispute.merchant_id,
            caller.role.permissions.contains(.fulfilOrders), caller.privilegeProblem() == nil
        {
            return .merchant
        }
        if caller.role.permissions.contains(.arbitrate), caller.privilegeProblem() == nil { return .arbitrator }
        throw Problem.notFound("The case")
    }

    /// Messages are screened like listings: no card numbers, no contact details.
    private static func message(_ raw: String) throws -> String {
        let text = try TextInput.multiline(maximumLength: 2_000).validate(raw, field: "text")
        let verdict = ListingScreening.screen(text)
        if verdict.outcome == .reject {
            throw Problem(
                type: "message-refused", status: 422, title: "Message refused",
                detail: verdict.reasons.joined(separator: " "), field: "text")
        }
        return text
    }

    private static func seal(_ text: String, author: String, dispute: String, platform: Platform) async throws -> Data {
        let key = try await SubjectKeys.key(subject: author, platform: platform, on: platform.db.sql)
        return try FieldCipher.seal(
            text, key: key, context: FieldContext(table: "dispute_events", column: "text_cipher", row: dispute))
    }

    private static func event(
        _ dispute: DisputeRow, _ party: DisputeParty, _ kind: String, author: String?, text: Data?, now: Int64,
        on db: any SQLDatabase
    ) async throws {
        try await DisputeStore.addEvent(
            DisputeEventRow(
                id: Identifiers.make(), disputeId: dispute.id, authorId: author, party: party.rawValue, kind: kind,
                textCipher: text, now: now), on: db)
    }

    private static func remind(_ accountId: String, _ message: String, now: Int64, on db: any SQLDatabase) async throws
    {
        try await SecurityNoticeStore.insert(
            SecurityNoticeRow(
                id: Identifiers.make(), account_id: accountId, kind: "dispute", message: message, created_at: now),
            on: db)
    }

    private static func audit(
        _ type: String, _ dispute: DisputeRow, actor: String?, platform: Platform, on db: any SQLDatabase
    ) async throws {
        try await AuditTrail.record(
            AuditEvent(
                type, actor: actor, subject: dispute.consumer_id, object: "dispute:\(dispute.id)",
                details: ["order": dispute.order_id, "status": dispute.status]), platform: platform, on: db)
    }

    private static func view(_ row: DisputeRow, caller: Caller, platform: Platform, images: Bool = false) async throws
        -> DisputeView
    {
        let db = platform.db.sql
        var timeline: [DisputeEventView] = []
        for event in try await DisputeStore.events(disputeId: row.id, on: db) {
            var text: String?
            if let sealed = event.text_cipher, let author = event.author_id,
                let key = try? await SubjectKeys.key(subject: author, platform: platform, on: db)
            {
                text = try? FieldCipher.open(
                    sealed, key: key, context: FieldContext(table: "dispute_events", column: "text_cipher", row: row.id)
                )
            }
            timeline.append(
                DisputeEventView(party: event.party, kind: event.kind, text: text, createdAt: event.created_at))
        }
        var evidence: [EvidenceView] = []
        for item in try await DisputeStore.evidence(disputeId: row.id, on: db) {
            var image: String?
            if images, let key = try? await SubjectKeys.key(subject: item.author_id, platform: platform, on: db) {
                image = try? FieldCipher.open(
                    bytes: item.image_cipher, key: key,
                    context: FieldContext(table: "dispute_evidence", column: "image_cipher", row: item.id)
                ).base64EncodedString()
            }
            evidence.append(
                EvidenceView(
                    id: item.id, contentType: item.content_type, sizeBytes: item.size_bytes, image: image,
                    createdAt: item.created_at))
        }
        return DisputeView(
            id: row.id, orderId: row.order_id, reason: row.reason, remedy: row.remedy, amountFen: row.amount_fen,
            status: row.status, offerRemedy: row.offer_remedy, offerAmountFen: row.offer_amount_fen,
            outcomeRemedy: row.outcome_remedy, outcomeAmountFen: row.outcome_amount_fen, ruleApplied: row.rule_applied,
            appealed: row.appealed, dueAt: row.due_at, timeline: timeline, evidence: evidence)
    }
}
