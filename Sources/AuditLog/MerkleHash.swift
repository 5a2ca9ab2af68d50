import Crypto
import Domain
public import Foundation

/// A 32-byte SHA-256 hash of a Merkle tree leaf or node (RFC 9162 §2.1.1).
///
/// The bytes are kept inline (no heap allocation), so hashing millions of nodes stays cheap.
/// JSON encodes a hash as a standard base64 string.
public struct MerkleHash: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The length of every hash, in bytes.
    public static let byteCount = 32

    /// The 32 bytes, in memory order. Four words rather than `SIMD4<UInt64>`: a 32-byte-aligned value in an
    /// async frame crashed the task allocator ("freed pointer was not the last allocation", then SIGSEGV),
    /// since task allocations are only 16-byte aligned.
    private struct Words: Hashable, Sendable {
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    }

    private let storage: Words

    /// Wraps exactly 32 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var storage = Words()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        self.storage = storage
    }

    /// Decodes standard base64 of exactly 32 bytes; `nil` otherwise.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    /// Decodes 64 hexadecimal digits (either case); `nil` otherwise.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    init(_ digest: SHA256.Digest) {
        storage = digest.withUnsafeBytes { $0.loadUnaligned(as: Words.self) }
    }

    /// The 32 bytes.
    public var data: Data { withUnsafeBytes { Data($0) } }

    /// Standard base64 (44 characters).
    public var base64: String { data.base64EncodedString() }

    /// Lowercase hexadecimal (64 characters).
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyTree = MerkleHash(SHA256.hash(data: Data()))

    /// The hash of a leaf: SHA-256(0x00 || leaf bytes).
    public static func leaf(_ bytes: some DataProtocol) -> MerkleHash {
        var hasher = SHA256(prefix: 0x00)
        hasher.update(data: bytes)
        return MerkleHash(hasher.finalize())
    }

    /// The hash of an interior node: SHA-256(0x01 || left || right).
    public static func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hasher = SHA256(prefix: 0x01)
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return MerkleHash(hasher.finalize())
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let hash = MerkleHash(base64: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected base64 of 32 bytes")
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}

extension SHA256 {
    /// A hasher that has already absorbed the RFC 9162 domain-separation byte.
    fileprivate init(prefix: UInt8) {
        self.init()
        Swift.withUnsafeBytes(of: prefix) { update(bufferPointer: $0) }
    }
}
