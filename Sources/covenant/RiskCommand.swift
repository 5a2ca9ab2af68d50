import ArgumentParser
import Foundation
import Marketplace
import Risk
import SQLKit
import Storage

/// `covenant risk …`: offline scoring and the labelled export for training (clause 2.4.3).
struct RiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk", abstract: "Risk engine tools.",
        subcommands: [Score.self, Export.self, Rules.self, Simulate.self, Backtest.self])

    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score every row of a CSV (feature columns by name) with a LightGBM text model.")

        @Option(help: "LightGBM text model (Booster.save_model).") var model: String
        @Option(help: "CSV with a header naming the features; empty cells are missing values.") var input: String
        @Option(help: "Where to write the CSV: the input's columns plus `score`.") var output: String

        func run() throws {
            guard let text = FileManager.default.contents(atPath: model) else {
                throw ValidationError("cannot read \(model)")
            }
            let scorer = try GradientBoostedModel(text: String(decoding: text, as: UTF8.self))
            guard let data = FileManager.default.contents(atPath: input) else {
                throw ValidationError("cannot read \(input)")
            }
            var lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            guard !lines.isEmpty else { throw ValidationError("\(input) is empty") }
            let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let columns = try scorer.featureNames.map { name in
                guard let index = header.firstIndex(of: name) else {
                    throw ValidationError("\(input) has no column \(name) (the model reads \(scorer.featureNames))")
                }
                return index
            }
            // Parsed first, so the timing covers scoring only (one row at a time, one thread).
            let rows = lines.map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                return columns.map { $0 < cells.count ? Double(cells[$0]) ?? .nan : .nan }
            }
            var scores = [Double](repeating: 0, count: rows.count)
            let start = ContinuousClock.now
            for (n, row) in rows.enumerated() { scores[n] = scorer.score(row) }
            let elapsed = ContinuousClock.now - start
            var out = header.joined(separator: ",") + ",score\n"
            for (line, score) in zip(lines, scores) { out += line + "," + String(score) + "\n" }
            try Data(out.utf8).write(to: URL(fileURLWithPath: output))
            let micros = Double(elapsed / .nanoseconds(1)) / 1_000 / Double(max(rows.count, 1))
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "scored %d rows with %d trees in %.3f s (%.2f µs per row)\n", rows.count,
                        scorer.treeCount, Double(elapsed / .nanoseconds(1)) / 1e9, micros
                    ).utf8))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write analysts' labelled decisions as CSV (features and label) for tools/risk/train.py.")

        @OptionGroup var common: CommonOptions
        @Option(help: "Where to write the CSV.") var output: String

        func run() async throws {
            let rows = try await Runtime.withPlatform(config: try common.config()) { platform in
                try await platform.db.sql.raw(
                    """
                    SELECT d.features AS features, c.label AS label FROM risk_cases c
                    JOIN risk_decisions d ON d.id = c.decision_id WHERE c.label IS NOT NULL ORDER BY d.created_at
                    """
                ).all().map {
                    (
                        try $0.decode(column: "features", as: String.self),
                        try $0.decode(column: "label", as: String.self)
                    )
                }
            }
            let parsed = rows.map {
                ((try? JSONDecoder().decode([String: Double].self, from: Data($0.0.utf8))) ?? [:], $0.1)
            }
            let names = Set(parsed.flatMap(\.0.keys)).sorted()
            var out = (names + ["label"]).joined(separator: ",") + "\n"
            for (features, label) in parsed {
                out +=
                    (names.map { features[$0].map { String($0) } ?? "" } + [label == "fraud" ? "1" : "0"])
                    .joined(separator: ",") + "\n"
            }
            try Data(out.utf8).write(to: URL(fileURLWithPath: output))
            say("exported \(parsed.count) labelled decisions with \(names.count) features to \(output)")
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a rule-set file, or print the bundled one.")

        @Option(help: "A rule-set JSON file to check (default: print the bundled rules).") var check: String?

        func run() throws {
            if let check {
                guard let data = FileManager.default.contents(atPath: check) else {
                    throw ValidationError("cannot read \(check)")
                }
                let rules = try RiskRuleSet.load(json: data)
                say("rule set \(rules.version): \(rules.rules.count) rules, valid")
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            say(String(decoding: try encoder.encode(try RiskChecks.bundledRules()), as: UTF8.self))
        }
    }
}
