public import Foundation
public import SQLKit

public struct RulebookVersionRow: Codable, Sendable {
    public let id: String
    public let document: String
    public let version: String
    public let effective_at: Int64
    public let text: String
    public let text_hash: String
    public let published_by: String
    public let created_at: Int64

    public init(
        document: String, version: String, effective_at: Int64, text: String, text_hash: String,
        published_by: String, created_at: Int64
    ) {
        self.id = "\(document)@\(version)"
        self.document = document
        self.version = version
        self.effective_at = effective_at
        self.text = text
        self.text_hash = text_hash
        self.published_by = published_by
        self.created_at = created_at
    }
}

public struct ViolationRow: Codable, Sendable {
    public let id: String
    public let party_id: String
    public let party_kind: String
    public let rule_ref: String
    public let source: String
    public let source_ref: String
    public let evidence_cipher: Data
    public var status: String
    public let recorded_by: String
    public var decided_by: String?
    public var sanction_id: String?
    public let created_at: Int64
    public var decided_at: Int64?

    public init(
        id: String, party_id: String, party_kind: String, rule_ref: String, source: String, source_ref: String,
        evidence_cipher: Data, status: String, recorded_by: String, created_at: Int64
    ) {
        self.id = id
        self.party_id = party_id
        self.party_kind = party_kind
        self.rule_ref = rule_ref
        self.source = source
        self.source_ref = source_ref
        self.evidence_cipher = evidence_cipher
        self.status = status
        self.recorded_by = recorded_by
        self.created_at = created_at
    }
}

public struct SanctionRow: Codable, Sendable {
    public let id: String
    public let party_id: String
    public let party_kind: String
    public let level: String
    /// JSON array of restricted functions (restrictions only).
    public let functions: String
    public let rule_ref: String
    public let reason_cipher: Data
    public let starts_at: Int64
    public let ends_at: Int64?
    public let imposed_by: String
    public var lifted_at: Int64?
    public var lift_reason: String?
    public let created_at: Int64

    public init(
        id: String, party_id: String, party_kind: String, level: String, functions: String, rule_ref: String,
        reason_cipher: Data, starts_at: Int64, ends_at: Int64?, imposed_by: String, created_at: Int64
    ) {
        self.id = id
        self.party_id = party_id
        self.party_kind = party_kind
        self.level = level
        self.functions = functions
        self.rule_ref = rule_ref
        self.reason_cipher = reason_cipher
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.imposed_by = imposed_by
        self.created_at = created_at
    }
}

public struct SanctionAppealRow: Codable, Sendable {
    public let id: String
    public let sanction_id: String
    public let appellant_id: String
    public let statement_cipher: Data
    public var status: String
    public var decided_by: String?
    public var decision_note: String?
    public let created_at: Int64
    public var decided_at: Int64?

    public init(id: String, sanction_id: String, appellant_id: String, statement_cipher: Data, created_at: Int64) {
        self.id = id
        self.sanction_id = sanction_id
        self.appellant_id = appellant_id
        self.statement_cipher = statement_cipher
        self.status = "pending"
        self.created_at = created_at
    }
}

public enum RulebookStore {
    public static func insert(_ row: RulebookVersionRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "rulebook_versions").model(row).run()
    }

    public static func all(on db: any SQLDatabase) async throws -> [RulebookVersionRow] {
        try await db.select().column("*").from("rulebook_versions").orderBy("document").orderBy("effective_at")
            .all(decoding: RulebookVersionRow.self)
    }

    /// The version of each document in force at `now` (the latest effective one).
    public static func current(now: Int64, on db: any SQLDatabase) async throws -> [RulebookVersionRow] {
        try await db.raw(
            """
            SELECT * FROM rulebook_versions v WHERE effective_at <= \(bind: now) AND NOT EXISTS (
              SELECT 1 FROM rulebook_versions w WHERE w.document = v.document AND w.effective_at <= \(bind: now)
                AND w.effective_at > v.effective_at)
            ORDER BY document
            """
        ).all(decoding: RulebookVersionRow.self)
    }

    /// The documents (as "document@version") among `current` that `party` has not accepted.
    public static func unaccepted(party: String, now: Int64, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw(
            """
            SELECT v.id FROM rulebook_versions v WHERE v.effective_at <= \(bind: now) AND NOT EXISTS (
              SELECT 1 FROM rulebook_versions w WHERE w.document = v.document AND w.effective_at <= \(bind: now)
                AND w.effective_at > v.effective_at)
            AND NOT EXISTS (SELECT 1 FROM rule_acceptances a WHERE a.party_id = \(bind: party)
                AND a.document = v.document AND a.version = v.version)
            ORDER BY v.id
            """
        ).all().map { try $0.decode(column: "id", as: String.self) }
    }

    /// Records acceptance (idempotent: accepting twice keeps the first time).
    public static func accept(
        party: String, account: String, document: String, version: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Bool {
        try await db.raw(
            """
            INSERT INTO rule_acceptances (id, party_id, account_id, document, version, accepted_at)
            VALUES (\(bind: "\(party)|\(document)@\(version)"), \(bind: party), \(bind: account), \(bind: document),
              \(bind: version), \(bind: now))
            ON CONFLICT DO NOTHING RETURNING id
            """
        ).first() != nil
    }

    public static func clearPending(party: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE sessions SET rules_pending = \(bind: false) WHERE rules_pending = \(bind: true)
              AND account_id IN (SELECT id FROM accounts WHERE id = \(bind: party) OR merchant_id = \(bind: party))
            """
        ).run()
    }
}

public enum ViolationStore {
    public static func insert(_ row: ViolationRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "violations").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> ViolationRow? {
        try await db.select().column("*").from("violations").where("id", .equal, id)
            .first(decoding: ViolationRow.self)
    }

    public static func list(party: String?, status: String?, on db: any SQLDatabase) async throws -> [ViolationRow] {
        var query = db.select().column("*").from("violations")
        if let party { query = query.where("party_id", .equal, party) }
        if let status { query = query.where("status", .equal, status) }
        return try await query.orderBy("created_at", .descending).limit(500).all(decoding: ViolationRow.self)
    }

    /// Confirmed violations of `party` not yet answered by a sanction, oldest first.
    public static func unsanctioned(party: String, on db: any SQLDatabase) async throws -> [ViolationRow] {
        try await db.select().column("*").from("violations").where("party_id", .equal, party)
            .where("status", .equal, "confirmed").where("sanction_id", .is, SQLLiteral.null)
            .orderBy("created_at").all(decoding: ViolationRow.self)
    }

    /// Decides a reported violation; false if it was decided already.
    public static func decide(id: String, confirm: Bool, by staff: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE violations SET status = \(bind: confirm ? "confirmed" : "dismissed"), decided_by = \(bind: staff),
              decided_at = \(bind: now) WHERE id = \(bind: id) AND status = 'reported' RETURNING id
            """
        ).first() != nil
    }

    public static func attach(ids: [String], party: String, sanction: String, on db: any SQLDatabase) async throws
        -> Int
    {
        guard !ids.isEmpty else { return 0 }
        return try await db.update("violations").set("sanction_id", to: sanction)
            .where("party_id", .equal, party).where("id", .in, ids).where("status", .equal, "confirmed")
            .where("sanction_id", .is, SQLLiteral.null).returning("id").all().count
    }

    public static func between(from: Int64, to: Int64, on db: any SQLDatabase) async throws -> [ViolationRow] {
        try await db.select().column("*").from("violations").where("created_at", .greaterThanOrEqual, from)
            .where("created_at", .lessThan, to).orderBy("created_at").orderBy("id").all(decoding: ViolationRow.self)
    }
}

public enum SanctionStore {
    public static func insert(_ row: SanctionRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "sanctions").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> SanctionRow? {
        try await db.select().column("*").from("sanctions").where("id", .equal, id).first(decoding: SanctionRow.self)
    }

    /// Sanctions in force at `now` on any of `parties` (an account and the merchant it acts for).
    public static func active(parties: [String], now: Int64, on db: any SQLDatabase) async throws -> [SanctionRow] {
        try await db.raw(
            """
            SELECT * FROM sanctions WHERE party_id IN (\(binds: parties)) AND starts_at <= \(bind: now)
              AND (ends_at IS NULL OR ends_at > \(bind: now)) AND lifted_at IS NULL
            """
        ).all(decoding: SanctionRow.self)
    }

    public static func history(party: String, on db: any SQLDatabase) async throws -> [SanctionRow] {
        try await db.select().column("*").from("sanctions").where("party_id", .equal, party)
            .orderBy("starts_at", .descending).limit(200).all(decoding: SanctionRow.self)
    }

    /// Sanctions whose end has passed but that are not yet marked lifted.
    public static func endedUnlifted(now: Int64, on db: any SQLDatabase) async throws -> [SanctionRow] {
        try await db.raw(
            "SELECT * FROM sanctions WHERE ends_at IS NOT NULL AND ends_at <= \(bind: now) AND lifted_at IS NULL"
        ).all(decoding: SanctionRow.self)
    }

    public static func lift(id: String, reason: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE sanctions SET lifted_at = \(bind: now), lift_reason = \(bind: reason)
            WHERE id = \(bind: id) AND lifted_at IS NULL RETURNING id
            """
        ).first() != nil
    }

    /// Ends every live session of a party's accounts (a ban): the next request of each is unauthenticated.
    public static func endSessions(party: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now) WHERE revoked_at IS NULL
              AND account_id IN (SELECT id FROM accounts WHERE id = \(bind: party) OR merchant_id = \(bind: party))
            """
        ).run()
    }

    public static func between(from: Int64, to: Int64, on db: any SQLDatabase) async throws -> [SanctionRow] {
        try await db.select().column("*").from("sanctions").where("created_at", .greaterThanOrEqual, from)
            .where("created_at", .lessThan, to).orderBy("created_at").orderBy("id").all(decoding: SanctionRow.self)
    }
}

public enum SanctionAppealStore {
    public static func insert(_ row: SanctionAppealRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "sanction_appeals").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> SanctionAppealRow? {
        try await db.select().column("*").from("sanction_appeals").where("id", .equal, id)
            .first(decoding: SanctionAppealRow.self)
    }

    public static func find(sanction: String, on db: any SQLDatabase) async throws -> SanctionAppealRow? {
        try await db.select().column("*").from("sanction_appeals").where("sanction_id", .equal, sanction)
            .first(decoding: SanctionAppealRow.self)
    }

    public static func pending(on db: any SQLDatabase) async throws -> [SanctionAppealRow] {
        try await db.select().column("*").from("sanction_appeals").where("status", .equal, "pending")
            .orderBy("created_at").limit(200).all(decoding: SanctionAppealRow.self)
    }

    public static func decide(
        id: String, upheld: Bool, by staff: String, note: String, now: Int64, on db: any SQLDatabase
    )
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE sanction_appeals SET status = \(bind: upheld ? "upheld" : "rejected"), decided_by = \(bind: staff),
              decision_note = \(bind: note), decided_at = \(bind: now) WHERE id = \(bind: id) AND status = 'pending'
            RETURNING id
            """
        ).first() != nil
    }
}
