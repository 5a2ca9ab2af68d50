import SQLKit
import Storage

/// How many active merchant and staff accounts use two-factor authentication (clause 3.2: mandatory for them).
/// One query for both the self-assessment and the compliance report, so they cannot disagree.
public struct TwoFactorCoverage: Sendable, Codable, Equatable {
    public let enrolled: Int
    public let total: Int

    /// Every account that must use two-factor does (vacuously true with none).
    public var complete: Bool { enrolled == total }

    public static func measure(platform: Platform) async throws -> TwoFactorCoverage {
        let row = try await platform.db.sql.raw(
            """
            SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN totp_enabled = \(bind: true) THEN 1 ELSE 0 END), 0)
            AS enrolled FROM accounts WHERE kind IN ('merchant', 'staff') AND status = 'active'
            """
        ).first()
        return TwoFactorCoverage(
            enrolled: try row?.decode(column: "enrolled", as: Int.self) ?? 0,
            total: try row?.decode(column: "total", as: Int.self) ?? 0)
    }
}
