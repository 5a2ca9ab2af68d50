/// The model's trees laid out for speed: eight trees are walked side by side, so the CPU overlaps their dependent
/// loads instead of waiting on one tree's next node at a time. Each leaf is a node that points to itself, so a
/// walk that reached its leaf can keep stepping in place while the others go on, and each
/// split's missing-value rule is folded ahead of time into two flags, so a step is a load, a compare and a
/// select. Trees are still summed one by one in their order, so scores are bit-for-bit those of the tree walk.
final class InterleavedTrees: @unchecked Sendable {
    // Immutable after init: nodes of every tree, leaves included, as parallel columns.
    private let count: Int
    private let feature: UnsafeMutablePointer<Int32>
    private let threshold: UnsafeMutablePointer<Double>
    /// Bit 0: a zero value counts as missing; bit 1: a missing value goes left; bit 2: categorical split;
    /// bit 3: a leaf.
    private let flags: UnsafeMutablePointer<UInt8>
    private let left: UnsafeMutablePointer<Int32>
    private let right: UnsafeMutablePointer<Int32>
    /// The leaf's value (0 for splits).
    private let value: UnsafeMutablePointer<Double>
    /// Categorical splits: where the split's bitset starts in `bitsets`, and how many 32-bit words it has.
    private let bitsetStart: UnsafeMutablePointer<Int32>
    private let bitsetWords: UnsafeMutablePointer<Int32>
    private let bitsets: [UInt32]
    /// Per tree: its root node, in tree order.
    private let roots: [Int32]
    let featureCount: Int

    private static let zeroIsMissing: UInt8 = 1
    private static let missingLeft: UInt8 = 2
    private static let categorical: UInt8 = 4
    private static let leaf: UInt8 = 8

    init(_ model: GradientBoostedModel) {
        featureCount = model.featureNames.count
        var feature: [Int32] = []
        var threshold: [Double] = []
        var flags: [UInt8] = []
        var left: [Int32] = []
        var right: [Int32] = []
        var value: [Double] = []
        var bitsetStart: [Int32] = []
        var bitsetWords: [Int32] = []
        var roots: [Int32] = []
        for tree in 0..<model.treeCount {
            let leaves =
                (tree + 1 < model.treeCount ? model.treeLeafStart[tree + 1] : model.leafValue.count)
                - model.treeLeafStart[tree]
            let splits = model.singleLeaf[tree] ? 0 : leaves - 1
            let base = Int32(feature.count)
            // Splits first (node n at base + n), then leaves (leaf l at base + splits + l).
            func global(_ child: Int32) -> Int32 { child >= 0 ? base + child : base + Int32(splits) + ~child }
            for node in 0..<splits {
                let at = model.treeNodeStart[tree] + node
                let type = model.decisionType[at]
                feature.append(model.splitFeature[at])
                left.append(global(model.leftChild[at]))
                right.append(global(model.rightChild[at]))
                value.append(0)
                if type & 1 == 1 {
                    let index = model.catBoundaryStart[tree] + Int(model.threshold[at])
                    let from = Int(model.catBoundaries[index])
                    threshold.append(0)
                    flags.append(Self.categorical)
                    bitsetStart.append(Int32(model.catThresholdStart[tree] + from))
                    bitsetWords.append(model.catBoundaries[index + 1] - Int32(from))
                } else {
                    // LightGBM's NumericalDecision: missing type in bits 2–3 (0 none, 1 zero, 2 NaN), default left
                    // in bit 1. With "none", a missing value is read as 0, so it goes where 0 goes.
                    let missing = (type >> 2) & 3
                    let defaultLeft = type & 2 != 0
                    let missingGoesLeft = missing == 0 ? 0 <= model.threshold[at] : defaultLeft
                    threshold.append(model.threshold[at])
                    flags.append((missing == 1 ? Self.zeroIsMissing : 0) | (missingGoesLeft ? Self.missingLeft : 0))
                    bitsetStart.append(0)
                    bitsetWords.append(0)
                }
            }
            for leaf in 0..<leaves {
                let me = base + Int32(splits + leaf)
                feature.append(0)
                threshold.append(0)
                flags.append(Self.leaf)
                left.append(me)
                right.append(me)
                value.append(model.leafValue[model.treeLeafStart[tree] + leaf])
                bitsetStart.append(0)
                bitsetWords.append(0)
            }
            roots.append(base)
        }
        // The idle leaf: where a lane with no tree left waits.
        let idle = Int32(feature.count)
        feature.append(0)
        threshold.append(0)
        flags.append(Self.leaf)
        left.append(idle)
        right.append(idle)
        value.append(0)
        bitsetStart.append(0)
        bitsetWords.append(0)
        count = feature.count
        func copy<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
            pointer.initialize(from: array, count: array.count)
            return pointer
        }
        self.feature = copy(feature)
        self.threshold = copy(threshold)
        self.flags = copy(flags)
        self.left = copy(left)
        self.right = copy(right)
        self.value = copy(value)
        self.bitsetStart = copy(bitsetStart)
        self.bitsetWords = copy(bitsetWords)
        self.bitsets = model.catThreshold
        self.roots = roots
    }

    deinit {
        for pointer in [feature, left, right, bitsetStart, bitsetWords] as [UnsafeMutablePointer<Int32>] {
            pointer.deinitialize(count: count)
            pointer.deallocate()
        }
        threshold.deallocate()
        value.deallocate()
        flags.deallocate()
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
                sum += value[Int(n0)]
                sum += value[Int(n1)]
                sum += value[Int(n2)]
                sum += value[Int(n3)]
                sum += value[Int(n4)]
                sum += value[Int(n5)]
                sum += value[Int(n6)]
                sum += value[Int(n7)]
                tree += 8
            }
            while tree < trees {
                sum += value[Int(walk(roots[tree], input))]
                tree += 1
            }
        }
        return sum
    }

    /// 1 for a leaf, else 0.
    @inline(__always)
    private func isLeaf(_ node: Int32) -> Int { Int(flags[Int(node)] >> 3) }

    /// From `node` down to its leaf.
    @inline(__always)
    private func walk(_ node: Int32, _ input: UnsafePointer<Double>) -> Int32 {
        var node = node
        while flags[Int(node)] & Self.leaf == 0 { node = step(node, input) }
        return node
    }

    /// One level down (a leaf stays where it is).
    @inline(__always)
    private func step(_ node: Int32, _ input: UnsafePointer<Double>) -> Int32 {
        let at = Int(node)
        let x = input[Int(feature[at])]
        let rule = flags[at]
        let goLeft: Bool
        if rule & Self.categorical != 0 {
            goLeft = categoricalLeft(at, x)
        } else {
            let missing = x.isNaN || (rule & Self.zeroIsMissing != 0 && abs(x) <= 1e-35)
            goLeft = missing ? rule & Self.missingLeft != 0 : x <= threshold[at]
        }
        return goLeft ? left[at] : right[at]
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
