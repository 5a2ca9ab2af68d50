import Foundation
public import SQLKit

public struct ForceMajeureRow: Codable, Sendable {
    public let id: String
    public let cause: String
    public let scope: String
    /// JSON array: the categories or merchant ids in scope (empty for the whole platform).
    public let scope_values: String
    public let starts_at: Int64
    public var ends_at: Int64
    public let declared_by: String
    public var settled_at: Int64?
    public let created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, cause: String, scope: String, scopeValues: String, startsAt: Int64, endsAt: Int64,
        declaredBy: String, now: Int64
    ) {
        self.id = id
        self.cause = cause
        self.scope = scope
        self.scope_values = scopeValues
        self.starts_at = startsAt
        self.ends_at = endsAt
        self.declared_by = declaredBy
        self.created_at = now
        self.updated_at = now
    }
}

public enum ForceMajeureStore {
    public static func insert(_ row: ForceMajeureRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "force_majeure").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> ForceMajeureRow? {
        try await db.select().column("*").from("force_majeure").where("id", .equal, id)
            .first(decoding: ForceMajeureRow.self)
    }

    public static func all(on db: any SQLDatabase) async throws -> [ForceMajeureRow] {
        try await db.select().column("*").from("force_majeure").orderBy("starts_at", .descending).limit(200)
            .all(decoding: ForceMajeureRow.self)
    }

    /// Periods in force at `now`.
    public static func active(now: Int64, on db: any SQLDatabase) async throws -> [ForceMajeureRow] {
        try await db.raw(
            "SELECT * FROM force_majeure WHERE starts_at <= \(bind: now) AND ends_at > \(bind: now)"
        ).all(decoding: ForceMajeureRow.self)
    }

    /// Periods that ended and whose paused deadlines have not been moved yet.
    public static func endedUnsettled(now: Int64, on db: any SQLDatabase) async throws -> [ForceMajeureRow] {
        try await db.raw(
            "SELECT * FROM force_majeure WHERE ends_at <= \(bind: now) AND settled_at IS NULL"
        ).all(decoding: ForceMajeureRow.self)
    }

    public static func setEnd(id: String, endsAt: Int64, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE force_majeure SET ends_at = \(bind: endsAt), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND settled_at IS NULL RETURNING id
            """
        ).first() != nil
    }

    public static func markSettled(id: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE force_majeure SET settled_at = \(bind: now) WHERE id = \(bind: id) AND settled_at IS NULL
            RETURNING id
            """
        ).first() != nil
    }

    /// Categories of the listings an order bought.
    public static func categories(orderId: String, on db: any SQLDatabase) async throws -> Set<String> {
        Set(
            try await db.raw(
                """
                SELECT DISTINCT l.category AS category FROM order_lines ol JOIN listings l ON l.id = ol.listing_id
                WHERE ol.order_id = \(bind: orderId)
                """
            ).all().map { try $0.decode(column: "category", as: String.self) })
    }
}
