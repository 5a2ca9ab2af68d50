import Foundation
public import SQLKit

/// The shield's shared state: bans with an expiry and detections, keyed by a blind index of the address.
public enum ShieldStore {
    public static func activeBans(now: Int64, on db: any SQLDatabase) async throws -> [String: Int64] {
        var bans: [String: Int64] = [:]
        for row in try await db.raw(
            "SELECT ip_index, MAX(until) AS until FROM shield_bans WHERE until > \(bind: now) GROUP BY ip_index"
        ).all() {
            bans[try row.decode(column: "ip_index", as: String.self)] = try row.decode(column: "until", as: Int64.self)
        }
        return bans
    }

    public static func ban(ipIndex: String, reason: String, until: Int64, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.insert(into: "shield_bans").columns("id", "ip_index", "reason", "until", "created_at")
            .values(
                SQLBind(UUID().uuidString.lowercased()), SQLBind(ipIndex), SQLBind(reason), SQLBind(until),
                SQLBind(now)
            ).run()
    }

    public static func record(ipIndex: String, kind: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.insert(into: "shield_events").columns("id", "ip_index", "kind", "at")
            .values(SQLBind(UUID().uuidString.lowercased()), SQLBind(ipIndex), SQLBind(kind), SQLBind(now)).run()
    }

    /// Signature detections from an address since `since` (probing and stuffing are counted elsewhere).
    public static func strikes(ipIndex: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM shield_events WHERE ip_index = \(bind: ipIndex) AND at >= \(bind: since)
              AND kind NOT IN ('probing', 'credential_stuffing', 'payment_failed', 'card_testing')
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Events of one kind from an address since `since` (failed payments for card testing).
    public static func count(ipIndex: String, kind: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM shield_events WHERE ip_index = \(bind: ipIndex) AND kind = \(bind: kind)
              AND at >= \(bind: since)
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

extension LoginAttemptStore {
    /// How many different logins failed from one network since `since` (credential stuffing).
    public static func distinctFailedLogins(ipIndex: String, since: Int64, on db: any SQLDatabase) async throws
        -> Int
    {
        try await db.raw(
            """
            SELECT COUNT(DISTINCT login_index) AS n FROM login_attempts
            WHERE ip_index = \(bind: ipIndex) AND succeeded = \(bind: false) AND at >= \(bind: since)
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
