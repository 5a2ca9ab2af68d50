import Crypto
import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// The one-time code that meets a risk challenge when the account has no authenticator app (clause 2.4.3;
/// issue 6): six digits sent to the account's own login (a text message to a mobile number, an e-mail to an
/// address), valid five minutes, five tries. Only an HMAC of the code under the holder's data key is stored.
enum StepUpCodes {
    static let lifetimeMillis: Int64 = 5 * 60_000
    static let maximumAttempts: Int64 = 5
    /// A code is not sent again within this time: the number is not flooded, and codes cannot be farmed.
    static let resendMillis: Int64 = 60_000

    /// Sends a new code (unless one was sent within a minute) and returns the problem that tells the caller
    /// where it went; the problem names the channel, never the number or address.
    static func send(to account: AccountRow, purpose: String, platform: Platform) async throws -> Problem {
        let db = platform.db.sql
        let now = platform.now
        let channel = account.login_kind == "phone" ? "sms" : "email"
        if let previous = try await StepUpCodeStore.find(accountId: account.id, on: db),
            previous.purpose == purpose, now - previous.issued_at < resendMillis
        {
            return codeSent(channel: channel)
        }
        let code = OneTimeCodes.make()
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        let row = StepUpCodeRow(
            accountId: account.id, purpose: purpose, codeMAC: OneTimeCodes.mac(code, label: label(purpose), key: key),
            issuedAt: now,
            expiresAt: now + lifetimeMillis)
        try await platform.db.transaction { db in
            try await StepUpCodeStore.replace(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "risk.step_up.sent", actor: nil, subject: account.id, object: "account:\(account.id)",
                    details: ["purpose": purpose, "channel": channel]),
                platform: platform, on: db)
        }
        let login = try AccountFields.open(
            account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
        let text = "Your Covenant confirmation code is \(code). It expires in 5 minutes. Never share it."
        if channel == "sms" {
            try await platform.textMessages.send(to: login, text: "【Covenant】\(text)")
        } else {
            try await platform.emails.send(to: login, subject: "Confirm your sign-in", body: text)
        }
        return codeSent(channel: channel)
    }

    /// Whether `code` is the one sent for `purpose`; a right code is used up, a spent or expired one removed.
    static func verify(_ code: String, account: AccountRow, purpose: String, platform: Platform) async throws -> Bool {
        let db = platform.db.sql
        guard let row = try await StepUpCodeStore.find(accountId: account.id, on: db), row.purpose == purpose
        else { return false }
        guard platform.now < row.expires_at,
            try await StepUpCodeStore.countAttempt(accountId: account.id, limit: maximumAttempts, on: db)
        else {
            try await StepUpCodeStore.delete(accountId: account.id, on: db)
            return false
        }
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        let matches = OneTimeCodes.matches(code, label: label(purpose), mac: row.code_mac, key: key)
        try await platform.db.transaction { db in
            if matches { try await StepUpCodeStore.delete(accountId: account.id, on: db) }
            try await AuditTrail.record(
                AuditEvent(
                    "risk.step_up.verify", actor: account.id, subject: account.id, object: "account:\(account.id)",
                    outcome: matches ? .success : .failure, details: ["purpose": purpose]),
                platform: platform, on: db)
        }
        return matches
    }

    static func codeSent(channel: String) -> Problem {
        Problem(
            type: "step-up-code-sent", status: 401, title: "Confirm it is you",
            detail: "This sign-in needs confirming: a one-time code was sent to your "
                + (channel == "sms" ? "mobile number" : "e-mail address")
                + ". Sign in again with the code as 'otp' within 5 minutes.")
    }

    private static func label(_ purpose: String) -> String { "step-up|\(purpose)" }
}
