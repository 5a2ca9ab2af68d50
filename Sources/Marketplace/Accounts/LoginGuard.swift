import Domain
import Foundation
import Privacy
import SQLKit
import Storage

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Counts every credential check of a login before it is made, so concurrent guesses cannot slip past the
/// lockout (PCI DSS 8.3.4; clauses 3.2, 4.x) and one address cannot spray many logins (2.2).
/// Unknown logins lock exactly like known ones, so a lockout reveals nothing about who has an account.
struct LoginGuard {
    let platform: Platform
    let loginIndex: String
    let ipIndex: String
    let accountId: String?

    init(platform: Platform, rawLogin: String, accountId: String?, ip: String) throws {
        self.platform = platform
        let key = (try? Login(rawLogin)).map(\.lookupKey) ?? rawLogin.lowercased()
        self.loginIndex = try platform.keys.blindIndex(key, purpose: "accounts.login")
        self.ipIndex = try platform.keys.blindIndex(Self.network(of: ip), purpose: "ip")
        self.accountId = accountId
    }

    /// For checks of an account's own credentials (password change, turning two-factor off).
    init(platform: Platform, account: AccountRow, ip: String) throws {
        self.platform = platform
        self.loginIndex = account.login_index
        self.ipIndex = try platform.keys.blindIndex(Self.network(of: ip), purpose: "ip")
        self.accountId = account.id
    }

    /// Reserves one check: refused while the address is throttled or the login is locked. The reservation
    /// counts as a failure until `succeeded` or `neutral` is called.
    func reserve() async throws -> String {
        let settings = platform.settings
        let now = platform.now
        let id = Identifiers.make()
        let postgres = platform.db.location.isPostgres
        return try await platform.db.transaction { db in
            let lock = try await LoginLockStore.acquire(loginIndex: loginIndex, postgres: postgres, on: db)
            let ipFailures = try await LoginAttemptStore.failures(
                ipIndex: ipIndex, since: now - settings.ipWindowSeconds * 1000, on: db)
            if ipFailures >= settings.ipFailureLimit {
                throw Problem.throttled(retryAfter: Int(settings.ipWindowSeconds))
            }
            if let until = lock.locked_until, until > now {
                throw Problem.locked(retryAfter: Int((until - now + 999) / 1000))
            }
            let since = now - settings.lockoutWindowSeconds * 1000
            if try await LoginAttemptStore.failures(
                loginIndex: loginIndex, since: since, resetAt: lock.reset_at, on: db)
                >= settings.lockoutThreshold
            {
                // The threshold is reached by checks still in flight: wait as if locked.
                throw Problem.locked(retryAfter: Int(settings.lockoutDurationSeconds))
            }
            try await LoginAttemptStore.record(
                id: id, accountId: accountId, loginIndex: loginIndex, ipIndex: ipIndex, succeeded: false, at: now,
                on: db)
            return id
        }
    }

    /// The check failed: audit it, and lock the login when this failure reaches the threshold.
    func failed(_ attempt: String, reason: String) async throws {
        let settings = platform.settings
        let now = platform.now
        let postgres = platform.db.location.isPostgres
        try await platform.db.transaction { db in
            let lock = try await LoginLockStore.acquire(loginIndex: loginIndex, postgres: postgres, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "account.login.failure", actor: accountId, subject: accountId, outcome: .failure,
                    details: ["reason": reason]),
                platform: platform, on: db)
            let failures = try await LoginAttemptStore.failures(
                loginIndex: loginIndex, since: now - settings.lockoutWindowSeconds * 1000, resetAt: lock.reset_at,
                on: db)
            guard failures >= settings.lockoutThreshold, (lock.locked_until ?? 0) <= now else { return }
            try await LoginLockStore.lock(
                loginIndex: loginIndex, until: now + settings.lockoutDurationSeconds * 1000, now: now, on: db)
            try await AuditTrail.record(
                AuditEvent("account.lockout", actor: nil, subject: accountId, details: ["failures": String(failures)]),
                platform: platform, on: db)
            if let accountId {
                try await SecurityNoticeStore.insert(
                    SecurityNoticeRow(
                        id: Identifiers.make(), account_id: accountId, kind: "locked",
                        message: "Your account was locked for \(settings.lockoutDurationSeconds / 60) minutes after "
                            + "\(failures) failed sign-ins or credential checks.",
                        created_at: now),
                    on: db)
            }
        }
    }

    /// The check passed: the attempt counts as a success and earlier failures stop counting.
    func succeeded(_ attempt: String, on db: any SQLDatabase) async throws {
        try await LoginAttemptStore.markSucceeded(id: attempt, on: db)
        try await LoginLockStore.reset(loginIndex: loginIndex, now: platform.now, on: db)
    }

    /// Neither success nor failure (for example, the password was right and a second factor is needed).
    func neutral(_ attempt: String) async throws {
        try await LoginAttemptStore.discard(id: attempt, on: platform.db.sql)
    }

    /// Lifts a lockout early (staff unlock).
    /// Re-checks a secret of a signed-in holder (current password, a code) under the same lockout as sign-in,
    /// so it cannot be guessed through account pages; throws 422 on `field` when `check` says no.
    static func confirm(
        account: AccountRow, ip: String, platform: Platform, field: String, reason: String, detail: String,
        check: () async throws -> Bool
    ) async throws {
        let guarded = try LoginGuard(platform: platform, account: account, ip: ip)
        let attempt = try await guarded.reserve()
        guard try await check() else {
            try await guarded.failed(attempt, reason: reason)
            throw Problem.invalid(field, detail)
        }
        try await guarded.neutral(attempt)
    }

    static func unlock(loginIndex: String, platform: Platform, on db: any SQLDatabase) async throws {
        _ = try await LoginLockStore.acquire(loginIndex: loginIndex, postgres: platform.db.location.isPostgres, on: db)
        try await LoginLockStore.reset(loginIndex: loginIndex, now: platform.now, on: db)
    }

    /// The address that is throttled: IPv4 as is, IPv6 by its /64 network (one host gets a whole /64).
    static func network(of ip: String) -> String {
        var address = in6_addr()
        guard ip.contains(":"), inet_pton(AF_INET6, ip, &address) == 1 else { return ip }
        let prefix = withUnsafeBytes(of: &address) { Array($0.prefix(8)) }
        return Hex.encode(prefix) + "/64"
    }
}
