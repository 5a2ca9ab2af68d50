public import Foundation
public import SQLKit

public struct DisputeRow: Codable, Sendable {
    public let id: String
    public let order_id: String
    public let consumer_id: String
    public let merchant_id: String
    public let reason: String
    public let remedy: String
    public let amount_fen: Int64
    public var status: String
    public var offer_remedy: String?
    public var offer_amount_fen: Int64?
    public var outcome_remedy: String?
    public var outcome_amount_fen: Int64?
    public var rule_applied: String?
    public var decided_by: String?
    public var appealed: Bool
    public var due_at: Int64?
    public let created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, orderId: String, consumerId: String, merchantId: String, reason: String, remedy: String,
        amountFen: Int64, status: String, dueAt: Int64, now: Int64
    ) {
        self.id = id
        self.order_id = orderId
        self.consumer_id = consumerId
        self.merchant_id = merchantId
        self.reason = reason
        self.remedy = remedy
        self.amount_fen = amountFen
        self.status = status
        self.appealed = false
        self.due_at = dueAt
        self.created_at = now
        self.updated_at = now
    }
}

public struct DisputeEventRow: Codable, Sendable {
    public let id: String
    public let dispute_id: String
    public let author_id: String?
    public let party: String
    public let kind: String
    public let text_cipher: Data?
    public let created_at: Int64

    public init(
        id: String, disputeId: String, authorId: String?, party: String, kind: String, textCipher: Data?, now: Int64
    ) {
        self.id = id
        self.dispute_id = disputeId
        self.author_id = authorId
        self.party = party
        self.kind = kind
        self.text_cipher = textCipher
        self.created_at = now
    }
}

public struct DisputeEvidenceRow: Codable, Sendable {
    public let id: String
    public let dispute_id: String
    public let author_id: String
    public let content_type: String
    public let size_bytes: Int64
    public let image_cipher: Data
    public let created_at: Int64

    public init(
        id: String, disputeId: String, authorId: String, contentType: String, sizeBytes: Int64, imageCipher: Data,
        now: Int64
    ) {
        self.id = id
        self.dispute_id = disputeId
        self.author_id = authorId
        self.content_type = contentType
        self.size_bytes = sizeBytes
        self.image_cipher = imageCipher
        self.created_at = now
    }
}

public enum DisputeStore {
    public static func insert(_ dispute: DisputeRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "disputes").model(dispute).run()
    }

    /// Saves a case that is still in `from` (a concurrent change wins otherwise); false when it moved meanwhile.
    public static func save(_ dispute: DisputeRow, from: String, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE disputes SET status = \(bind: dispute.status), offer_remedy = \(bind: dispute.offer_remedy),
              offer_amount_fen = \(bind: dispute.offer_amount_fen), outcome_remedy = \(bind: dispute.outcome_remedy),
              outcome_amount_fen = \(bind: dispute.outcome_amount_fen), rule_applied = \(bind: dispute.rule_applied),
              decided_by = \(bind: dispute.decided_by), appealed = \(bind: dispute.appealed),
              due_at = \(bind: dispute.due_at), updated_at = \(bind: dispute.updated_at)
            WHERE id = \(bind: dispute.id) AND status = \(bind: from) RETURNING id
            """
        ).first() != nil
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> DisputeRow? {
        try await db.select().column("*").from("disputes").where("id", .equal, id).first(decoding: DisputeRow.self)
    }

    /// The order's case that is still open, if any.
    public static func open(orderId: String, on db: any SQLDatabase) async throws -> DisputeRow? {
        try await db.raw(
            """
            SELECT * FROM disputes WHERE order_id = \(bind: orderId) AND status NOT IN ('closed', 'withdrawn')
            """
        ).first(decoding: DisputeRow.self)
    }

    public static func list(party: String, on db: any SQLDatabase) async throws -> [DisputeRow] {
        try await db.raw(
            """
            SELECT * FROM disputes WHERE consumer_id = \(bind: party) OR merchant_id = \(bind: party)
            ORDER BY created_at DESC LIMIT 200
            """
        ).all(decoding: DisputeRow.self)
    }

    public static func list(status: String, on db: any SQLDatabase) async throws -> [DisputeRow] {
        try await db.select().column("*").from("disputes").where("status", .equal, status).orderBy("created_at")
            .limit(200).all(decoding: DisputeRow.self)
    }

    /// Cases whose deadline passed in one of `statuses`.
    public static func overdue(statuses: [String], now: Int64, on db: any SQLDatabase) async throws -> [DisputeRow] {
        try await db.select().column("*").from("disputes").where("status", .in, statuses)
            .where("due_at", .lessThan, now).orderBy("due_at").limit(200).all(decoding: DisputeRow.self)
    }

    public static func addEvent(_ event: DisputeEventRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "dispute_events").model(event).run()
    }

    public static func events(disputeId: String, on db: any SQLDatabase) async throws -> [DisputeEventRow] {
        try await db.select().column("*").from("dispute_events").where("dispute_id", .equal, disputeId)
            .orderBy("created_at").all(decoding: DisputeEventRow.self)
    }

    public static func addEvidence(_ evidence: DisputeEvidenceRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "dispute_evidence").model(evidence).run()
    }

    public static func evidence(disputeId: String, on db: any SQLDatabase) async throws -> [DisputeEvidenceRow] {
        try await db.select().column("*").from("dispute_evidence").where("dispute_id", .equal, disputeId)
            .orderBy("created_at").all(decoding: DisputeEvidenceRow.self)
    }

    public static func evidenceCount(disputeId: String, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM dispute_evidence WHERE dispute_id = \(bind: disputeId)").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }
}
