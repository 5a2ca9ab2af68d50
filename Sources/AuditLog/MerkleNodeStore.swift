/// A complete subtree of the log: at `level` L, `index` i covers leaves [i·2^L, (i+1)·2^L).
///
/// Level 0 holds the leaf hashes. Once written, a complete subtree never changes.
public struct MerkleNodeID: Hashable, Sendable, Codable {
    /// Height above the leaves (0 = leaf).
    public let level: Int
    /// Position among the nodes of the same level, from the left.
    public let index: UInt64

    /// The node at `level` and `index`.
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }
}

/// A complete subtree and its hash: one row for a node table.
public struct MerkleNode: Hashable, Sendable {
    /// Which subtree.
    public let id: MerkleNodeID
    /// Its RFC 9162 hash.
    public let hash: MerkleHash

    /// A node row.
    public init(id: MerkleNodeID, hash: MerkleHash) {
        self.id = id
        self.hash = hash
    }
}

/// Where the hashes of complete subtrees are kept, e.g. a database table keyed by (level, index).
///
/// Fill it with the nodes that `MerkleAppender` returns. Roots and proofs for any tree size up to the
/// number of leaves stored then need O(log n) nodes, asked for in a single `hashes(of:)` call.
public protocol MerkleNodeStore: Sendable {
    /// The hashes of `nodes`, in the same order.
    ///
    /// - Throws: `AuditLogError.missingNode` (or the store's own error) when a node is not stored.
    func hashes(of nodes: [MerkleNodeID]) async throws -> [MerkleHash]
}

extension MerkleNodeStore {
    /// The root of the tree made of the first `treeSize` leaves (RFC 9162 §2.1.1 MTH).
    public func rootHash(treeSize: UInt64) async throws -> MerkleHash {
        try await subtreeHashes(of: [0..<treeSize])[0]
    }

    /// The inclusion proof of leaf `leafIndex` in the tree of the first `treeSize` leaves (RFC 9162 §2.1.3.1).
    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64) async throws -> InclusionProof {
        guard leafIndex < treeSize else {
            throw AuditLogError.leafIndexOutOfRange(leafIndex: leafIndex, treeSize: treeSize)
        }
        let ranges = [leafIndex..<leafIndex + 1] + MerkleTree.inclusionRanges(leafIndex: leafIndex, treeSize: treeSize)
        let hashes = try await subtreeHashes(of: ranges)
        return InclusionProof(
            leafIndex: leafIndex, treeSize: treeSize, leafHash: hashes[0], hashes: Array(hashes.dropFirst())
        )
    }

    /// The proof that the tree of `second` leaves extends the tree of `first` leaves (RFC 9162 §2.1.4.1).
    ///
    /// Empty when `first` is 0 or equals `second`.
    public func consistencyProof(first: UInt64, second: UInt64) async throws -> ConsistencyProof {
        guard first <= second else { throw AuditLogError.invalidTreeSizes(first: first, second: second) }
        let ranges = MerkleTree.consistencyRanges(first: first, second: second)
        return ConsistencyProof(first: first, second: second, hashes: try await subtreeHashes(of: ranges))
    }

    /// The RFC 9162 subtree hash of each range, from one batched lookup of complete subtrees.
    func subtreeHashes(of ranges: [Range<UInt64>]) async throws -> [MerkleHash] {
        let groups = ranges.map(MerkleTree.completeSubtrees(of:))
        let ids = groups.flatMap { $0 }
        let found = ids.isEmpty ? [] : try await hashes(of: ids)
        guard found.count == ids.count else {
            throw AuditLogError.storeAnswerMismatch(requested: ids.count, returned: found.count)
        }
        var start = 0
        return groups.map { group in
            defer { start += group.count }
            return MerkleTree.subtreeHash(ofComplete: found[start..<start + group.count])
        }
    }
}

/// An in-memory `MerkleNodeStore` with its own appender, for tests, benchmarks and tools.
public actor MemoryMerkleStore: MerkleNodeStore {
    /// `levels[L][i]` is the hash of node (L, i).
    private var levels: [[MerkleHash]] = []
    private var appender = MerkleAppender()

    public init() {}

    /// The number of leaves stored.
    public var treeSize: UInt64 { appender.treeSize }

    /// Appends leaf hashes, stores the completed subtrees, and returns what the appender reported.
    @discardableResult
    public func append(_ leafHashes: [MerkleHash]) -> MerkleAppendResult {
        let result = appender.append(leafHashes)
        for node in result.nodes {
            if node.id.level == levels.count { levels.append([]) }
            assert(UInt64(levels[node.id.level].count) == node.id.index, "nodes arrive in order")
            levels[node.id.level].append(node.hash)
        }
        return result
    }

    public func hashes(of nodes: [MerkleNodeID]) throws -> [MerkleHash] {
        try nodes.map { node in
            guard levels.indices.contains(node.level), node.index < levels[node.level].count else {
                throw AuditLogError.missingNode(node)
            }
            return levels[node.level][Int(node.index)]
        }
    }
}
