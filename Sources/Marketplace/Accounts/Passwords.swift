import Domain
import Foundation
import HummingbirdBcrypt
import NIOPosix
import Storage
import Synchronization

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

    /// A hash that matches nothing, checked for unknown logins so that they take as long as wrong passwords.
    static func decoyHash(cost: Int) -> String {
        decoys.withLock { cache in
            if let hash = cache[cost] { return hash }
            let hash = Bcrypt.hash(UUID().uuidString, cost: UInt8(cost))
            cache[cost] = hash
            return hash
        }
    }
    private static let decoys = Mutex<[Int: String]>([:])
}

public enum Passwords {
    /// Replaces the caller's password after checking the current one (also ends a one-time password).
    public static func change(caller: Caller, current: String, new: String, platform: Platform) async throws {
        guard let account = try await AccountStore.find(id: caller.accountId, on: platform.db.sql) else {
            throw Problem.unauthenticated
        }
        guard try await PasswordHasher.verify(current, hash: account.password_hash) else {
            try await AuditTrail.recordAlone(
                AuditEvent("account.password.change", actor: caller.accountId, outcome: .failure), platform: platform)
            throw Problem.invalid("currentPassword", "The current password is not correct.")
        }
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
