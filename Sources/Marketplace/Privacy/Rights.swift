import Domain
import Foundation
import Logging
import SQLKit
import Storage

/// A tracked rights request as its owner or staff sees it.
public struct PrivacyRequestView: Sendable, Codable, Equatable {
    public let id: String
    public let accountId: String
    public let kind: String
    public let status: String
    public let createdAt: Int64
    public let dueAt: Int64
    public let completedAt: Int64?
    public let overdue: Bool
}

/// Everything stored about a person, in full, as JSON (clause 2.3.5 "query").
public struct PersonalDataExport: Sendable, Codable {
    public struct Account: Sendable, Codable {
        public let id: String
        public let kind: String
        public let role: String
        public let merchantId: String?
        public let login: String
        public let loginKind: String
        public let displayName: String
        public let twoFactorEnabled: Bool
        public let status: String
        public let createdAt: Int64
        public let updatedAt: Int64
    }
    public let exportedAt: Int64
    public let account: Account
    public let sessions: [SessionView]
    public let securityNotices: [SecurityNoticeView]
    public let privacyRequests: [PrivacyRequestView]
    public let accessReceipts: [AuditEventView]
    public let consents: [ConsentView]
    public let verification: Verification
    public let cart: [CartLineView]
    public let orders: [OrderView]
    /// How each checkout was paid: status, amount, card brand and last four digits (the token is the institution's).
    public let payments: [PaymentView]
    public let reviews: [ReviewView]

    /// The real-name verification with what was submitted, in full (it is the holder's own data).
    public struct Verification: Sendable, Codable {
        public let status: String
        public let reason: String?
        public let name: String?
        public let residentId: String?
        public let submittedAt: Int64?
        public let decidedAt: Int64?
    }
}

/// The rights of the person (2.3.5): query (export), delete (erase), and the tracked requests with their
/// deadlines of 15 working days.
public enum Rights {
    static let workingDaysToAnswer = 15

    public static func export(caller: Caller, platform: Platform) async throws -> PersonalDataExport {
        let db = platform.db.sql
        guard let account = try await AccountStore.find(id: caller.accountId, on: db) else {
            throw Problem.unauthenticated
        }
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        let full = PersonalDataExport.Account(
            id: account.id, kind: account.kind, role: account.role, merchantId: account.merchant_id,
            login: try AccountFields.open(
                account.login_cipher, column: "login_cipher", accountId: account.id, key: key),
            loginKind: account.login_kind,
            displayName: try AccountFields.open(
                account.display_name_cipher, column: "display_name_cipher", accountId: account.id, key: key),
            twoFactorEnabled: account.totp_enabled, status: account.status, createdAt: account.created_at,
            updatedAt: account.updated_at)
        let export = PersonalDataExport(
            exportedAt: platform.now, account: full,
            sessions: try await Sessions.list(caller: caller, platform: platform),
            securityNotices: try await Profile.notices(caller: caller, platform: platform),
            privacyRequests: try await requests(caller: caller, platform: platform),
            accessReceipts: try await AuditQueries.receipts(caller: caller, platform: platform),
            consents: try await Consents.list(caller: caller, platform: platform),
            verification: try await RealName.export(accountId: account.id, key: key, platform: platform),
            cart: caller.role.permissions.contains(.shop)
                ? try await Orders.cart(caller: caller, platform: platform) : [],
            orders: caller.role.permissions.contains(.shop)
                ? try await Orders.mine(caller: caller, platform: platform, masked: false) : [],
            payments: try await Payments.mine(accountId: account.id, platform: platform),
            reviews: try await ReviewStore.list(buyerId: account.id, on: db).map(Reviews.view))
        try await completedRequest(kind: "export", caller: caller, platform: platform)
        return export
    }

    /// What became of an erasure request.
    public enum ErasureOutcome: Sendable {
        /// Done at once: the data key is destroyed.
        case erased
        /// Queued for staff (merchant and staff accounts have obligations to settle first), with its deadline.
        case queued(PrivacyRequestView)
    }

    /// Erases the caller's personal data by destroying their data key (crypto-shredding), after checking
    /// the password again. What law requires to be kept stays as unreadable, storage-only records.
    /// Merchant and staff accounts get a tracked request in the staff queue instead.
    public static func erase(password: String, caller: Caller, ip: String, platform: Platform) async throws
        -> ErasureOutcome
    {
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql) else {
            throw Problem.unauthenticated
        }
        try await LoginGuard.confirm(
            account: account, ip: ip, platform: platform, field: "password", reason: "erase-password",
            detail: "The password is not correct."
        ) { try await PasswordHasher.verify(password, hash: account.password_hash) }
        let now = platform.now
        guard caller.kind == .consumer else {
            let request = PrivacyRequestRow(
                id: Identifiers.make(), account_id: account.id, kind: "delete", status: "open", created_at: now,
                due_at: dueDate(from: now))
            try await platform.db.transaction { db in
                try await PrivacyRequestStore.insert(request, on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "privacy.request.open", actor: account.id, subject: account.id, details: ["kind": "delete"]),
                    platform: platform, on: db)
            }
            return .queued(view(request, now: now))
        }
        try await platform.db.transaction { db in
            let request = PrivacyRequestRow(
                id: Identifiers.make(), account_id: account.id, kind: "delete", status: "completed", created_at: now,
                due_at: dueDate(from: now))
            try await PrivacyRequestStore.insert(request, on: db)
            try await PrivacyRequestStore.complete(id: request.id, handledBy: "self-service", now: now, on: db)
            // The audit event is written first, under the key that is about to be destroyed.
            try await AuditTrail.record(
                AuditEvent("privacy.erase", actor: account.id, subject: account.id, object: "account"),
                platform: platform, on: db)
            try await SessionStore.revokeAll(accountId: account.id, except: nil, now: now, on: db)
            try await ErasureStore.tombstone(accountId: account.id, now: now, on: db)
            try await ErasureStore.destroyKey(subjectId: account.id, now: now, on: db)
            try await ConsentStore.withdrawAll(accountId: account.id, now: now, on: db)
        }
        // After the commit, so no request running meanwhile can have put the key back.
        platform.auditKeys.forget(account.id)
        do {
            try platform.erasureJournal?.record(account.id, at: now)
        } catch {
            platform.logger.error(
                "could not append to the erasure journal", metadata: ["error.type": "\(type(of: error))"])
        }
        return .erased
    }

    public static func requests(caller: Caller, platform: Platform) async throws -> [PrivacyRequestView] {
        try await PrivacyRequestStore.list(accountId: caller.accountId, on: platform.db.sql).map {
            view($0, now: platform.now)
        }
    }

    /// Open requests for staff, oldest deadline first, overdue ones flagged.
    public static func queue(caller: Caller, platform: Platform) async throws -> [PrivacyRequestView] {
        try caller.require(.handlePrivacyRequests)
        return try await PrivacyRequestStore.open(on: platform.db.sql).map { view($0, now: platform.now) }
    }

    /// 15 working days (Monday to Friday, China Standard Time) after `millis`.
    public static func dueDate(from millis: Int64) -> Int64 {
        var day = millis
        var left = workingDaysToAnswer
        while left > 0 {
            day += 86_400_000
            // 1970-01-01 was a Thursday; shift by UTC+8 to count local days.
            let weekday = ((day + 8 * 3_600_000) / 86_400_000 + 4) % 7  // 0 = Sunday
            if weekday != 0 && weekday != 6 { left -= 1 }
        }
        return day
    }

    private static func completedRequest(kind: String, caller: Caller, platform: Platform) async throws {
        let now = platform.now
        try await platform.db.transaction { db in
            let row = PrivacyRequestRow(
                id: Identifiers.make(), account_id: caller.accountId, kind: kind, status: "completed", created_at: now,
                due_at: dueDate(from: now))
            try await PrivacyRequestStore.insert(row, on: db)
            try await PrivacyRequestStore.complete(id: row.id, handledBy: "self-service", now: now, on: db)
            try await AuditTrail.record(
                AuditEvent("privacy.\(kind)", actor: caller.accountId, subject: caller.accountId),
                platform: platform, on: db)
        }
    }

    private static func view(_ row: PrivacyRequestRow, now: Int64) -> PrivacyRequestView {
        PrivacyRequestView(
            id: row.id, accountId: row.account_id, kind: row.kind, status: row.status, createdAt: row.created_at,
            dueAt: row.due_at, completedAt: row.completed_at, overdue: row.completed_at == nil && now > row.due_at)
    }
}
