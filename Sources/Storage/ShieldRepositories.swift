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

/// Tokens one instance took from a rate-limit bucket in one round, for the others to debit (issue 11).
public struct ShieldUsageRow: Codable, Sendable, Equatable {
    public let instance: String
    public let at: Int64
    /// The bucket: route class and the address's keyed pseudonym or an account id (`r|…`, `w|…`, `a|…`).
    public let bucket: String
    public let tokens: Int64

    public init(instance: String, at: Int64, bucket: String, tokens: Int64) {
        self.instance = instance
        self.at = at
        self.bucket = bucket
        self.tokens = tokens
    }
}

public enum ShieldUsageStore {
    /// One statement per round; on PostgreSQL writers take turns so rows become visible in number order.
    public static func insert(_ rows: [ShieldUsageRow], postgres: Bool, on db: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        if postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.lockKey))").run() }
        try await db.insert(into: "shield_usage").models(rows).run()
    }

    static let lockKey: Int64 = 0x5348_4C44  // "SHLD"

    /// Other instances' usage numbered after `seq` and not older than `since`, in order.
    public static func others(after seq: Int64, since: Int64, excluding instance: String, on db: any SQLDatabase)
        async throws -> [(seq: Int64, row: ShieldUsageRow)]
    {
        try await db.select().column("*").from("shield_usage").where("seq", .greaterThan, seq)
            .where("at", .greaterThanOrEqual, since).where("instance", .notEqual, instance).orderBy("seq")
            .limit(50_000).all()
            .map { (try $0.decode(column: "seq", as: Int64.self), try $0.decode(model: ShieldUsageRow.self)) }
    }
}
