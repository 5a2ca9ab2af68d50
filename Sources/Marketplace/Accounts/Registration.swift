public import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// What a person submits to open an account.
public struct RegistrationInput: Sendable {
    public let kind: AccountKind
    public let login: String
    public let password: String
    public let displayName: String

    public init(kind: AccountKind, login: String, password: String, displayName: String) {
        self.kind = kind
        self.login = login
        self.password = password
        self.displayName = displayName
    }
}

public enum Registration {
    /// Self-service registration of consumers and merchant owners.
    public static func register(_ input: RegistrationInput, platform: Platform) async throws -> String {
        let role: Role
        switch input.kind {
        case .consumer: role = .consumer
        case .merchant: role = .owner
        case .staff, .provider:
            throw Problem.invalid("kind", "Only consumer and merchant accounts can be registered here.")
        }
        return try await create(
            role: role, merchantId: nil, login: input.login, password: input.password,
            displayName: input.displayName, mustChangePassword: false, actor: nil, platform: platform)
    }

    /// Creates an account of any role. `merchantId` nil for a merchant owner means "its own id".
    static func create(
        role: Role, merchantId: String?, login rawLogin: String, password: String, displayName rawName: String,
        mustChangePassword: Bool, actor: String?, platform: Platform
    ) async throws -> String {
        let login = try validLogin(rawLogin)
        let displayName = try validDisplayName(rawName)
        if let why = platform.passwordPolicy.rejection(password: password, login: login.normalized) {
            throw Problem.invalid("password", why)
        }
        let loginIndex = try AccountFields.loginIndex(login, platform: platform)
        if try await AccountFields.account(login: login, platform: platform, on: platform.db.sql) != nil {
            throw Problem.conflict("An account with this login already exists.")
        }
        let hash = try await PasswordHasher.hash(password, cost: platform.settings.passwordHashCost)
        let id = Identifiers.make()
        let now = platform.now
        let loginKind = if case .phone = login { "phone" } else { "email" }
        do {
            try await platform.db.transaction { db in
                let key = try await SubjectKeys.keyForWriting(subject: id, platform: platform, on: db)
                let row = AccountRow(
                    id: id, kind: role.kind.rawValue, role: role.rawValue,
                    merchant_id: role == .owner ? id : merchantId, login_kind: loginKind, login_index: loginIndex,
                    login_cipher: try AccountFields.seal(
                        login.normalized, column: "login_cipher", accountId: id, key: key),
                    display_name_cipher: try AccountFields.seal(
                        displayName, column: "display_name_cipher", accountId: id, key: key),
                    password_hash: hash, must_change_password: mustChangePassword, status: "active", now: now)
                try await AccountStore.insert(row, on: db)
                // Registering is consenting to the current notice for the account purpose (2.3.1).
                try await Consents.grant(
                    purpose: .account, noticeVersion: PrivacyNotice.current.version, accountId: id,
                    platform: platform, on: db)
                // Opening an account accepts the rulebook in force (2.5); sub-accounts act under their merchant's.
                let rules =
                    role == .owner || role == .consumer
                    ? try await Rulebook.acceptCurrent(party: id, account: id, now: now, on: db) : []
                try await AuditTrail.record(
                    AuditEvent(
                        "account.register", actor: actor ?? id, subject: id, object: "account",
                        details: ["role": role.rawValue, "rulesAccepted": rules.joined(separator: ",")]),
                    platform: platform, on: db)
            }
        } catch {
            // A concurrent registration of the same login loses on the unique index.
            if try await AccountStore.find(loginIndex: loginIndex, on: platform.db.sql) != nil {
                throw Problem.conflict("An account with this login already exists.")
            }
            throw error
        }
        return id
    }

    static func validLogin(_ raw: String) throws -> Login {
        guard let login = (try? Login(raw)) else {
            throw Problem.invalid("login", "The login must be a mainland mobile number or an e-mail address.")
        }
        return login
    }

    static func validDisplayName(_ raw: String) throws -> String {
        do {
            return try TextInput.singleLine(maximumLength: 64).validate(raw)
        } catch {
            throw Problem.invalid(
                "displayName", "The display name must be 1 to 64 characters, without control characters.")
        }
    }
}
