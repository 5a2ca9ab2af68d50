/// An RFC 9162 inclusion proof, as served by the HTTP API.
///
/// JSON: `{"leafIndex": i, "treeSize": n, "leafHash": "<base64>", "hashes": ["<base64>", ...]}`,
/// `hashes` ordered from the leaf's sibling up to the root's child.
public struct InclusionProof: Hashable, Sendable, Codable {
    /// The leaf's position (the audit event's `sequence`).
    public let leafIndex: UInt64
    /// The size of the tree the proof is for.
    public let treeSize: UInt64
    /// The leaf's RFC 9162 leaf hash.
    public let leafHash: MerkleHash
    /// The audit path, leaf side first.
    public let hashes: [MerkleHash]

    /// A proof with the given parts.
    public init(leafIndex: UInt64, treeSize: UInt64, leafHash: MerkleHash, hashes: [MerkleHash]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.leafHash = leafHash
        self.hashes = hashes
    }

    /// Checks the proof against the root of the tree of `treeSize` leaves.
    ///
    /// - Throws: `AuditLogError` from `MerkleTree.verifyInclusion`.
    public func verify(rootHash: MerkleHash) throws {
        try MerkleTree.verifyInclusion(
            leafHash: leafHash, leafIndex: leafIndex, treeSize: treeSize, proof: hashes, rootHash: rootHash
        )
    }
}

/// An RFC 9162 consistency proof between two tree sizes, as served by the HTTP API.
///
/// JSON: `{"first": m, "second": n, "hashes": ["<base64>", ...]}`.
public struct ConsistencyProof: Hashable, Sendable, Codable {
    /// The older, smaller tree size.
    public let first: UInt64
    /// The newer, larger tree size.
    public let second: UInt64
    /// The RFC 9162 consistency path.
    public let hashes: [MerkleHash]

    /// A proof with the given parts.
    public init(first: UInt64, second: UInt64, hashes: [MerkleHash]) {
        self.first = first
        self.second = second
        self.hashes = hashes
    }

    /// Checks that the tree of `second` leaves with root `secondRoot` extends the one of `first` leaves
    /// with root `firstRoot`.
    ///
    /// - Throws: `AuditLogError` from `MerkleTree.verifyConsistency`.
    public func verify(firstRoot: MerkleHash, secondRoot: MerkleHash) throws {
        try MerkleTree.verifyConsistency(
            firstSize: first, secondSize: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: hashes
        )
    }
}
