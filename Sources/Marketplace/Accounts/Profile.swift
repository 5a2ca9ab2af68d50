import Domain
import Foundation
import SQLKit
import Storage

/// An account as its holder sees it day to day: personal fields masked, even to the owner (2.3.2).
public struct ProfileView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: String
    public let role: String
    public let merchantId: String?
    public let login: String
    public let displayName: String
    public let twoFactorEnabled: Bool
    public let twoFactorRequired: Bool
    public let mustChangePassword: Bool
    public let createdAt: Int64
}

public struct SecurityNoticeView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: String
    public let message: String
    public let createdAt: Int64
}

public enum Profile {
    public static func me(caller: Caller, platform: Platform) async throws -> ProfileView {
        let db = platform.db.sql
        guard let account = try await AccountStore.find(id: caller.accountId, on: db) else {
            throw Problem.unauthenticated
        }
        return try await maskedView(of: account, platform: platform, on: db)
    }

    /// The masked view of any account: the masking does not depend on who asks (reveals are separate).
    static func maskedView(of account: AccountRow, platform: Platform, on db: any SQLDatabase) async throws
        -> ProfileView
    {
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        let login = try AccountFields.open(
            account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
        let name = try AccountFields.open(
            account.display_name_cipher, column: "display_name_cipher", accountId: account.id, key: key)
        let role = Role(rawValue: account.role) ?? .consumer
        return ProfileView(
            id: account.id, kind: account.kind, role: account.role, merchantId: account.merchant_id,
            login: (try? Login(login)).map(Masking.mask(login:)) ?? "***",
            displayName: Masking.mask(name: name), twoFactorEnabled: account.totp_enabled,
            twoFactorRequired: role.requiresTwoFactor, mustChangePassword: account.must_change_password,
            createdAt: account.created_at)
    }

    public static func notices(caller: Caller, platform: Platform) async throws -> [SecurityNoticeView] {
        try await SecurityNoticeStore.list(accountId: caller.accountId, on: platform.db.sql).map {
            SecurityNoticeView(id: $0.id, kind: $0.kind, message: $0.message, createdAt: $0.created_at)
        }
    }
}
