import Domain
import Foundation
import SQLKit
import Storage

/// A session as its owner sees it.
public struct SessionView: Sendable, Codable, Equatable {
    public let id: String
    public let device: String
    public let createdAt: Int64
    public let lastSeenAt: Int64
    public let expiresAt: Int64
    public let current: Bool
}

public enum Sessions {
    /// Resolves a bearer token to its caller, or nil when the session is unknown, expired, idle or revoked.
    /// Touches the session at most once a minute so reads do not each cost a durable write.
    public static func authenticate(token: String, platform: Platform) async throws -> Caller? {
        guard token.hasPrefix("cvt_"), token.count < 100 else { return nil }
        let now = platform.now
        let db = platform.db.sql
        guard let session = try await SessionStore.findLive(tokenHash: SessionTokens.hash(token), now: now, on: db),
            let account = try await AccountStore.find(id: session.account_id, on: db), account.status == "active",
            let role = Role(rawValue: account.role)
        else { return nil }
        if now - session.last_seen_at > 60_000 {
            try await SessionStore.touch(id: session.id, now: now, on: db)
        }
        return Caller(
            accountId: account.id, role: role, merchantId: account.merchant_id, sessionId: session.id,
            twoFactorVerified: session.two_factor && account.totp_enabled, twoFactorEnrolled: account.totp_enabled,
            mustChangePassword: account.must_change_password, rulesPending: session.rules_pending)
    }

    public static func list(caller: Caller, platform: Platform) async throws -> [SessionView] {
        try await SessionStore.listLive(accountId: caller.accountId, now: platform.now, on: platform.db.sql).map {
            SessionView(
                id: $0.id, device: $0.device_label, createdAt: $0.created_at, lastSeenAt: $0.last_seen_at,
                expiresAt: min($0.expires_at, $0.last_seen_at + $0.idle_timeout_ms), current: $0.id == caller.sessionId)
        }
    }

    /// Revokes one of the caller's own sessions (the query names the owner: no one else's can match).
    public static func revoke(id: String, caller: Caller, platform: Platform) async throws {
        try await platform.db.transaction { db in
            guard try await SessionStore.revoke(id: id, accountId: caller.accountId, now: platform.now, on: db) else {
                throw Problem.notFound("The session")
            }
            try await AuditTrail.record(
                AuditEvent(
                    "account.session.revoke", actor: caller.accountId, subject: caller.accountId,
                    object: "session:\(id)"),
                platform: platform, on: db)
        }
    }

    public static func signOut(caller: Caller, platform: Platform) async throws {
        try await platform.db.transaction { db in
            _ = try await SessionStore.revoke(
                id: caller.sessionId, accountId: caller.accountId, now: platform.now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "account.logout", actor: caller.accountId, subject: caller.accountId,
                    object: "session:\(caller.sessionId)"),
                platform: platform, on: db)
        }
    }
}
