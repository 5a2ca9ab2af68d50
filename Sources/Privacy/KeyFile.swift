import Crypto
import Foundation

/// The on-disk form of the key ring: JSON, mode 0600, never committed.
public struct KeyMaterial: Codable, Sendable {
    public enum Origin: String, Codable, Sendable {
        /// Created automatically on first start (development and demo).
        case generated
        /// Created deliberately by an operator with `covenant keys init`.
        case provisioned
    }

    public struct VersionedKey: Codable, Sendable {
        public let version: Int
        public let key: String
        public let createdAt: Int64
    }

    public var formatVersion = 1
    public var origin: Origin
    public var masterKeys: [VersionedKey]
    public var blindIndexKeys: [VersionedKey]
    public var pseudonymKey: String
    public var auditSigningKey: String

    /// Fresh random keys.
    public static func random(origin: Origin, nowMillis: Int64) -> KeyMaterial {
        func random32() -> String { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } }
        return KeyMaterial(
            origin: origin,
            masterKeys: [VersionedKey(version: 1, key: random32(), createdAt: nowMillis)],
            blindIndexKeys: [VersionedKey(version: 1, key: random32(), createdAt: nowMillis)],
            pseudonymKey: random32(),
            auditSigningKey: Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString()
        )
    }

    /// Adds a new master key version (`covenant keys rotate`).
    public mutating func rotateMaster(nowMillis: Int64) {
        let next = (masterKeys.map(\.version).max() ?? 0) + 1
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        masterKeys.append(VersionedKey(version: next, key: key, createdAt: nowMillis))
    }
}

extension KeyMaterial {
    /// Adds a new blind-index key version (`covenant keys rotate-index`); old versions stay until reindexed.
    public mutating func rotateBlindIndex(nowMillis: Int64) {
        let next = (blindIndexKeys.map(\.version).max() ?? 0) + 1
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        blindIndexKeys.append(VersionedKey(version: next, key: key, createdAt: nowMillis))
    }
}

/// Reads and writes the key file with owner-only permissions.
public enum KeyFile {
    /// Loads the key file; with `createIfMissing`, writes fresh generated keys first.
    public static func load(path: String, createIfMissing: Bool, nowMillis: Int64) throws -> KeyMaterial {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard createIfMissing else { throw PrivacyError.keyFile("no key file at \(path)") }
            try write(KeyMaterial.random(origin: .generated, nowMillis: nowMillis), path: path)
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(KeyMaterial.self, from: data)
        } catch {
            throw PrivacyError.keyFile("\(path) is not a valid key file")
        }
    }

    /// Writes atomically with mode 0600 (the file is created with that mode; never world-readable).
    public static func write(_ material: KeyMaterial, path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(material)
        let temp = path + ".tmp"
        _ = FileManager.default.createFile(atPath: temp, contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: URL(fileURLWithPath: temp))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temp)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temp, toPath: path)
    }

    /// The file's permission bits, or nil if it cannot be read.
    public static func permissions(path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}
