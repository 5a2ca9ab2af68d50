/// The model's trees laid out for speed: eight trees are walked side by side, so the CPU overlaps their dependent
/// loads instead of waiting on one tree's next node at a time. A node is 16 bytes and a split's two children sit
/// next to each other, so a step reads one cache line and the whole 400-tree model fits in a core's L2 cache.
/// Each leaf is a node that points to itself, so a walk that reached its leaf can keep stepping in place while
/// the others go on, and each split's missing-value rule is folded ahead of time into two flags, so a step is a
/// load, a compare and an add. Trees are still summed one by one in their order, so scores are bit-for-bit those
/// of the tree walk.
final class InterleavedTrees: @unchecked Sendable {
    struct Node {
        /// A split's threshold; a leaf's value.
        var threshold: Double
        /// A split's left child (the right one follows it); a leaf's own index.
        var child: Int32
        var feature: UInt16
        /// Bit 0: a zero value counts as missing; bit 1: a missing value goes left; bit 2: categorical split;
        /// bit 3: a leaf.
        var flags: UInt8
    }

    // Immutable after init.
    private let count: Int
    private let nodes: UnsafeMutablePointer<Node>
    /// Categorical splits, by node: where the split's bitset starts in `bitsets`, and how many 32-bit words it has.
    private let bitsetStart: [Int32]
    private let bitsetWords: [Int32]
    private let bitsets: [UInt32]
    /// Per tree: its root node, in tree order.
    private let roots: [Int32]
    let featureCount: Int

    private static let zeroIsMissing: UInt8 = 1
    private static let missingLeft: UInt8 = 2
    private static let categorical: UInt8 = 4
    private static let leaf: UInt8 = 8

    /// Nil when a feature index does not fit a node (more than 65,536 columns): the tree walk is used then.
    init?(_ model: GradientBoostedModel) {
        featureCount = model.featureNames.count
        guard featureCount <= Int(UInt16.max) + 1 else { return nil }
        var nodes: [Node] = []
        var bitsetStart: [Int32] = []
        var bitsetWords: [Int32] = []
        var roots: [Int32] = []
        func append(_ node: Node, bitset: (start: Int32, words: Int32) = (0, 0)) {
            nodes.append(node)
            bitsetStart.append(bitset.start)
            bitsetWords.append(bitset.words)
        }
        for tree in 0..<model.treeCount {
            let leafStart = model.treeLeafStart[tree]
            let base = Int32(nodes.count)
            roots.append(base)
            if model.singleLeaf[tree] {
                append(Node(threshold: model.leafValue[leafStart], child: base, feature: 0, flags: Self.leaf))
                continue
            }
            // Breadth first: each split's children are given two adjacent places as it is laid out.
            var queue: [Int32] = [0]  // LightGBM's child links: ≥ 0 a split, < 0 the leaf ~child
            var next = 0
            while next < queue.count {
                let link = queue[next]
                let me = base + Int32(next)
                next += 1
                if link < 0 {
                    append(
                        Node(
                            threshold: model.leafValue[leafStart + Int(~link)], child: me, feature: 0,
                            flags: Self.leaf))
                    continue
                }
                let at = model.treeNodeStart[tree] + Int(link)
                let children = base + Int32(queue.count)
                queue.append(model.leftChild[at])
                queue.append(model.rightChild[at])
                let type = model.decisionType[at]
                let feature = UInt16(model.splitFeature[at])
                if type & 1 == 1 {
                    let index = model.catBoundaryStart[tree] + Int(model.threshold[at])
                    let from = Int(model.catBoundaries[index])
                    append(
                        Node(threshold: 0, child: children, feature: feature, flags: Self.categorical),
                        bitset: (
                            Int32(model.catThresholdStart[tree] + from), model.catBoundaries[index + 1] - Int32(from)
                        ))
                } else {
                    // LightGBM's NumericalDecision: missing type in bits 2–3 (0 none, 1 zero, 2 NaN), default left
                    // in bit 1. With "none", a missing value is read as 0, so it goes where 0 goes.
                    let missing = (type >> 2) & 3
                    let defaultLeft = type & 2 != 0
                    let missingGoesLeft = missing == 0 ? 0 <= model.threshold[at] : defaultLeft
                    append(
                        Node(
                            threshold: model.threshold[at], child: children, feature: feature,
                            flags: (missing == 1 ? Self.zeroIsMissing : 0) | (missingGoesLeft ? Self.missingLeft : 0)))
                }
            }
        }
        // The idle leaf: where a lane with no tree left waits.
        let idle = Int32(nodes.count)
        append(Node(threshold: 0, child: idle, feature: 0, flags: Self.leaf))
        count = nodes.count
        self.nodes = UnsafeMutablePointer<Node>.allocate(capacity: count)
        self.nodes.initialize(from: nodes, count: count)
        self.bitsetStart = bitsetStart
        self.bitsetWords = bitsetWords
        self.bitsets = model.catThreshold
        self.roots = roots
    }

    deinit {
        nodes.deinitialize(count: count)
        nodes.deallocate()
    }

    /// The raw score: `features` must hold at least `featureCount` values (NaN is missing).
    ///
    /// Trees go eight at a time, their walks advancing in step until all eight stand on their leaves: eight
    /// independent loads in flight instead of one. (Letting the last long walks finish alone, so they hold up no
    /// one, measured slower: the extra branch costs more than the wait.) Leaves are added in tree order.
    func rawScore(_ features: UnsafeBufferPointer<Double>) -> Double {
        let input = features.baseAddress!
        let trees = roots.count
        var sum = 0.0
        roots.withUnsafeBufferPointer { roots in
            var tree = 0
            while tree + 8 <= trees {
                var n0 = roots[tree]
                var n1 = roots[tree + 1]
                var n2 = roots[tree + 2]
                var n3 = roots[tree + 3]
                var n4 = roots[tree + 4]
                var n5 = roots[tree + 5]
                var n6 = roots[tree + 6]
                var n7 = roots[tree + 7]
                repeat {
                    n0 = step(n0, input)
                    n1 = step(n1, input)
                    n2 = step(n2, input)
                    n3 = step(n3, input)
                    n4 = step(n4, input)
                    n5 = step(n5, input)
                    n6 = step(n6, input)
                    n7 = step(n7, input)
                } while isLeaf(n0) & isLeaf(n1) & isLeaf(n2) & isLeaf(n3) & isLeaf(n4) & isLeaf(n5) & isLeaf(n6)
                    & isLeaf(n7) == 0
                sum += nodes[Int(n0)].threshold
                sum += nodes[Int(n1)].threshold
                sum += nodes[Int(n2)].threshold
                sum += nodes[Int(n3)].threshold
                sum += nodes[Int(n4)].threshold
                sum += nodes[Int(n5)].threshold
                sum += nodes[Int(n6)].threshold
                sum += nodes[Int(n7)].threshold
                tree += 8
            }
            while tree < trees {
                sum += nodes[Int(walk(roots[tree], input))].threshold
                tree += 1
            }
        }
        return sum
    }

    /// 1 for a leaf, else 0.
    @inline(__always)
    private func isLeaf(_ node: Int32) -> Int { Int(nodes[Int(node)].flags >> 3) }

    /// From `node` down to its leaf.
    @inline(__always)
    private func walk(_ node: Int32, _ input: UnsafePointer<Double>) -> Int32 {
        var node = node
        while nodes[Int(node)].flags & Self.leaf == 0 { node = step(node, input) }
        return node
    }

    /// One level down (a leaf stays where it is: its child is itself and it never goes right).
    @inline(__always)
    private func step(_ node: Int32, _ input: UnsafePointer<Double>) -> Int32 {
        let at = Int(node)
        let n = nodes[at]
        let x = input[Int(n.feature)]
        let goLeft: Bool
        if n.flags & Self.categorical != 0 {
            goLeft = categoricalLeft(at, x)
        } else {
            let missing = x.isNaN || (n.flags & Self.zeroIsMissing != 0 && abs(x) <= 1e-35)
            goLeft = missing ? n.flags & Self.missingLeft != 0 : x <= n.threshold
        }
        let goRight: Int32 = !goLeft && n.flags & Self.leaf == 0 ? 1 : 0
        return n.child &+ goRight
    }

    /// LightGBM's CategoricalDecision: NaN and negative categories go right; others are truncated toward zero.
    private func categoricalLeft(_ at: Int, _ x: Double) -> Bool {
        guard !x.isNaN, x > -1, x < Double(Int32.max) else { return false }
        let category = Int(x.rounded(.towardZero))
        let word = category / 32
        guard word < Int(bitsetWords[at]) else { return false }
        return (bitsets[Int(bitsetStart[at]) + word] >> UInt32(category % 32)) & 1 == 1
    }
}
