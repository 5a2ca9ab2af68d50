/// RFC 9162 §2.1 Merkle tree math: roots, proof shapes and proof verification.
///
/// Proof generation lives on `MerkleNodeStore`; this namespace holds the pure parts.
public enum MerkleTree {
    /// The root of the tree whose leaf hashes are `leafHashes`, in one streaming pass with O(log n) memory.
    ///
    /// Use it to check a whole log against a signed tree head; for logs that do not fit in memory,
    /// feed pages into `MerkleAppender.absorb(_:)` instead.
    public static func rootHash(of leafHashes: some Sequence<MerkleHash>) -> MerkleHash {
        var appender = MerkleAppender()
        appender.absorb(leafHashes)
        return appender.rootHash
    }

    /// Checks an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.
    ///
    /// - Throws: `AuditLogError` saying why the proof does not show `leafHash` at `leafIndex`
    ///   in the tree of size `treeSize` whose root is `rootHash`.
    public static func verifyInclusion(
        leafHash: MerkleHash, leafIndex: UInt64, treeSize: UInt64, proof: [MerkleHash], rootHash: MerkleHash
    ) throws {
        guard leafIndex < treeSize else {
            throw AuditLogError.leafIndexOutOfRange(leafIndex: leafIndex, treeSize: treeSize)
        }
        var (fn, sn) = (leafIndex, treeSize - 1)
        var root = leafHash
        for hash in proof {
            guard sn != 0 else { throw AuditLogError.proofLengthMismatch(hashCount: proof.count) }
            if hashGoesLeft(&fn, &sn) {
                root = .node(hash, root)
            } else {
                root = .node(root, hash)
            }
            (fn, sn) = (fn >> 1, sn >> 1)
        }
        guard sn == 0 else { throw AuditLogError.proofLengthMismatch(hashCount: proof.count) }
        guard root == rootHash else {
            throw AuditLogError.rootMismatch(treeSize: treeSize, expected: rootHash, computed: root)
        }
    }

    /// Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2.
    ///
    /// RFC 9162 defines proofs for `0 < firstSize < secondSize`; the trivial cases are accepted with an
    /// empty proof: `firstSize == 0` when `firstRoot` is the empty-tree root, and `firstSize == secondSize`
    /// when both roots are equal.
    ///
    /// - Throws: `AuditLogError` saying why the tree of size `secondSize` with root `secondRoot` is not
    ///   shown to extend the tree of size `firstSize` with root `firstRoot`.
    public static func verifyConsistency(
        firstSize: UInt64, secondSize: UInt64, firstRoot: MerkleHash, secondRoot: MerkleHash, proof: [MerkleHash]
    ) throws {
        guard firstSize <= secondSize else {
            throw AuditLogError.invalidTreeSizes(first: firstSize, second: secondSize)
        }
        if firstSize == 0 || firstSize == secondSize {
            guard proof.isEmpty else { throw AuditLogError.proofLengthMismatch(hashCount: proof.count) }
            let expected = firstSize == 0 ? MerkleHash.emptyTree : secondRoot
            guard firstRoot == expected else {
                throw AuditLogError.rootMismatch(treeSize: firstSize, expected: firstRoot, computed: expected)
            }
            return
        }
        // Step 1-2: a non-empty path; the old root starts it when the old tree is a complete subtree.
        guard !proof.isEmpty else { throw AuditLogError.proofLengthMismatch(hashCount: 0) }
        let hashes = firstSize.nonzeroBitCount == 1 ? [firstRoot] + proof : proof
        // Steps 3-4.
        var (fn, sn) = (firstSize - 1, secondSize - 1)
        while fn & 1 == 1 { (fn, sn) = (fn >> 1, sn >> 1) }
        // Steps 5-6.
        var firstComputed = hashes[0]
        var secondComputed = hashes[0]
        for hash in hashes.dropFirst() {
            guard sn != 0 else { throw AuditLogError.proofLengthMismatch(hashCount: proof.count) }
            if hashGoesLeft(&fn, &sn) {
                firstComputed = .node(hash, firstComputed)
                secondComputed = .node(hash, secondComputed)
            } else {
                secondComputed = .node(secondComputed, hash)
            }
            (fn, sn) = (fn >> 1, sn >> 1)
        }
        // Step 7.
        guard sn == 0 else { throw AuditLogError.proofLengthMismatch(hashCount: proof.count) }
        guard firstComputed == firstRoot else {
            throw AuditLogError.rootMismatch(treeSize: firstSize, expected: firstRoot, computed: firstComputed)
        }
        guard secondComputed == secondRoot else {
            throw AuditLogError.rootMismatch(treeSize: secondSize, expected: secondRoot, computed: secondComputed)
        }
    }

    // MARK: Proof shapes (RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF)

    /// The leaf ranges whose subtree hashes form PATH(leafIndex, D[0:treeSize]), leaf side first.
    static func inclusionRanges(leafIndex: UInt64, treeSize: UInt64) -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        var subtree: Range<UInt64> = 0..<treeSize
        while subtree.count > 1 {
            let split = subtree.lowerBound + largestPowerOfTwo(below: UInt64(subtree.count))
            if leafIndex < split {
                ranges.append(split..<subtree.upperBound)
                subtree = subtree.lowerBound..<split
            } else {
                ranges.append(subtree.lowerBound..<split)
                subtree = split..<subtree.upperBound
            }
        }
        return ranges.reversed()
    }

    /// The leaf ranges whose subtree hashes form PROOF(first, D[0:second]) = SUBPROOF(first, D[0:second], true).
    static func consistencyRanges(first: UInt64, second: UInt64) -> [Range<UInt64>] {
        guard 0 < first, first < second else { return [] }
        var ranges: [Range<UInt64>] = []
        var subtree: Range<UInt64> = 0..<second
        var isOldRoot = true  // the `b` flag: the subtree's left edge is the old tree's root
        while first != subtree.upperBound {
            let split = subtree.lowerBound + largestPowerOfTwo(below: UInt64(subtree.count))
            if first <= split {
                ranges.append(split..<subtree.upperBound)
                subtree = subtree.lowerBound..<split
            } else {
                ranges.append(subtree.lowerBound..<split)
                subtree = split..<subtree.upperBound
                isOldRoot = false
            }
        }
        if !isOldRoot { ranges.append(subtree) }
        return ranges.reversed()
    }

    /// The complete subtrees that make up `range`, largest first; `range` must start on a boundary of its
    /// largest one, which holds for every subtree of an RFC 9162 tree and every prefix `0..<n`.
    static func completeSubtrees(of range: Range<UInt64>) -> [MerkleNodeID] {
        var nodes: [MerkleNodeID] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let level = UInt64.bitWidth - 1 - (range.upperBound - start).leadingZeroBitCount
            precondition(start % (1 << level) == 0, "range \(range) is not a subtree of an RFC 9162 tree")
            nodes.append(MerkleNodeID(level: level, index: start >> level))
            start += 1 << level
        }
        return nodes
    }

    /// The RFC 9162 hash of a subtree from its complete subtrees, largest first: H(c0, H(c1, ... cN)).
    static func subtreeHash(ofComplete hashes: some BidirectionalCollection<MerkleHash>) -> MerkleHash {
        guard var result = hashes.last else { return .emptyTree }
        for hash in hashes.dropLast().reversed() {
            result = .node(hash, result)
        }
        return result
    }

    /// Whether the next proof hash is a left sibling: LSB(fn) is set or fn == sn. In the second case it also
    /// climbs past the levels where the node has no right sibling (step ii of §2.1.3.2 and §2.1.4.2).
    private static func hashGoesLeft(_ fn: inout UInt64, _ sn: inout UInt64) -> Bool {
        guard fn & 1 == 1 || fn == sn else { return false }
        while fn & 1 == 0 && fn != 0 { (fn, sn) = (fn >> 1, sn >> 1) }
        return true
    }

    /// The largest power of two strictly below `count` (`count` >= 2): the `k` of RFC 9162 §2.1.1.
    private static func largestPowerOfTwo(below count: UInt64) -> UInt64 {
        1 << (UInt64.bitWidth - 1 - (count - 1).leadingZeroBitCount)
    }
}
