/// The right border ("compact range") of a growing Merkle tree: enough state to append leaves and know the
/// root, in O(log n) memory and without reading anything back.
///
/// A database layer keeps one appender per log (or restores it with `restore(treeSize:from:)`), appends the
/// leaf hashes of new events, and stores every returned node in its node table within the same transaction.
/// Appends must be serialized: there is one writer per log.
public struct MerkleAppender: Hashable, Sendable {
    /// The number of leaves appended so far.
    public private(set) var treeSize: UInt64
    /// The hashes of the complete subtrees that make up the tree, largest (leftmost) first:
    /// one per set bit of `treeSize`.
    public private(set) var border: [MerkleHash]

    /// An appender for the empty tree.
    public init() {
        treeSize = 0
        border = []
    }

    /// An appender continuing a tree of `treeSize` leaves whose border hashes are `border`, largest first.
    ///
    /// - Throws: `AuditLogError.invalidBorder` unless there is one hash per set bit of `treeSize`.
    public init(treeSize: UInt64, border: [MerkleHash]) throws {
        guard border.count == treeSize.nonzeroBitCount else {
            throw AuditLogError.invalidBorder(treeSize: treeSize, hashCount: border.count)
        }
        self.treeSize = treeSize
        self.border = border
    }

    /// Reads the border of the tree of `treeSize` leaves from `store` (one lookup of at most 64 nodes).
    public static func restore(treeSize: UInt64, from store: some MerkleNodeStore) async throws -> MerkleAppender {
        let ids = borderNodes(treeSize: treeSize)
        let hashes = ids.isEmpty ? [] : try await store.hashes(of: ids)
        return try MerkleAppender(treeSize: treeSize, border: hashes)
    }

    /// The IDs of the border nodes of a tree of `treeSize` leaves, largest first.
    public static func borderNodes(treeSize: UInt64) -> [MerkleNodeID] {
        MerkleTree.completeSubtrees(of: 0..<treeSize)
    }

    /// The root of the tree appended so far (RFC 9162 MTH).
    public var rootHash: MerkleHash { MerkleTree.subtreeHash(ofComplete: border) }

    /// Appends leaf hashes and returns every complete subtree they completed (leaves included), which the
    /// caller must persist, with the new size and root.
    public mutating func append(_ leafHashes: some Sequence<MerkleHash>) -> MerkleAppendResult {
        var nodes: [MerkleNode] = []
        for leafHash in leafHashes {
            append(leafHash) { nodes.append($0) }
        }
        return MerkleAppendResult(nodes: nodes, treeSize: treeSize, rootHash: rootHash)
    }

    /// Appends leaf hashes without reporting nodes: the streaming way to recompute a log's root.
    public mutating func absorb(_ leafHashes: some Sequence<MerkleHash>) {
        for leafHash in leafHashes {
            append(leafHash) { _ in }
        }
    }

    /// Adds one leaf, then merges equal-sized subtrees at the right edge, one per trailing 1 bit of the old size.
    private mutating func append(_ leafHash: MerkleHash, completed: (MerkleNode) -> Void) {
        var node = MerkleNode(id: MerkleNodeID(level: 0, index: treeSize), hash: leafHash)
        completed(node)
        while node.id.index & 1 == 1 {
            let parent = MerkleNodeID(level: node.id.level + 1, index: node.id.index >> 1)
            node = MerkleNode(id: parent, hash: .node(border.removeLast(), node.hash))
            completed(node)
        }
        border.append(node.hash)
        treeSize += 1
    }
}

/// What one `MerkleAppender.append(_:)` produced.
public struct MerkleAppendResult: Hashable, Sendable {
    /// The complete subtrees finished by the append, in the order they were completed (so in index order
    /// within each level).
    public let nodes: [MerkleNode]
    /// The tree size after the append.
    public let treeSize: UInt64
    /// The root after the append.
    public let rootHash: MerkleHash
}
