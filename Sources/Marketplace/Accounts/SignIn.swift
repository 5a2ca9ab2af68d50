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
        var account: AccountRow?
        if let login = try? Login(input.login) {
            account = try await AccountFields.account(login: login, platform: platform, on: platform.db.sql)
        }
        if account?.status != "active" { account = nil }
        let guarded = try LoginGuard(platform: platform, rawLogin: input.login, accountId: account?.id, ip: input.ip)
        // Counted before the password is checked, so parallel guesses cannot exceed the lockout.
        let attempt = try await guarded.reserve()

        // Unknown logins spend the same bcrypt time as wrong passwords and fail identically.
        let hash = account?.password_hash ?? platform.decoyPasswordHash
        guard try await PasswordHasher.verify(input.password, hash: hash), let account else {
            try await guarded.failed(attempt, reason: account == nil ? "unknown-login" : "password")
            throw Problem.badCredentials
        }
        var usedSecondFactor = false
        if account.totp_enabled {
            guard let otp = input.otp, !otp.isEmpty else {
                try await guarded.neutral(attempt)
                throw Problem.otpRequired
            }
            guard try await TwoFactor.verifyAtSignIn(code: otp, account: account, platform: platform) else {
                try await guarded.failed(attempt, reason: "otp")
                throw Problem.badCredentials
            }
            usedSecondFactor = true
        }
        // Without an authenticator, a code sent to the login when the risk engine asked for one confirms it.
        var confirmedByCode = false
        if !account.totp_enabled, let code = input.otp, !code.isEmpty {
            guard try await StepUpCodes.verify(code, account: account, purpose: "sign-in", platform: platform) else {
                try await guarded.failed(attempt, reason: "step-up-code")
                throw Problem.badCredentials
            }
            confirmedByCode = true
        }
        try await PasswordHasher.upgradeIfWeaker(input.password, account: account, platform: platform)
        // The risk engine sees the sign-in (new device and network, velocity); a block refuses it, and a
        // challenge needs the second factor or, for an account without one, a code sent to its login (2.4.3, 3.2).
        do {
            try await RiskChecks.signIn(
                account: account, clientAddress: input.ip,
                deviceIndex: try platform.keys.blindIndex("\(input.ip)|\(input.userAgent)", purpose: "device"),
                confirmed: usedSecondFactor || confirmedByCode, platform: platform)
        } catch let problem as Problem where problem.type == RiskChecks.stepUp.type {
            try await guarded.neutral(attempt)
            throw try await StepUpCodes.send(to: account, purpose: "sign-in", platform: platform)
        }
        return try await openSession(
            account: account, guarded: guarded, attempt: attempt, input: input, twoFactor: usedSecondFactor,
            platform: platform)
    }

    private static func openSession(
        account: AccountRow, guarded: LoginGuard, attempt: String, input: SignInInput, twoFactor: Bool,
        platform: Platform
    ) async throws -> IssuedSession {
        let settings = platform.settings
        let now = platform.now
        let role = Role(rawValue: account.role) ?? .consumer
        let lifetime =
            role.kind == .consumer ? settings.consumerSessionLifetimeSeconds : settings.privilegedSessionLifetimeSeconds
        let token = SessionTokens.make()
        // A new version of the rulebook binds from the next sign-in (2.5): decided here, once per session.
        let rulesPending =
            role.kind == .consumer || role.kind == .merchant
            ? try await !RulebookStore.unaccepted(
                party: account.merchant_id ?? account.id, now: now, on: platform.db.sql
            ).isEmpty : false
        let session = SessionRow(
            id: Identifiers.make(), token_hash: SessionTokens.hash(token), account_id: account.id, now: now,
            expires_at: now + lifetime * 1000, idle_timeout_ms: settings.sessionIdleSeconds * 1000,
            two_factor: twoFactor, device_label: DeviceLabel.describe(userAgent: input.userAgent),
            rules_pending: rulesPending)
        let deviceIndex = try platform.keys.blindIndex("\(input.ip)|\(input.userAgent)", purpose: "device")
        try await platform.db.transaction { db in
            try await guarded.succeeded(attempt, on: db)
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
}

/// Opaque session tokens: 256 random bits, base64url, stored only as SHA-256.
enum SessionTokens {
    static func make() -> String {
        "cvt_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URL
    }

    static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
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
