import Domain
import Foundation
import HummingbirdBcrypt
import NIOPosix
import Storage

/// The shipped list of common and breached passwords (Resources/common-passwords.txt).
enum CommonPasswords {
    static let list: Set<String> = {
        guard
            let url = Bundle.module.url(
                forResource: "common-passwords", withExtension: "txt", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return Set(text.split(separator: "\n").map { String($0) })
    }()
}

/// bcrypt hashing and checking, run on a thread pool so the event loops and the cooperative pool stay free.
enum PasswordHasher {
    static func hash(_ password: String, cost: Int) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: UInt8(cost)) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash that matches nothing (built once, at start-up).
    static func decoyHash(cost: Int) -> String {
        Bcrypt.hash(UUID().uuidString, cost: UInt8(cost))
    }

    /// The cost a bcrypt hash was made with (`$2b$12$…` → 12).
    static func cost(of hash: String) -> Int? {
        let parts = hash.split(separator: "$")
        return parts.count >= 3 ? Int(parts[1]) : nil
    }

    /// After a successful sign-in, re-hashes a password stored with a lower cost than the current setting.
    static func upgradeIfWeaker(_ password: String, account: AccountRow, platform: Platform) async throws {
        guard let cost = cost(of: account.password_hash), cost < platform.settings.passwordHashCost else { return }
        let hash = try await self.hash(password, cost: platform.settings.passwordHashCost)
        try await AccountStore.setPasswordHash(hash, id: account.id, now: platform.now, on: platform.db.sql)
    }
}

public enum Passwords {
    /// Replaces the caller's password after checking the current one (also ends a one-time password).
    /// Failed checks of the current password count towards the lockout like failed sign-ins.
    public static func change(caller: Caller, current: String, new: String, ip: String, platform: Platform)
        async throws
    {
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql) else {
            throw Problem.unauthenticated
        }
        try await LoginGuard.confirm(
            account: account, ip: ip, platform: platform, field: "currentPassword", reason: "current-password",
            detail: "The current password is not correct."
        ) { try await PasswordHasher.verify(current, hash: account.password_hash) }
        let login = try await AccountFields.login(of: account, platform: platform, on: platform.db.sql)
        if let why = platform.passwordPolicy.rejection(password: new, login: login) {
            throw Problem.invalid("newPassword", why)
        }
        let hash = try await PasswordHasher.hash(new, cost: platform.settings.passwordHashCost)
        let now = platform.now
        try await platform.db.transaction { db in
            try await AccountStore.setPassword(hash: hash, id: caller.accountId, now: now, on: db)
            try await SessionStore.revokeAll(accountId: caller.accountId, except: caller.sessionId, now: now, on: db)
            try await AuditTrail.record(
                AuditEvent("account.password.change", actor: caller.accountId), platform: platform, on: db)
        }
    }
}
