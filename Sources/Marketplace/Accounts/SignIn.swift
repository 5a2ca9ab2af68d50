import Crypto
import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// A sign-in attempt with where it came from.
public struct SignInInput: Sendable {
    public let login: String
    public let password: String
    public let otp: String?
    public let ip: String
    public let userAgent: String

    public init(login: String, password: String, otp: String?, ip: String, userAgent: String) {
        self.login = login
        self.password = password
        self.otp = otp
        self.ip = ip
        self.userAgent = userAgent
    }
}

/// A new session: the token is shown once; only its hash is stored.
public struct IssuedSession: Sendable {
    public let token: String
    public let sessionId: String
    public let expiresAt: Int64
}

/// Sign-in with lockout, per-address throttling, identical failures and new-device notices (3.2, 4.x, 2.2).
public enum SignIn {
    public static func signIn(_ input: SignInInput, platform: Platform) async throws -> IssuedSession {
        let settings = platform.settings
        let now = platform.now
        let ipIndex = try platform.keys.blindIndex(input.ip, purpose: "ip")

        let ipFailures = try await LoginAttemptStore.recentFailures(
            ipIndex: ipIndex, since: now - settings.ipWindowSeconds * 1000, on: platform.db.sql)
        if ipFailures >= settings.ipFailureLimit {
            throw Problem.throttled(retryAfter: Int(settings.ipWindowSeconds))
        }

        let account: AccountRow?
        if let login = (try? Login(input.login)) {
            account = try await AccountStore.find(
                loginIndex: AccountFields.loginIndex(login, platform: platform), on: platform.db.sql)
        } else {
            account = nil
        }

        guard let account, account.status == "active" else {
            // Unknown login: spend the same bcrypt time as a wrong password, then fail identically.
            _ = try await PasswordHasher.verify(
                input.password, hash: PasswordHasher.decoyHash(cost: settings.passwordHashCost))
            try await recordFailure(account: nil, ipIndex: ipIndex, reason: "unknown-login", platform: platform)
            throw Problem.badCredentials
        }

        if let until = account.locked_until, until > now {
            try await AuditTrail.recordAlone(
                AuditEvent("account.login.locked", actor: account.id, subject: account.id, outcome: .denied),
                platform: platform)
            throw Problem.locked(retryAfter: Int((until - now + 999) / 1000))
        }

        guard try await PasswordHasher.verify(input.password, hash: account.password_hash) else {
            try await recordFailure(account: account, ipIndex: ipIndex, reason: "password", platform: platform)
            throw Problem.badCredentials
        }

        var usedSecondFactor = false
        if account.totp_enabled {
            guard let otp = input.otp, !otp.isEmpty else { throw Problem.otpRequired }
            guard try await TwoFactor.verifyAtSignIn(code: otp, account: account, platform: platform) else {
                try await recordFailure(account: account, ipIndex: ipIndex, reason: "otp", platform: platform)
                throw Problem.badCredentials
            }
            usedSecondFactor = true
        }
        return try await openSession(
            account: account, ipIndex: ipIndex, input: input, twoFactor: usedSecondFactor, platform: platform)
    }

    private static func openSession(
        account: AccountRow, ipIndex: String, input: SignInInput, twoFactor: Bool, platform: Platform
    ) async throws -> IssuedSession {
        let settings = platform.settings
        let now = platform.now
        let role = Role(rawValue: account.role) ?? .consumer
        let lifetime =
            role.kind == .consumer ? settings.consumerSessionLifetimeSeconds : settings.privilegedSessionLifetimeSeconds
        let token = SessionTokens.make()
        let session = SessionRow(
            id: Identifiers.make(), token_hash: SessionTokens.hash(token), account_id: account.id, now: now,
            expires_at: now + lifetime * 1000, idle_timeout_ms: settings.sessionIdleSeconds * 1000,
            two_factor: twoFactor, device_label: DeviceLabel.describe(userAgent: input.userAgent))
        let deviceIndex = try platform.keys.blindIndex("\(input.ip)|\(input.userAgent)", purpose: "device")
        try await platform.db.transaction { db in
            try await LoginAttemptStore.record(
                id: Identifiers.make(), accountId: account.id, ipIndex: ipIndex, succeeded: true, at: now, on: db)
            let hadDevices = try await KnownDeviceStore.count(accountId: account.id, on: db) > 0
            let isNew = try await KnownDeviceStore.remember(
                accountId: account.id, deviceIndex: deviceIndex, now: now, on: db)
            if isNew && hadDevices {
                try await SecurityNoticeStore.insert(
                    SecurityNoticeRow(
                        id: Identifiers.make(), account_id: account.id, kind: "new-device",
                        message: "New sign-in from a device or network not seen before (\(session.device_label)). "
                            + "If this was not you, change your password and revoke the session.",
                        created_at: now),
                    on: db)
            }
            try await SessionStore.insert(session, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "account.login.success", actor: account.id, subject: account.id, object: "session:\(session.id)",
                    details: ["newDevice": String(isNew && hadDevices), "twoFactor": String(twoFactor)]),
                platform: platform, on: db)
        }
        return IssuedSession(token: token, sessionId: session.id, expiresAt: session.expires_at)
    }

    /// Records a failure; the failure that reaches the threshold locks the account (PCI DSS 8.3.4).
    private static func recordFailure(
        account: AccountRow?, ipIndex: String, reason: String, platform: Platform
    ) async throws {
        let settings = platform.settings
        let now = platform.now
        try await platform.db.transaction { db in
            try await LoginAttemptStore.record(
                id: Identifiers.make(), accountId: account?.id, ipIndex: ipIndex, succeeded: false, at: now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "account.login.failure", actor: account?.id, subject: account?.id, outcome: .failure,
                    details: ["reason": reason]),
                platform: platform, on: db)
            guard let account else { return }
            let failures = try await LoginAttemptStore.recentFailures(
                accountId: account.id, since: now - settings.lockoutWindowSeconds * 1000, on: db)
            if failures >= settings.lockoutThreshold {
                try await AccountStore.setLockedUntil(
                    now + settings.lockoutDurationSeconds * 1000, id: account.id, now: now, on: db)
                try await LoginAttemptStore.clearFailures(accountId: account.id, on: db)
                try await SecurityNoticeStore.insert(
                    SecurityNoticeRow(
                        id: Identifiers.make(), account_id: account.id, kind: "locked",
                        message: "Your account was locked for \(settings.lockoutDurationSeconds / 60) minutes after "
                            + "\(failures) failed sign-ins.",
                        created_at: now),
                    on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "account.lockout", actor: nil, subject: account.id, outcome: .success,
                        details: ["failures": String(failures)]),
                    platform: platform, on: db)
            }
        }
    }
}

/// Opaque session tokens: 256 random bits, base64url, stored only as SHA-256.
enum SessionTokens {
    static func make() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "cvt_"
            + bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A short, non-identifying label for a session's device ("Firefox on Linux").
enum DeviceLabel {
    static func describe(userAgent: String) -> String {
        let ua = userAgent.lowercased()
        let browser =
            ua.contains("edg/")
            ? "Edge"
            : ua.contains("chrome") || ua.contains("chromium")
                ? "Chrome"
                : ua.contains("firefox")
                    ? "Firefox"
                    : ua.contains("safari")
                        ? "Safari"
                        : ua.contains("curl") ? "curl" : ua.isEmpty ? "Unknown client" : "Other client"
        let system =
            ua.contains("android")
            ? "Android"
            : ua.contains("iphone") || ua.contains("ipad")
                ? "iOS"
                : ua.contains("windows")
                    ? "Windows"
                    : ua.contains("mac os")
                        ? "macOS"
                        : ua.contains("linux") ? "Linux" : nil
        return system.map { "\(browser) on \($0)" } ?? browser
    }
}
