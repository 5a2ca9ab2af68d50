import Foundation
public import SQLKit

public struct RiskDecisionRow: Codable, Sendable {
    public let id: String
    public let event: String
    public let account_id: String
    public let object: String
    public let outcome: String
    public let score: Double
    /// JSON: the reasons with their contributions.
    public let reasons: String
    /// JSON: the features the decision saw (counts and amounts; no personal data).
    public let features: String
    public let rule_set_version: String
    public let model_version: String?
    public let shadow_outcome: String?
    public let created_at: Int64

    public init(
        id: String, event: String, accountId: String, object: String, outcome: String, score: Double,
        reasons: String, features: String, ruleSetVersion: String, modelVersion: String?, shadowOutcome: String?,
        now: Int64
    ) {
        self.id = id
        self.event = event
        self.account_id = accountId
        self.object = object
        self.outcome = outcome
        self.score = score
        self.reasons = reasons
        self.features = features
        self.rule_set_version = ruleSetVersion
        self.model_version = modelVersion
        self.shadow_outcome = shadowOutcome
        self.created_at = now
    }
}

public struct RiskCaseRow: Codable, Sendable {
    public let id: String
    public let decision_id: String
    public let account_id: String
    public var status: String
    public var claimed_by: String?
    public var label: String?
    public var note: String?
    public let created_at: Int64
    public var decided_at: Int64?

    public init(id: String, decisionId: String, accountId: String, now: Int64) {
        self.id = id
        self.decision_id = decisionId
        self.account_id = accountId
        self.status = "open"
        self.created_at = now
    }
}

public enum RiskStore {
    public static func insert(_ decision: RiskDecisionRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "risk_decisions").model(decision).run()
    }

    public static func openCase(_ riskCase: RiskCaseRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "risk_cases").model(riskCase).run()
    }

    public static func cases(status: String, limit: Int, on db: any SQLDatabase) async throws -> [RiskCaseRow] {
        try await db.select().column("*").from("risk_cases").where("status", .equal, status)
            .orderBy("created_at").limit(limit).all(decoding: RiskCaseRow.self)
    }

    /// Other accounts that signed in from one of the account's devices, or paid from one of the networks it paid
    /// from (sorted, at most `limit`): the ring an analyst looks at.
    public static func linkedAccounts(accountId: String, limit: Int, on db: any SQLDatabase) async throws -> [(
        account: String, via: String
    )] {
        try await db.raw(
            """
            SELECT account, via FROM (
              SELECT DISTINCT o.account_id AS account, 'device' AS via FROM known_devices m
              JOIN known_devices o ON o.device_index = m.device_index
              WHERE m.account_id = \(bind: accountId) AND o.account_id <> \(bind: accountId)
              UNION
              SELECT DISTINCT ob.buyer_id AS account, 'network' AS via FROM orders mb
              JOIN payments mp ON mp.checkout_id = mb.checkout_id
              JOIN payments op ON op.payer_address_index = mp.payer_address_index
              JOIN orders ob ON ob.checkout_id = op.checkout_id
              WHERE mb.buyer_id = \(bind: accountId) AND ob.buyer_id <> \(bind: accountId)
            ) links ORDER BY account, via LIMIT \(bind: limit)
            """
        ).all().map {
            (try $0.decode(column: "account", as: String.self), try $0.decode(column: "via", as: String.self))
        }
    }

    public static func findCase(id: String, on db: any SQLDatabase) async throws -> RiskCaseRow? {
        try await db.select().column("*").from("risk_cases").where("id", .equal, id).first(decoding: RiskCaseRow.self)
    }

    public static func decision(id: String, on db: any SQLDatabase) async throws -> RiskDecisionRow? {
        try await db.select().column("*").from("risk_decisions").where("id", .equal, id)
            .first(decoding: RiskDecisionRow.self)
    }

    /// Claims an open case for one analyst; false when someone else holds it or it is decided.
    public static func claim(id: String, analyst: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE risk_cases SET status = 'claimed', claimed_by = \(bind: analyst)
            WHERE id = \(bind: id) AND (status = 'open' OR (status = 'claimed' AND claimed_by = \(bind: analyst)))
            RETURNING id
            """
        ).first() != nil
    }

    /// Decides a case the analyst holds; false otherwise.
    public static func decide(
        id: String, analyst: String, label: String, note: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Bool {
        try await db.raw(
            """
            UPDATE risk_cases SET status = 'decided', label = \(bind: label), note = \(bind: note),
              decided_at = \(bind: now)
            WHERE id = \(bind: id) AND status = 'claimed' AND claimed_by = \(bind: analyst) RETURNING id
            """
        ).first() != nil
    }

    /// Decisions of the account (linked accounts and history for analysts).
    public static func decisions(accountId: String, limit: Int, on db: any SQLDatabase) async throws
        -> [RiskDecisionRow]
    {
        try await db.select().column("*").from("risk_decisions").where("account_id", .equal, accountId)
            .orderBy("created_at", .descending).limit(limit).all(decoding: RiskDecisionRow.self)
    }

    public static func isListed(list: String, kind: String, valueIndex: String, on db: any SQLDatabase) async throws
        -> Bool
    {
        try await db.select().column("list").from("risk_lists").where("list", .equal, list)
            .where("kind", .equal, kind).where("value_index", .equal, valueIndex).first() != nil
    }

    public static func addToList(
        list: String, kind: String, valueIndex: String, addedBy: String, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO risk_lists (list, kind, value_index, added_by, added_at)
            VALUES (\(bind: list), \(bind: kind), \(bind: valueIndex), \(bind: addedBy), \(bind: now))
            ON CONFLICT (list, kind, value_index) DO NOTHING
            """
        ).run()
    }

    /// Checkout features from the database, so every server instance counts the same (counters are rows).
    public static func checkoutCounts(buyerId: String, now: Int64, on db: any SQLDatabase) async throws
        -> (lastHour: Int, lastDay: Int, averageFen: Double?, failedPaymentsLastHour: Int)
    {
        let row = try await db.raw(
            """
            SELECT
              (SELECT COUNT(*) FROM checkouts WHERE buyer_id = \(bind: buyerId)
                 AND created_at > \(bind: now - 3_600_000)) AS hour,
              (SELECT COUNT(*) FROM checkouts WHERE buyer_id = \(bind: buyerId)
                 AND created_at > \(bind: now - 86_400_000)) AS day,
              (SELECT CAST(AVG(total_fen) AS DOUBLE PRECISION) FROM checkouts WHERE buyer_id = \(bind: buyerId)
                 AND created_at > \(bind: now - 90 * 86_400_000)) AS average,
              (SELECT COUNT(*) FROM payments p JOIN checkouts c ON c.id = p.checkout_id
                 WHERE c.buyer_id = \(bind: buyerId) AND p.status IN ('failed', 'mismatch')
                 AND p.updated_at > \(bind: now - 3_600_000)) AS failed
            """
        ).first()
        return (
            try row?.decode(column: "hour", as: Int.self) ?? 0, try row?.decode(column: "day", as: Int.self) ?? 0,
            try row?.decode(column: "average", as: Double?.self),
            try row?.decode(column: "failed", as: Int.self) ?? 0
        )
    }
}

/// One observation as an instance published it (the database numbers it: `seq`).
public struct RiskSignalRow: Codable, Sendable, Equatable {
    public var instance: String
    public var at: Int64
    /// An event kind, or `payment_failed` for a decline counted against its network.
    public var kind: String
    public var account: Int64
    public var account_created_at: Int64
    public var device: Int64?
    public var ip: Int64?
    public var token: Int64?
    public var address: Int64?
    public var merchant: Int64?
    public var amount_fen: Int64

    public init(
        instance: String, at: Int64, kind: String, account: Int64, accountCreatedAt: Int64, device: Int64?,
        ip: Int64?, token: Int64?, address: Int64?, merchant: Int64?, amountFen: Int64
    ) {
        self.instance = instance
        self.at = at
        self.kind = kind
        self.account = account
        self.account_created_at = accountCreatedAt
        self.device = device
        self.ip = ip
        self.token = token
        self.address = address
        self.merchant = merchant
        self.amount_fen = amountFen
    }
}

public enum RiskSignalStore {
    /// One statement for a batch (the database numbers the rows). On PostgreSQL, writers take turns (a
    /// transaction lock), so rows become visible in the order of their numbers and a reader that remembers the
    /// last number it read misses none.
    public static func insert(_ rows: [RiskSignalRow], postgres: Bool, on db: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        if postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.lockKey))").run() }
        try await db.insert(into: "risk_signals").models(rows, nilEncodingStrategy: .asNil).run()
    }

    static let lockKey: Int64 = 0x5249_534B  // "RISK"

    /// Other instances' observations numbered after `seq` and not older than `since`, in order.
    public static func others(
        after seq: Int64, since: Int64, excluding instance: String, limit: Int,
        on db: any SQLDatabase
    ) async throws -> [(seq: Int64, row: RiskSignalRow)] {
        try await db.select().column("*").from("risk_signals").where("seq", .greaterThan, seq)
            .where("at", .greaterThanOrEqual, since).where("instance", .notEqual, instance).orderBy("seq")
            .limit(limit).all()
            .map { (try $0.decode(column: "seq", as: Int64.self), try $0.decode(model: RiskSignalRow.self)) }
    }
}

/// A one-time code waiting to confirm a challenged action (one per account: a new one replaces the last).
public struct StepUpCodeRow: Codable, Sendable {
    public var account_id: String
    public var purpose: String
    public var code_mac: String
    public var issued_at: Int64
    public var expires_at: Int64
    public var attempts: Int64

    public init(accountId: String, purpose: String, codeMAC: String, issuedAt: Int64, expiresAt: Int64) {
        self.account_id = accountId
        self.purpose = purpose
        self.code_mac = codeMAC
        self.issued_at = issuedAt
        self.expires_at = expiresAt
        self.attempts = 0
    }
}

public enum StepUpCodeStore {
    public static func find(accountId: String, on db: any SQLDatabase) async throws -> StepUpCodeRow? {
        try await db.select().column("*").from("step_up_codes").where("account_id", .equal, accountId)
            .first(decoding: StepUpCodeRow.self)
    }

    public static func replace(_ row: StepUpCodeRow, on db: any SQLDatabase) async throws {
        try await delete(accountId: row.account_id, on: db)
        try await db.insert(into: "step_up_codes").model(row).run()
    }

    public static func delete(accountId: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "step_up_codes").where("account_id", .equal, accountId).run()
    }

    /// Counts one try before the code is compared, so parallel guesses cannot exceed `limit`; false once spent.
    public static func countAttempt(accountId: String, limit: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE step_up_codes SET attempts = attempts + 1
            WHERE account_id = \(bind: accountId) AND attempts < \(bind: limit)
            RETURNING account_id
            """
        ).first() != nil
    }
}
