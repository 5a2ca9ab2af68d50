import Crypto
import Domain
import Foundation
import HummingbirdOTP
import SQLKit
import Storage

/// Enrolment in TOTP two-factor authentication (RFC 6238): the secret and the authenticator URL.
public struct TwoFactorEnrolment: Sendable, Codable {
    public let secret: String
    public let otpauthURL: String
}

/// TOTP (RFC 6238, 30 s steps, 6 digits) and one-time recovery codes (clause 3.2).
public enum TwoFactor {
    static let stepSeconds: Int64 = 30

    /// Starts enrolment: a new secret, stored encrypted and inactive until confirmed with a code.
    public static func begin(caller: Caller, platform: Platform) async throws -> TwoFactorEnrolment {
        guard !caller.twoFactorEnrolled else {
            throw Problem.conflict("Two-factor authentication is already on. Turn it off first to enrol again.")
        }
        let secret = randomSecret()
        let now = platform.now
        try await platform.db.transaction { db in
            let key = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: db)
            let cipher = try AccountFields.seal(
                secret, column: "totp_secret_cipher", accountId: caller.accountId, key: key)
            try await AccountStore.setTOTP(secretCipher: cipher, enabled: false, id: caller.accountId, now: now, on: db)
            try await AuditTrail.record(
                AuditEvent("account.2fa.enrol.start", actor: caller.accountId, subject: caller.accountId),
                platform: platform, on: db)
        }
        let url = TOTP(secret: secret).createAuthenticatorURL(label: "Covenant", issuer: "Covenant")
        let base32 = url.components(separatedBy: "secret=").last?.components(separatedBy: "&").first ?? ""
        return TwoFactorEnrolment(secret: base32, otpauthURL: url)
    }

    /// Confirms enrolment with a current code; returns ten one-time recovery codes (shown once).
    /// The current session counts as verified from then on.
    public static func confirm(code: String, caller: Caller, platform: Platform) async throws -> [String] {
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql),
            let cipher = account.totp_secret_cipher, !account.totp_enabled
        else { throw Problem.conflict("There is no two-factor enrolment waiting for confirmation.") }
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: platform.db.sql)
        let secret = try AccountFields.open(cipher, column: "totp_secret_cipher", accountId: account.id, key: key)
        guard let step = matchingStep(code: code, secret: secret, now: platform.now) else {
            throw Problem.invalid("otp", "The code is not correct. Check the time on your device and try again.")
        }
        let codes = (0..<10).map { _ in recoveryCode() }
        try await platform.db.transaction { db in
            try await AccountStore.setTOTP(
                secretCipher: cipher, enabled: true, id: account.id, now: platform.now, on: db)
            _ = try await AccountStore.advanceTOTPStep(step, id: account.id, on: db)
            try await RecoveryCodeStore.replace(accountId: account.id, hashes: codes.map(hashRecoveryCode), on: db)
            try await SessionStore.markTwoFactor(id: caller.sessionId, on: db)
            try await AuditTrail.record(
                AuditEvent("account.2fa.enrol", actor: account.id, subject: account.id), platform: platform, on: db)
        }
        return codes
    }

    /// Turns two-factor off (consumers only; it is mandatory for merchants and staff). Needs a current code.
    /// Failed codes count towards the lockout, so the six digits cannot be guessed.
    public static func disable(code: String, caller: Caller, ip: String, platform: Platform) async throws {
        try ensureMayDisable(caller: caller)
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql), account.totp_enabled
        else { throw Problem.conflict("Two-factor authentication is not on.") }
        try await LoginGuard.confirm(
            account: account, ip: ip, platform: platform, field: "otp", reason: "otp",
            detail: "The code is not correct."
        ) { try await verifyAtSignIn(code: code, account: account, platform: platform) }
        try await platform.db.transaction { db in
            try await AccountStore.setTOTP(secretCipher: nil, enabled: false, id: account.id, now: platform.now, on: db)
            try await RecoveryCodeStore.replace(accountId: account.id, hashes: [], on: db)
            try await AuditTrail.record(
                AuditEvent("account.2fa.reset", actor: account.id, subject: account.id), platform: platform, on: db)
        }
    }

    /// Two-factor is mandatory for merchants and staff (3.2): only consumers may turn it off.
    public static func ensureMayDisable(caller: Caller) throws {
        guard !caller.role.requiresTwoFactor else {
            throw Problem.forbidden("Two-factor authentication is mandatory for this account and cannot be turned off.")
        }
    }

    /// Checks a TOTP code (current step ± 1, never a step already used) or an unused recovery code.
    static func verifyAtSignIn(code: String, account: AccountRow, platform: Platform) async throws -> Bool {
        let trimmed = code.filter { !$0.isWhitespace }
        if trimmed.count == 6, trimmed.allSatisfy(\.isASCIIDigit), let cipher = account.totp_secret_cipher {
            let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: platform.db.sql)
            let secret = try AccountFields.open(cipher, column: "totp_secret_cipher", accountId: account.id, key: key)
            guard let step = matchingStep(code: trimmed, secret: secret, now: platform.now) else { return false }
            return try await platform.db.transaction { db in
                let fresh = try await AccountStore.advanceTOTPStep(step, id: account.id, on: db)
                if fresh {
                    try await AuditTrail.record(
                        AuditEvent(
                            "account.2fa.use", actor: account.id, subject: account.id, details: ["method": "totp"]),
                        platform: platform, on: db)
                }
                return fresh
            }
        }
        let used = try await platform.db.transaction { db in
            let consumed = try await RecoveryCodeStore.consume(
                hash: hashRecoveryCode(trimmed), accountId: account.id, now: platform.now, on: db)
            if consumed {
                try await AuditTrail.record(
                    AuditEvent(
                        "account.2fa.use", actor: account.id, subject: account.id, details: ["method": "recovery-code"]),
                    platform: platform, on: db)
            }
            return consumed
        }
        return used
    }

    /// The step whose code matches, compared in constant time.
    static func matchingStep(code: String, secret: String, now: Int64) -> Int64? {
        let current = now / 1000 / stepSeconds
        let totp = TOTP(secret: secret)
        let macKey = SymmetricKey(size: .bits256)
        let candidate = HMAC<SHA256>.authenticationCode(for: Data(code.utf8), using: macKey)
        for step in [current - 1, current, current + 1] {
            let expected = totp.compute(date: Date(timeIntervalSince1970: Double(step * stepSeconds)))
            let text = String(format: "%06d", expected)
            if HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: Data(text.utf8), using: macKey) {
                return step
            }
        }
        return nil
    }

    /// The current code for a secret (tests and the demo use it like an authenticator app would).
    public static func code(secretBase32: String, at millis: Int64) -> String? {
        guard let secret = Base32.decode(secretBase32) else { return nil }
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%06d", value)
    }

    private static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    /// 32 characters from a 32-symbol alphabet: 160 bits, used as the TOTP key bytes.
    private static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

    private static func recoveryCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let chars = (0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return String(chars[0..<4]) + "-" + String(chars[4..<8]) + "-" + String(chars[8..<12])
    }

    static func hashRecoveryCode(_ code: String) -> String {
        let normalized = code.uppercased().filter { $0 != "-" && !$0.isWhitespace }
        return Hex.encode(SHA256.hash(data: Data("recovery|\(normalized)".utf8)))
    }
}

/// RFC 4648 base32 decoding, for secrets shown to authenticator apps.
enum Base32 {
    static func decode(_ text: String) -> String? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0
        var value = 0
        var bytes: [UInt8] = []
        for char in text.uppercased() where char != "=" {
            guard let index = alphabet.firstIndex(of: char) else { return nil }
            value = (value << 5) | index
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((value >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
