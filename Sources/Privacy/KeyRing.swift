public import Crypto
import Domain
public import Foundation

/// A wrapped (encrypted) per-person data key and the master key version that wrapped it.
public struct WrappedKey: Sendable, Equatable {
    public let masterVersion: Int
    public let sealed: Data

    public init(masterVersion: Int, sealed: Data) {
        self.masterVersion = masterVersion
        self.sealed = sealed
    }
}

/// Something that can wrap and unwrap data keys: the local key file by default; an external KMS or HSM
/// can implement the same protocol.
public protocol KeyWrapper: Sendable {
    var currentMasterVersion: Int { get }
    func wrap(_ dataKey: SymmetricKey, subject: String) throws -> WrappedKey
    func unwrap(_ wrapped: WrappedKey, subject: String) throws -> SymmetricKey
}

/// The platform's keys, loaded from the key file. Versioned master keys wrap per-person data keys;
/// separate keys derive blind indexes, audit pseudonyms and sign the audit log.
public struct KeyRing: KeyWrapper {
    // Raw bytes (Sendable); `SymmetricKey` values are made at the point of use.
    let masterKeys: [Int: Data]
    public let currentMasterVersion: Int
    let blindIndexKeys: [Int: Data]
    public let currentBlindIndexVersion: Int
    let pseudonymKey: Data
    /// HMAC already keyed with `pseudonymKey`: pseudonyms are made twice per audit event, and keying costs as
    /// much as hashing.
    let pseudonymMAC: KeyedMAC
    let auditSigningKeyBytes: Data
    /// Whether the keys were generated automatically (refused in production).
    public let generated: Bool
    /// When the current master key was created (ms since epoch).
    public let currentMasterCreatedAt: Int64

    public init(material: KeyMaterial) throws {
        func decode(_ key: KeyMaterial.VersionedKey) throws -> (Int, Data) {
            guard let bytes = Data(base64Encoded: key.key), bytes.count == 32 else {
                throw PrivacyError.keyFile("key version \(key.version) is not 32 bytes of base64")
            }
            return (key.version, bytes)
        }
        let masters = try Dictionary(material.masterKeys.map(decode), uniquingKeysWith: { a, _ in a })
        let indexes = try Dictionary(material.blindIndexKeys.map(decode), uniquingKeysWith: { a, _ in a })
        guard let masterVersion = masters.keys.max(), let indexVersion = indexes.keys.max() else {
            throw PrivacyError.keyFile("no master or blind-index key")
        }
        guard let pseudo = Data(base64Encoded: material.pseudonymKey), pseudo.count == 32,
            let signing = Data(base64Encoded: material.auditSigningKey),
            (try? Curve25519.Signing.PrivateKey(rawRepresentation: signing)) != nil
        else { throw PrivacyError.keyFile("pseudonym or audit signing key is malformed") }
        self.masterKeys = masters
        self.currentMasterVersion = masterVersion
        self.blindIndexKeys = indexes
        self.currentBlindIndexVersion = indexVersion
        self.pseudonymKey = pseudo
        self.pseudonymMAC = KeyedMAC(key: pseudo)
        self.auditSigningKeyBytes = signing
        self.generated = material.origin == .generated
        self.currentMasterCreatedAt = material.masterKeys.first { $0.version == masterVersion }?.createdAt ?? 0
    }

    /// The key that encrypts backups made under master key `version` (derived, so the key file holds no more
    /// secrets; older versions stay in the key file, so older backups still open after a rotation).
    public func backupKey(masterVersion version: Int) throws -> SymmetricKey {
        guard let master = masterKeys[version] else { throw PrivacyError.unknownKeyVersion(version) }
        return HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: master), info: Data("covenant backup v1".utf8), outputByteCount: 32)
    }

    /// Ed25519 key that signs audit tree heads.
    public var auditSigningKey: Curve25519.Signing.PrivateKey {
        // Validated in init.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: auditSigningKeyBytes)
    }

    public func wrap(_ dataKey: SymmetricKey, subject: String) throws -> WrappedKey {
        guard let master = masterKeys[currentMasterVersion].map(SymmetricKey.init(data:)) else {
            throw PrivacyError.unknownKeyVersion(currentMasterVersion)
        }
        let raw = dataKey.withUnsafeBytes { Data($0) }
        let context = FieldContext(table: "subject_keys", column: "v\(currentMasterVersion)", row: subject)
        let box = try AES.GCM.seal(raw, using: master, authenticating: context.associatedData)
        guard let combined = box.combined else { throw PrivacyError.malformedCiphertext }
        return WrappedKey(masterVersion: currentMasterVersion, sealed: combined)
    }

    public func unwrap(_ wrapped: WrappedKey, subject: String) throws -> SymmetricKey {
        guard let master = masterKeys[wrapped.masterVersion].map(SymmetricKey.init(data:)) else {
            throw PrivacyError.unknownKeyVersion(wrapped.masterVersion)
        }
        let context = FieldContext(table: "subject_keys", column: "v\(wrapped.masterVersion)", row: subject)
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped.sealed)
            return SymmetricKey(data: try AES.GCM.open(box, using: master, authenticating: context.associatedData))
        } catch {
            throw PrivacyError.authenticationFailed
        }
    }

    /// A fresh random 256-bit data key for one person.
    public static func newDataKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

    /// Blind index for exact lookups: truncated HMAC-SHA256 (16 bytes) under a key of its own,
    /// separated by purpose, prefixed with the key version (`v1:…`).
    public func blindIndex(_ value: String, purpose: String, version: Int? = nil) throws -> String {
        let v = version ?? currentBlindIndexVersion
        guard let key = blindIndexKeys[v].map(SymmetricKey.init(data:)) else { throw PrivacyError.unknownKeyVersion(v) }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(purpose)|\(value)".utf8), using: key)
        return "v\(v):" + Hex.encode(Data(mac).prefix(16))
    }

    /// Every blind-index key version, newest first: lookups try them all while rows are being reindexed.
    public var blindIndexVersions: [Int] { blindIndexKeys.keys.sorted(by: >) }

    /// Keyed pseudonym for the audit log and logs: stable per subject, meaningless without the key.
    public func pseudonym(_ subject: String) -> String {
        Hex.encode(pseudonymMAC.code(for: "pseudonym|\(subject)").prefix(16))
    }
}

/// An HMAC-SHA256 keyed once and copied for each message. The template is never mutated, and each copy
/// copies the hash state on first write (copy-on-write), so sharing it between threads is safe.
final class KeyedMAC: @unchecked Sendable {
    private let template: HMAC<SHA256>

    init(key: Data) {
        template = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    func code(for message: String) -> [UInt8] {
        var mac = template
        mac.update(data: Data(message.utf8))
        return Array(mac.finalize())
    }
}
