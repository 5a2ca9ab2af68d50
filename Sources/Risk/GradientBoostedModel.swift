import Foundation

/// A gradient-boosted tree ensemble read from LightGBM's text model format (`Booster.save_model`), scoring as
/// LightGBM does: numerical splits with their missing-value rules (None, Zero, NaN; default left or right),
/// categorical splits by bitset, raw score as the sum of leaves, and the sigmoid for binary objectives.
/// Trees are flattened into arrays so a score walks memory without allocating.
public struct GradientBoostedModel: Sendable {
    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case malformed(String)
        case unsupported(String)

        public var description: String {
            switch self {
            case .missing(let key): "the model has no \(key)"
            case .malformed(let detail): "the model is malformed: \(detail)"
            case .unsupported(let what): "unsupported model: \(what)"
            }
        }
    }

    public let featureNames: [String]
    /// `sigmoid:S` of a binary objective; nil for objectives whose output is the raw score.
    public let sigmoid: Double?
    public let treeCount: Int

    // Flattened nodes of every tree: node n of tree t is at `treeNodeStart[t] + n`.
    let splitFeature: [Int32]
    let threshold: [Double]
    let decisionType: [UInt8]
    /// Child links: ≥ 0 a node of the same tree, < 0 the leaf `~child`.
    let leftChild: [Int32]
    let rightChild: [Int32]
    let treeNodeStart: [Int]
    let treeLeafStart: [Int]
    /// Trees of one leaf (no split): they add their leaf whatever the features.
    let singleLeaf: [Bool]
    let leafValue: [Double]
    /// Categorical bitsets: for a categorical split, `threshold` indexes `catBoundaries` of its tree.
    let catBoundaryStart: [Int]
    let catBoundaries: [Int32]
    let catThresholdStart: [Int]
    let catThreshold: [UInt32]
    /// The same trees laid out to be walked eight at a time (what scoring uses); nil past 65,536 features.
    private var interleaved: InterleavedTrees?

    /// Reads a LightGBM text model.
    public init(text: String) throws(LoadError) {
        var header: [String: String] = [:]
        var trees: [[String: String]] = []
        var current: [String: String]?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.hasPrefix("Tree=") {
                if let current { trees.append(current) }
                current = [:]
                continue
            }
            if line == "end of trees" { break }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            if current != nil { current![key] = value } else { header[key] = value }
        }
        if let current { trees.append(current) }
        guard let names = header["feature_names"] else { throw .missing("feature_names") }
        featureNames = names.split(separator: " ").map(String.init)
        guard (header["num_class"] ?? "1") == "1", (header["num_tree_per_iteration"] ?? "1") == "1" else {
            throw .unsupported("multiclass models")
        }
        let objective = header["objective"] ?? ""
        if objective.hasPrefix("binary") {
            let parameter = objective.split(separator: " ").first { $0.hasPrefix("sigmoid:") }
            sigmoid = parameter.flatMap { Double($0.dropFirst("sigmoid:".count)) } ?? 1
        } else {
            sigmoid = nil
        }
        guard !trees.isEmpty else { throw .missing("trees") }

        var splitFeature: [Int32] = []
        var threshold: [Double] = []
        var decisionType: [UInt8] = []
        var leftChild: [Int32] = []
        var rightChild: [Int32] = []
        var treeNodeStart: [Int] = []
        var treeLeafStart: [Int] = []
        var leafValue: [Double] = []
        var catBoundaryStart: [Int] = []
        var catBoundaries: [Int32] = []
        var singleLeaf: [Bool] = []
        var catThresholdStart: [Int] = []
        var catThreshold: [UInt32] = []
        for (index, tree) in trees.enumerated() {
            func numbers<T>(_ key: String, _ parse: (Substring) -> T?) throws(LoadError) -> [T] {
                guard let text = tree[key] else { throw .missing("\(key) in tree \(index)") }
                var values: [T] = []
                for part in text.split(separator: " ") {
                    guard let value = parse(part) else { throw .malformed("\(key) in tree \(index)") }
                    values.append(value)
                }
                return values
            }
            guard let leaves = tree["num_leaves"].flatMap({ Int($0) }), leaves >= 1 else {
                throw .missing("num_leaves in tree \(index)")
            }
            treeNodeStart.append(splitFeature.count)
            treeLeafStart.append(leafValue.count)
            catBoundaryStart.append(catBoundaries.count)
            catThresholdStart.append(catThreshold.count)
            let values = try numbers("leaf_value") { Double($0) }
            guard values.count == leaves else { throw .malformed("leaf_value count in tree \(index)") }
            leafValue += values
            singleLeaf.append(leaves == 1)
            guard leaves > 1 else { continue }
            let features = try numbers("split_feature") { Int32($0) }
            let thresholds = try numbers("threshold") { Double($0) }
            let decisions = try numbers("decision_type") { UInt8($0) }
            let lefts = try numbers("left_child") { Int32($0) }
            let rights = try numbers("right_child") { Int32($0) }
            let nodes = leaves - 1
            guard
                [features.count, thresholds.count, decisions.count, lefts.count, rights.count].allSatisfy({
                    $0 == nodes
                })
            else { throw .malformed("node arrays of tree \(index)") }
            for child in lefts + rights where child >= Int32(nodes) || ~child >= Int32(leaves) && child < 0 {
                throw .malformed("child \(child) in tree \(index)")
            }
            for feature in features where feature < 0 || Int(feature) >= featureNames.count {
                throw .malformed("split feature \(feature) in tree \(index)")
            }
            splitFeature += features
            threshold += thresholds
            decisionType += decisions
            leftChild += lefts
            rightChild += rights
            if (Int(tree["num_cat"] ?? "0") ?? 0) > 0 {
                catBoundaries += try numbers("cat_boundaries") { Int32($0) }
                catThreshold += try numbers("cat_threshold") { UInt32($0) }
            }
        }
        self.treeCount = trees.count
        self.splitFeature = splitFeature
        self.threshold = threshold
        self.decisionType = decisionType
        self.leftChild = leftChild
        self.rightChild = rightChild
        self.treeNodeStart = treeNodeStart
        self.treeLeafStart = treeLeafStart
        self.singleLeaf = singleLeaf
        self.leafValue = leafValue
        self.catBoundaryStart = catBoundaryStart
        self.catBoundaries = catBoundaries
        self.catThresholdStart = catThresholdStart
        self.catThreshold = catThreshold
        self.interleaved = InterleavedTrees(self)
    }

    /// The sum of every tree's leaf for `features` (in `featureNames` order; NaN is missing).
    public func rawScore(_ features: [Double]) -> Double {
        features.withUnsafeBufferPointer { rawScore($0) }
    }

    public func rawScore(_ features: UnsafeBufferPointer<Double>) -> Double {
        if let interleaved, !features.isEmpty, features.count >= interleaved.featureCount {
            return interleaved.rawScore(features)
        }
        return rawScoreByTree(features)
    }

    /// One tree after another, reading a short row's absent features as missing: the reference walk.
    func rawScoreByTree(_ features: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0
        for tree in 0..<treeCount { sum += leafValue[treeLeafStart[tree] + leaf(tree, features)] }
        return sum
    }

    /// The model's output: the probability for binary objectives, else the raw score.
    public func score(_ features: [Double]) -> Double {
        let raw = rawScore(features)
        guard let sigmoid else { return raw }
        return 1 / (1 + exp(-sigmoid * raw))
    }

    /// The leaf `features` reach in `tree`.
    @inline(__always)
    func leaf(_ tree: Int, _ features: UnsafeBufferPointer<Double>) -> Int {
        if singleLeaf[tree] { return 0 }
        let base = treeNodeStart[tree]
        var node = 0
        while true {
            let at = base + node
            let feature = Int(splitFeature[at])
            let value = feature < features.count ? features[feature] : .nan
            let goLeft =
                decisionType[at] & 1 == 1
                ? categoricalLeft(tree, at, value) : numericalLeft(at, value)
            let child = goLeft ? leftChild[at] : rightChild[at]
            if child < 0 { return Int(~child) }
            node = Int(child)
        }
    }

    /// LightGBM's `NumericalDecision`: missing type in bits 2–3 (0 none, 1 zero, 2 NaN), default left in bit 1.
    @inline(__always)
    private func numericalLeft(_ at: Int, _ raw: Double) -> Bool {
        let type = decisionType[at]
        let missing = (type >> 2) & 3
        var value = raw
        if value.isNaN, missing != 2 { value = 0 }
        if (missing == 1 && abs(value) <= 1e-35) || (missing == 2 && value.isNaN) { return type & 2 != 0 }
        return value <= threshold[at]
    }

    /// LightGBM's `CategoricalDecision`: the category's bit in the split's bitset sends it left.
    @inline(__always)
    private func categoricalLeft(_ tree: Int, _ at: Int, _ value: Double) -> Bool {
        // As LightGBM: NaN and negative categories go right; others are truncated toward zero.
        guard !value.isNaN, value > -1, value < Double(Int32.max) else { return false }
        let category = Int(value.rounded(.towardZero))
        let index = catBoundaryStart[tree] + Int(threshold[at])
        let from = Int(catBoundaries[index])
        let words = Int(catBoundaries[index + 1]) - from
        let word = category / 32
        guard word < words else { return false }
        return (catThreshold[catThresholdStart[tree] + from + word] >> UInt32(category % 32)) & 1 == 1
    }
}
