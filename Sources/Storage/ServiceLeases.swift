public import SQLKit

/// Leases that let exactly one of several instances run a background service at a time (issue 11): the holder
/// renews its lease every round; when it stops renewing (killed, partitioned), another instance takes the lease
/// once it has expired. One statement decides, so two instances can never both hold it.
public enum ServiceLeaseStore {
    /// Takes or renews the lease `name` for `holder` until `expiresAt`; true when `holder` holds it now.
    public static func acquire(
        _ name: String, holder: String, now: Int64, expiresAt: Int64, on db: any SQLDatabase
    ) async throws -> Bool {
        let row = try await db.raw(
            """
            INSERT INTO service_leases (name, holder, expires_at, acquired_at)
            VALUES (\(bind: name), \(bind: holder), \(bind: expiresAt), \(bind: now))
            ON CONFLICT (name) DO UPDATE SET
                holder = excluded.holder, expires_at = excluded.expires_at,
                acquired_at = CASE WHEN service_leases.holder = excluded.holder
                    THEN service_leases.acquired_at ELSE excluded.acquired_at END
            WHERE service_leases.holder = excluded.holder OR service_leases.expires_at < \(bind: now)
            RETURNING holder
            """
        ).first()
        return try row?.decode(column: "holder", as: String.self) == holder
    }

    /// Gives the lease up (graceful shutdown), so another instance need not wait for it to expire.
    public static func release(_ name: String, holder: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "service_leases").where("name", .equal, name).where("holder", .equal, holder).run()
    }

    public struct Lease: Codable, Sendable, Equatable {
        public let name: String
        public let holder: String
        public let expires_at: Int64
        public let acquired_at: Int64
    }

    /// Every lease, for the operators' view of which instance runs what.
    public static func all(on db: any SQLDatabase) async throws -> [Lease] {
        try await db.select().column("*").from("service_leases").orderBy("name").all(decoding: Lease.self)
    }
}
