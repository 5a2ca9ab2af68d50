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

    /// Blind index of a normalised login, for exact lookups without storing it in clear.
    static func loginIndex(_ login: Login, platform: Platform) throws -> String {
        try platform.keys.blindIndex(login.lookupKey, purpose: "accounts.login")
    }

    private static func context(_ column: String, _ accountId: String) -> FieldContext {
        FieldContext(table: "accounts", column: column, row: accountId)
    }
}
