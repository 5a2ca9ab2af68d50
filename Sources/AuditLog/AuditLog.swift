// AuditLog owns the tamper-evident audit log core: RFC 9162 Merkle tree math, proofs, signed tree heads, audit leaves.
// It must not import Storage, Marketplace or App; persistence happens behind `MerkleNodeStore`.

/// Why a Merkle computation, proof or signature check failed.
public enum AuditLogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An inclusion proof was requested or checked for a leaf outside the tree.
    case leafIndexOutOfRange(leafIndex: UInt64, treeSize: UInt64)
    /// A consistency proof needs `first <= second`.
    case invalidTreeSizes(first: UInt64, second: UInt64)
    /// The proof has too many or too few hashes for its tree sizes.
    case proofLengthMismatch(hashCount: Int)
    /// The root recomputed from a proof differs from the root it was checked against.
    case rootMismatch(treeSize: UInt64, expected: MerkleHash, computed: MerkleHash)
    /// A `MerkleNodeStore` does not hold a node the computation needs.
    case missingNode(MerkleNodeID)
    /// A `MerkleNodeStore` answered with the wrong number of hashes.
    case storeAnswerMismatch(requested: Int, returned: Int)
    /// An appender border does not have one hash per set bit of the tree size.
    case invalidBorder(treeSize: UInt64, hashCount: Int)
    /// The Ed25519 signature of a tree head does not verify.
    case invalidSignature(treeSize: UInt64)

    public var description: String {
        switch self {
        case .leafIndexOutOfRange(let leafIndex, let treeSize):
            "leaf index \(leafIndex) is outside a tree of size \(treeSize)"
        case .invalidTreeSizes(let first, let second):
            "consistency needs first <= second, got \(first) > \(second)"
        case .proofLengthMismatch(let hashCount):
            "a proof of \(hashCount) hashes has the wrong length for its tree size"
        case .rootMismatch(let treeSize, let expected, let computed):
            "root of the tree of size \(treeSize) is \(expected.hex) but the proof yields \(computed.hex)"
        case .missingNode(let node):
            "the node store has no node at level \(node.level), index \(node.index)"
        case .storeAnswerMismatch(let requested, let returned):
            "the node store returned \(returned) hashes for \(requested) nodes"
        case .invalidBorder(let treeSize, let hashCount):
            "a tree of size \(treeSize) has \(treeSize.nonzeroBitCount) border hashes, not \(hashCount)"
        case .invalidSignature(let treeSize):
            "the signature of the tree head of size \(treeSize) does not verify"
        }
    }
}

extension RangeReplaceableCollection<UInt8> {
    /// Appends `value` in big-endian byte order.
    mutating func append(bigEndian value: some FixedWidthInteger) {
        for shift in stride(from: value.bitWidth - 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }
}
