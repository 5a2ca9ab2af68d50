public import Crypto
public import Foundation

/// A tree size and root, timestamped and signed with the log's Ed25519 key.
///
/// The signature covers `signedBytes(treeSize:timestamp:rootHash:)`, 63 bytes:
/// the ASCII bytes of `covenant-sth-v1` (15 bytes, no terminator), `treeSize` as big-endian UInt64,
/// `timestamp` as big-endian UInt64, then the 32 bytes of `rootHash`.
///
/// JSON: `{"treeSize": n, "timestamp": ms, "rootHash": "<base64>", "signature": "<base64>"}`.
public struct SignedTreeHead: Hashable, Sendable, Codable {
    /// The number of leaves in the tree.
    public let treeSize: UInt64
    /// When the head was signed, in milliseconds since 1970-01-01T00:00:00Z.
    public let timestamp: UInt64
    /// The RFC 9162 root of the first `treeSize` leaves.
    public let rootHash: MerkleHash
    /// The 64-byte Ed25519 signature of `signedBytes`.
    public let signature: Data

    /// The domain-separation prefix of the signed bytes.
    public static let signaturePrefix = Data("covenant-sth-v1".utf8)

    /// A head as received, e.g. decoded from JSON; check it with `verify(publicKey:)`.
    public init(treeSize: UInt64, timestamp: UInt64, rootHash: MerkleHash, signature: Data) {
        self.treeSize = treeSize
        self.timestamp = timestamp
        self.rootHash = rootHash
        self.signature = signature
    }

    /// Signs a tree head with the log's key.
    public init(
        treeSize: UInt64, timestamp: UInt64, rootHash: MerkleHash, signingKey: Curve25519.Signing.PrivateKey
    ) throws {
        let message = Self.signedBytes(treeSize: treeSize, timestamp: timestamp, rootHash: rootHash)
        self.init(
            treeSize: treeSize, timestamp: timestamp, rootHash: rootHash,
            signature: try signingKey.signature(for: message)
        )
    }

    /// The canonical bytes that are signed: prefix || BE64(treeSize) || BE64(timestamp) || rootHash.
    public static func signedBytes(treeSize: UInt64, timestamp: UInt64, rootHash: MerkleHash) -> Data {
        var bytes = signaturePrefix
        bytes.append(bigEndian: treeSize)
        bytes.append(bigEndian: timestamp)
        bytes.append(rootHash.data)
        return bytes
    }

    /// The canonical bytes of this head.
    public var signedBytes: Data {
        Self.signedBytes(treeSize: treeSize, timestamp: timestamp, rootHash: rootHash)
    }

    /// Checks the signature with the log's public key.
    ///
    /// - Throws: `AuditLogError.invalidSignature` when it does not verify.
    public func verify(publicKey: Curve25519.Signing.PublicKey) throws {
        guard publicKey.isValidSignature(signature, for: signedBytes) else {
            throw AuditLogError.invalidSignature(treeSize: treeSize)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case treeSize, timestamp, rootHash, signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let base64 = try container.decode(String.self, forKey: .signature)
        guard let signature = Data(base64Encoded: base64) else {
            throw DecodingError.dataCorruptedError(
                forKey: .signature, in: container, debugDescription: "expected base64"
            )
        }
        self.init(
            treeSize: try container.decode(UInt64.self, forKey: .treeSize),
            timestamp: try container.decode(UInt64.self, forKey: .timestamp),
            rootHash: try container.decode(MerkleHash.self, forKey: .rootHash),
            signature: signature
        )
    }

    /// Writes `signature` as base64 whatever the encoder's data strategy.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(treeSize, forKey: .treeSize)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(rootHash, forKey: .rootHash)
        try container.encode(signature.base64EncodedString(), forKey: .signature)
    }
}
