public import Domain
import Foundation
import Privacy
public import SQLKit
import Storage

/// A consent in force, as shown to its holder.
public struct ConsentView: Sendable, Codable {
    public let purpose: String
    public let noticeVersion: String
    public let grantedAt: Int64
    /// False when it was given to an older notice: still valid for what that notice said, but asked again.
    public let current: Bool
}

/// Consent per purpose and notice version (clause 2.3.1): given and withdrawn by the person, each change
/// audited; processing that relies on a purpose calls `require` and is refused without a consent in force.
public enum Consents {
    public static func list(caller: Caller, platform: Platform) async throws -> [ConsentView] {
        try await ConsentStore.active(accountId: caller.accountId, on: platform.db.sql).map(view)
    }

    /// Gives consent to `purpose` under the notice version the person read; it must be the current one.
    public static func grant(purpose: ConsentPurpose, noticeVersion: String, caller: Caller, platform: Platform)
        async throws -> ConsentView
    {
        try await platform.db.transaction { db in
            try await grant(
                purpose: purpose, noticeVersion: noticeVersion, accountId: caller.accountId,
                platform: platform, on: db)
        }
    }

    /// Inside a caller's transaction (registration gives the account consent this way).
    @discardableResult
    static func grant(
        purpose: ConsentPurpose, noticeVersion: String, accountId: String, platform: Platform, on db: any SQLDatabase
    ) async throws -> ConsentView {
        guard noticeVersion == PrivacyNotice.current.version else {
            throw Problem.invalid(
                "noticeVersion",
                "The privacy notice is now version \(PrivacyNotice.current.version) (GET /api/v1/privacy-notice); "
                    + "read it and consent to that version.")
        }
        let existing = try await ConsentStore.active(accountId: accountId, on: db)
        if let same = existing.first(where: { $0.purpose == purpose.rawValue && $0.notice_version == noticeVersion }) {
            return view(same)
        }
        // A consent to an older notice is replaced by this one.
        let now = platform.now
        try await ConsentStore.withdraw(accountId: accountId, purpose: purpose.rawValue, now: now, on: db)
        let row = ConsentRow(
            id: Identifiers.make(), account_id: accountId, purpose: purpose.rawValue, notice_version: noticeVersion,
            granted_at: now)
        try await ConsentStore.insert(row, on: db)
        try await AuditTrail.record(
            AuditEvent(
                "consent.grant", actor: accountId, subject: accountId, object: "consent:\(purpose.rawValue)",
                details: ["purpose": purpose.rawValue, "noticeVersion": noticeVersion]),
            platform: platform, on: db)
        return view(row)
    }

    /// Withdraws consent; processing that relied on it stops at once (every use checks `require`).
    public static func withdraw(purpose: ConsentPurpose, caller: Caller, platform: Platform) async throws {
        guard purpose.withdrawable else {
            throw Problem.invalid(
                "purpose", "The account consent ends with the account: delete the account instead (DELETE /api/v1/me).")
        }
        try await platform.db.transaction { db in
            let ended = try await ConsentStore.withdraw(
                accountId: caller.accountId, purpose: purpose.rawValue, now: platform.now, on: db)
            guard ended > 0 else { throw Problem.notFound("A consent to \(purpose.rawValue)") }
            try await AuditTrail.record(
                AuditEvent(
                    "consent.withdraw", actor: caller.accountId, subject: caller.accountId,
                    object: "consent:\(purpose.rawValue)", details: ["purpose": purpose.rawValue]),
                platform: platform, on: db)
        }
    }

    /// Refuses processing for `purpose` unless the person's consent to it is in force.
    public static func require(_ purpose: ConsentPurpose, accountId: String, on db: any SQLDatabase) async throws {
        let active = try await ConsentStore.active(accountId: accountId, on: db)
        guard active.contains(where: { $0.purpose == purpose.rawValue }) else {
            throw Problem(
                type: "consent-required", status: 403, title: "Consent required",
                detail: "This needs your consent to \(purpose.rawValue) (see GET /api/v1/privacy-notice).",
                field: "purpose")
        }
    }

    private static func view(_ row: ConsentRow) -> ConsentView {
        ConsentView(
            purpose: row.purpose, noticeVersion: row.notice_version, grantedAt: row.granted_at,
            current: row.notice_version == PrivacyNotice.current.version)
    }
}
