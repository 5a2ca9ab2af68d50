// Privacy owns the platform's keys, field encryption, blind indexes and pseudonyms (clause 2.3.2).
// It must not import Storage, Marketplace or App: callers hand it bytes and contexts, it hands back bytes.
public import Crypto
public import Foundation

/// Where an encrypted value lives; bound into the AES-GCM associated data so that a ciphertext
/// copied to another table, column or row fails to decrypt.
public struct FieldContext: Sendable, Hashable {
    public let table: String
    public let column: String
    public let row: String

    public init(table: String, column: String, row: String) {
        self.table = table
        self.column = column
        self.row = row
    }

    var associatedData: Data { Data("covenant-field-v1|\(table)|\(column)|\(row)".utf8) }
}

/// Errors from key handling and decryption. They never carry key material or plaintext.
public enum PrivacyError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownKeyVersion(Int)
    case malformedCiphertext
    case authenticationFailed
    case keyFile(String)

    public var description: String {
        switch self {
        case .unknownKeyVersion(let v): "no key of version \(v) in the key ring"
        case .malformedCiphertext: "ciphertext is malformed"
        case .authenticationFailed: "ciphertext failed authentication (wrong key, context or tampered data)"
        case .keyFile(let why): "key file: \(why)"
        }
    }
}

/// AES-256-GCM encryption of single fields. Layout: `0x01 || nonce(12) || ciphertext || tag(16)`.
public enum FieldCipher {
    static let formatVersion: UInt8 = 1

    public static func seal(_ plaintext: String, key: SymmetricKey, context: FieldContext) throws -> Data {
        try seal(bytes: Data(plaintext.utf8), key: key, context: context)
    }

    public static func open(_ sealed: Data, key: SymmetricKey, context: FieldContext) throws -> String {
        guard let text = String(data: try open(bytes: sealed, key: key, context: context), encoding: .utf8) else {
            throw PrivacyError.malformedCiphertext
        }
        return text
    }

    /// Binary fields (evidence images) in the same layout.
    public static func seal(bytes: Data, key: SymmetricKey, context: FieldContext) throws -> Data {
        let box = try AES.GCM.seal(bytes, using: key, authenticating: context.associatedData)
        guard let combined = box.combined else { throw PrivacyError.malformedCiphertext }
        return Data([formatVersion]) + combined
    }

    public static func open(bytes sealed: Data, key: SymmetricKey, context: FieldContext) throws -> Data {
        guard sealed.count > 1 + 12 + 16, sealed.first == formatVersion else { throw PrivacyError.malformedCiphertext }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return try AES.GCM.open(box, using: key, authenticating: context.associatedData)
        } catch {
            throw PrivacyError.authenticationFailed
        }
    }
}
