import Foundation
import Testing

@testable import Risk

/// Clause 2.4.3: the tree scorer returns LightGBM's own scores (fixture written by
/// `tools/risk/make_parity_fixture.py` with LightGBM 4.7: NaN and zero routing, a categorical feature, an
/// unseen category, a row with every feature missing).
@Suite("Risk: LightGBM model parity")
struct ModelParityTests {
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("2.4.3: raw scores and probabilities match LightGBM within 1e-9 on 300 rows")
    func parity() throws {
        // setup
        let model = try GradientBoostedModel(text: try Self.fixture("parity_model.txt"))
        let lines = try Self.fixture("parity_rows.csv").split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(header.prefix(model.featureNames.count)) == model.featureNames)
        #expect(model.treeCount == 60)
        var checked = 0
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let features = cells.prefix(model.featureNames.count).map { Double($0) ?? .nan }
            let expectedRaw = try #require(Double(cells[model.featureNames.count]))
            let expectedProbability = try #require(Double(cells[model.featureNames.count + 1]))

            // act
            let raw = model.rawScore(features)
            let probability = model.score(features)

            // check
            #expect(abs(raw - expectedRaw) <= 1e-9, "row \(checked): \(raw) vs \(expectedRaw)")
            #expect(abs(probability - expectedProbability) <= 1e-9)
            checked += 1
        }
        #expect(checked == 300)
    }

    @Test(
        "2.4.3: walking eight trees at a time, nodes packed breadth first, scores bit for bit as walking them one by one"
    )
    func interleavedWalkIsExact() throws {
        let bundled = try String(
            contentsOf: #require(
                URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                    .appendingPathComponent("../../Sources/Marketplace/Resources/risk-model.txt")),
            encoding: .utf8)
        var generator = SystemRandomNumberGenerator()
        for text in [try Self.fixture("parity_model.txt"), bundled] {
            let model = try GradientBoostedModel(text: text)
            for _ in 0..<2_000 {
                // Missing values, exact and near zeros, negatives, large and fractional values: every routing rule.
                let row = (0..<model.featureNames.count).map { _ -> Double in
                    switch Int.random(in: 0..<6, using: &generator) {
                    case 0: .nan
                    case 1: 0
                    case 2: Double.random(in: -1e-36...1e-36, using: &generator)
                    case 3: Double(Int.random(in: -3...40, using: &generator))
                    default: Double.random(in: -1_000...100_000, using: &generator)
                    }
                }
                let fast = model.rawScore(row)
                let reference = row.withUnsafeBufferPointer { model.rawScoreByTree($0) }
                #expect(fast.bitPattern == reference.bitPattern, "\(row)")
            }
            // a row shorter than the model's features reads the absent ones as missing, as before
            let short = [Double](repeating: 1, count: model.featureNames.count - 1)
            #expect(model.rawScore(short) == short.withUnsafeBufferPointer { model.rawScoreByTree($0) })
        }
    }

    @Test("2.4.3: a model with a one-leaf tree, and malformed models refused with a reason")
    func edgeCases() throws {
        let oneLeaf = """
            tree
            version=v4
            num_class=1
            num_tree_per_iteration=1
            max_feature_idx=0
            objective=regression
            feature_names=x

            Tree=0
            num_leaves=1
            num_cat=0
            leaf_value=0.25
            shrinkage=1

            Tree=1
            num_leaves=2
            num_cat=0
            split_feature=0
            threshold=1.5
            decision_type=2
            left_child=-1
            right_child=-2
            leaf_value=-1 1

            end of trees
            """
        let model = try GradientBoostedModel(text: oneLeaf)
        #expect(model.score([1]) == -0.75)
        #expect(model.score([2]) == 1.25)
        #expect(model.score([.nan]) == -0.75, "NaN with missing type none is 0, which goes left")
        #expect(throws: GradientBoostedModel.LoadError.missing("feature_names")) {
            try GradientBoostedModel(text: "tree\nTree=0\nnum_leaves=1\nleaf_value=1\n")
        }
        #expect(throws: GradientBoostedModel.LoadError.self) {
            try GradientBoostedModel(text: oneLeaf.replacingOccurrences(of: "split_feature=0", with: "split_feature=9"))
        }
    }
}
