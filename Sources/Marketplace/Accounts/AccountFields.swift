import Crypto
import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// Encrypts and decrypts an account's personal fields under the account holder's own data key.
/// The context binds table, column and row, so a ciphertext moved to another row fails to open.
enum AccountFields {
    static func seal(_ value: String, column: String, accountId: String, key: SymmetricKey) throws -> Data {
        try FieldCipher.seal(value, key: key, context: context(column, accountId))
    }

    static func open(_ sealed: Data, column: String, accountId: String, key: SymmetricKey) throws -> String {
        try FieldCipher.open(sealed, key: key, context: context(column, accountId))
    }

    /// The account's login in clear, for internal checks only (never returned unmasked).
    static func login(of account: AccountRow, platform: Platform, on db: any SQLDatabase) async throws -> String {
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        return try open(account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
    }

    /// Blind index of a normalised login under the current key, for storing.
    static func loginIndex(_ login: Login, platform: Platform) throws -> String {
        try platform.keys.blindIndex(login.lookupKey, purpose: "accounts.login")
    }

    /// The login's blind index under every key version, newest first, for lookups during a reindex.
    static func loginIndexes(_ login: Login, platform: Platform) throws -> [String] {
        try platform.keys.blindIndexVersions.map {
            try platform.keys.blindIndex(login.lookupKey, purpose: "accounts.login", version: $0)
        }
    }

    /// The account with this login, whichever key version indexed it.
    static func account(login: Login, platform: Platform, on db: any SQLDatabase) async throws -> AccountRow? {
        try await AccountStore.find(loginIndexes: try loginIndexes(login, platform: platform), on: db)
    }

    private static func context(_ column: String, _ accountId: String) -> FieldContext {
        FieldContext(table: "accounts", column: column, row: accountId)
    }
}
