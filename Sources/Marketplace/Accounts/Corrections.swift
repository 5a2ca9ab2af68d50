import Domain
import Foundation
import SQLKit
import Storage

/// What a holder asks to correct; nil leaves a field as it is.
public struct CorrectionInput: Sendable {
    public let displayName: String?
    public let login: String?
    /// Needed to change the login, which is how the account is found and signed in to.
    public let currentPassword: String?

    public init(displayName: String?, login: String?, currentPassword: String?) {
        self.displayName = displayName
        self.login = login
        self.currentPassword = currentPassword
    }
}

/// The right to correct (clause 2.3.5; PIPL Art. 46): the holder corrects their own fields, at once, audited.
/// The audit details name the fields, never their values.
public enum Corrections {
    public static func correct(_ input: CorrectionInput, caller: Caller, ip: String, platform: Platform)
        async throws -> ProfileView
    {
        guard input.displayName != nil || input.login != nil else {
            throw Problem.malformed("Give displayName, login, or both.")
        }
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql) else {
            throw Problem.unauthenticated
        }
        let displayName = try input.displayName.map(Registration.validDisplayName)
        let login = try input.login.map(Registration.validLogin)
        var loginIndex: String?
        if let login {
            let index = try AccountFields.loginIndex(login, platform: platform)
            if index != account.login_index, try await AccountStore.find(loginIndex: index, on: platform.db.sql) != nil
            {
                throw Problem.conflict("An account with this login already exists.")
            }
            guard let password = input.currentPassword else {
                throw Problem.invalid("currentPassword", "Changing the login needs the current password.")
            }
            try await LoginGuard.confirm(
                account: account, ip: ip, platform: platform, field: "currentPassword", reason: "correct-login",
                detail: "The current password is not correct."
            ) { try await PasswordHasher.verify(password, hash: account.password_hash) }
            loginIndex = index
        }
        let now = platform.now
        let newIndex = loginIndex
        try await platform.db.transaction { db in
            let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
            var fields: [String] = []
            if let displayName {
                let cipher = try AccountFields.seal(
                    displayName, column: "display_name_cipher", accountId: account.id, key: key)
                try await AccountStore.setDisplayName(cipher: cipher, id: account.id, now: now, on: db)
                fields.append("displayName")
            }
            if let login, let newIndex {
                let cipher = try AccountFields.seal(
                    login.normalized, column: "login_cipher", accountId: account.id, key: key)
                let kind = if case .phone = login { "phone" } else { "email" }
                try await AccountStore.setLogin(
                    kind: kind, index: newIndex, cipher: cipher, id: account.id, now: now, on: db)
                try await RealName.numberChanged(accountId: account.id, platform: platform, on: db)
                fields.append("login")
            }
            try await AuditTrail.record(
                AuditEvent(
                    "privacy.correct", actor: account.id, subject: account.id, object: "account",
                    details: ["fields": fields.joined(separator: ",")]),
                platform: platform, on: db)
        }
        return try await Profile.me(caller: caller, platform: platform)
    }
}
