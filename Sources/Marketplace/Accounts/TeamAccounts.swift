import Crypto
public import Domain
import Foundation
import SQLKit
import Storage

/// A new sub-account or staff account with its one-time password (shown once, must be changed).
public struct CreatedAccount: Sendable, Codable {
    public let id: String
    public let oneTimePassword: String
}

/// Merchant staff sub-accounts (3.2) and platform staff accounts (2.3.3).
public enum TeamAccounts {
    /// A merchant owner adds a staff member with one role to their own store.
    public static func addMerchantStaff(
        caller: Caller, login: String, displayName: String, role: Role, platform: Platform
    ) async throws -> CreatedAccount {
        try caller.require(.manageMerchantStaff)
        guard Role.merchantStaffRoles.contains(role), let merchantId = caller.merchantId else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        let password = oneTimePassword()
        let id = try await Registration.create(
            role: role, merchantId: merchantId, login: login, password: password, displayName: displayName,
            mustChangePassword: true, actor: caller.accountId, platform: platform)
        return CreatedAccount(id: id, oneTimePassword: password)
    }

    /// The staff of the caller's own store; the merchant id is in the query.
    public static func listMerchantStaff(caller: Caller, platform: Platform) async throws -> [ProfileView] {
        try caller.require(.viewMerchantStaff)
        guard let merchantId = caller.merchantId else { return [] }
        let db = platform.db.sql
        var views: [ProfileView] = []
        for row in try await AccountStore.list(merchantId: merchantId, on: db) {
            views.append(try await Profile.maskedView(of: row, platform: platform, on: db))
        }
        return views
    }

    /// A merchant owner gives a staff member of their store another staff role; it applies from the member's
    /// next request, since every request reads the role afresh.
    public static func changeMerchantStaffRole(_ id: String, to role: Role, caller: Caller, platform: Platform)
        async throws -> ProfileView
    {
        try caller.require(.manageMerchantStaff)
        guard Role.merchantStaffRoles.contains(role) else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        return try await platform.db.transaction { db in
            let member = try await staffMember(id, caller: caller, on: db)
            try await AccountStore.setRole(role.rawValue, id: id, now: platform.now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "merchant.staff.role", actor: caller.accountId, subject: id, object: "account",
                    details: ["from": member.role, "to": role.rawValue]),
                platform: platform, on: db)
            guard let changed = try await AccountStore.find(id: id, on: db) else {
                throw Problem.notFound("The staff member")
            }
            return try await Profile.maskedView(of: changed, platform: platform, on: db)
        }
    }

    /// A merchant owner removes a staff member (someone leaving the store): the account is disabled and every
    /// session ended at once, so nothing they had open keeps working. Their past actions stay attributed.
    public static func removeMerchantStaff(_ id: String, caller: Caller, platform: Platform) async throws {
        try caller.require(.manageMerchantStaff)
        try await platform.db.transaction { db in
            let member = try await staffMember(id, caller: caller, on: db)
            try await AccountStore.setStatus("disabled", id: id, now: platform.now, on: db)
            try await SessionStore.revokeAll(accountId: id, except: nil, now: platform.now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "merchant.staff.remove", actor: caller.accountId, subject: id, object: "account",
                    details: ["role": member.role]),
                platform: platform, on: db)
        }
    }

    /// The caller's own active staff member (never the owner, never another store's), or 404.
    static func staffMember(_ id: String, caller: Caller, on db: any SQLDatabase) async throws -> AccountRow {
        guard let merchantId = caller.merchantId,
            let member = try await AccountStore.findStaff(
                id: id, merchantId: merchantId, roles: Role.merchantStaffRoles.map(\.rawValue), on: db)
        else { throw Problem.notFound("The staff member") }
        return member
    }

    /// Creates a platform staff account (from the CLI, run by the operator on the server).
    public static func addPlatformStaff(
        role: Role, login: String, displayName: String, password: String?, platform: Platform
    )
        async throws -> CreatedAccount
    {
        guard Role.platformStaffRoles.contains(role) else {
            throw Problem.invalid(
                "role", "A staff role is one of: " + Role.platformStaffRoles.map(\.rawValue).joined(separator: ", "))
        }
        let secret = password ?? oneTimePassword()
        let id = try await Registration.create(
            role: role, merchantId: nil, login: login, password: secret, displayName: displayName,
            mustChangePassword: password == nil, actor: nil, platform: platform)
        return CreatedAccount(id: id, oneTimePassword: secret)
    }

    /// Accounts for staff with `accounts.list`: masked, paginated.
    public static func listAccounts(caller: Caller, limit: Int, offset: Int, platform: Platform) async throws
        -> [ProfileView]
    {
        try caller.require(.listAccounts)
        let db = platform.db.sql
        var views: [ProfileView] = []
        for row in try await AccountStore.list(limit: max(1, min(limit, 100)), offset: max(0, offset), on: db) {
            views.append(try await Profile.maskedView(of: row, platform: platform, on: db))
        }
        return views
    }

    /// Lifts a lockout early (staff with `accounts.unlock`).
    public static func unlock(accountId: String, caller: Caller, platform: Platform) async throws {
        try caller.require(.unlockAccounts)
        try await platform.db.transaction { db in
            guard let account = try await AccountStore.find(id: accountId, on: db) else {
                throw Problem.notFound("The account")
            }
            try await LoginGuard.unlock(loginIndex: account.login_index, platform: platform, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "account.unlock", actor: caller.accountId, subject: accountId, object: "account"),
                platform: platform, on: db)
        }
    }

    /// 20 characters from a 57-symbol alphabet (~116 bits): never in a common list, shown once.
    static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let chars = (0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return stride(from: 0, to: 20, by: 5).map { String(chars[$0..<$0 + 5]) }.joined(separator: "-")
    }
}
