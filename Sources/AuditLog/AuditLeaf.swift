public import Foundation

/// One audit event as it is committed to the Merkle log. Personal data stays out: `actor` and `subject` are
/// keyed pseudonyms and `detailsHash` is the SHA-256 of details encrypted and stored elsewhere.
///
/// `sequence` is the event's leaf index in the log (0 for the first event).
///
/// The leaf hash is `MerkleHash.leaf(canonicalBytes)`, where `canonicalBytes` is, in order:
/// 1. the version byte `0x01`;
/// 2. `sequence`, then `timestamp`, each as a big-endian UInt64 (8 bytes);
/// 3. `eventType`, `actor`, `subject`, `object`, `outcome`, each as a big-endian UInt32 byte count followed by
///    the string's UTF-8 bytes (no normalization, no terminator; an empty string is just `00 00 00 00`);
/// 4. the 32 bytes of `detailsHash`.
///
/// JSON: `{"sequence", "timestamp", "eventType", "actor", "subject", "object", "outcome", "detailsHash"}`
/// with `detailsHash` in base64.
public struct AuditLeaf: Hashable, Sendable, Codable {
    /// The version byte that starts `canonicalBytes`.
    public static let encodingVersion: UInt8 = 0x01

    /// The leaf index of the event in the log.
    public var sequence: UInt64
    /// When the event happened, in milliseconds since 1970-01-01T00:00:00Z.
    public var timestamp: UInt64
    /// What happened, e.g. `account.login.failure`.
    public var eventType: String
    /// Keyed pseudonym of who acted; may be empty.
    public var actor: String
    /// Keyed pseudonym of whom it concerns; may be empty.
    public var subject: String
    /// What it concerns, e.g. `order:123`; may be empty.
    public var object: String
    /// `success`, `failure` or `denied`.
    public var outcome: String
    /// SHA-256 of the encrypted details kept outside the log.
    public var detailsHash: MerkleHash

    /// A leaf with the given fields.
    public init(
        sequence: UInt64, timestamp: UInt64, eventType: String, actor: String, subject: String, object: String,
        outcome: String, detailsHash: MerkleHash
    ) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.eventType = eventType
        self.actor = actor
        self.subject = subject
        self.object = object
        self.outcome = outcome
        self.detailsHash = detailsHash
    }

    /// The unambiguous byte encoding described above.
    public var canonicalBytes: Data {
        let strings = [eventType, actor, subject, object, outcome]
        var bytes: [UInt8] = [Self.encodingVersion]
        bytes.reserveCapacity(1 + 8 + 8 + strings.reduce(0) { $0 + 4 + $1.utf8.count } + MerkleHash.byteCount)
        bytes.append(bigEndian: sequence)
        bytes.append(bigEndian: timestamp)
        for string in strings {
            bytes.append(bigEndian: UInt32(string.utf8.count))
            bytes.append(contentsOf: string.utf8)
        }
        detailsHash.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return Data(bytes)
    }

    /// The RFC 9162 leaf hash: SHA-256(0x00 || canonicalBytes).
    public var leafHash: MerkleHash { MerkleHash.leaf(canonicalBytes) }
}
