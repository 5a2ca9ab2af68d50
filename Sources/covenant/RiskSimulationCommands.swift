import ArgumentParser
import Foundation
import Marketplace
import Risk

/// `covenant risk simulate` and `covenant risk backtest` (clause 2.4.3): labelled marketplace traffic with
/// fraud campaigns, and what a rule set and model would have decided on it.
extension RiskCommand {
    struct Simulate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate marketplace traffic with labelled fraud campaigns (JSON lines).")
        @OptionGroup var shape: SimulationOptions
        @Option(help: "Where to write the events (JSON lines).") var output: String
        @Option(help: "Also write each event's features and label as CSV, for tools/risk/train.py.")
        var featuresCSV: String?

        func run() throws {
            let events = shape.simulator.events()
            var lines = Data()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for event in events {
                lines.append(try encoder.encode(event))
                lines.append(0x0A)
            }
            try lines.write(to: URL(fileURLWithPath: output))
            let fraud = events.filter(\.isFraud).count
            say("wrote \(events.count) events (\(fraud) in campaigns) to \(output)")
            if let featuresCSV {
                try RiskCommand.writeFeatures(events, to: featuresCSV)
                say("wrote features and labels to \(featuresCSV)")
            }
        }
    }

    struct Backtest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay recorded or generated events through a rule set (and model); report outcomes.")
        @Option(help: "Events from `risk simulate` (default: generate them with the options below).") var input: String?
        @OptionGroup var shape: SimulationOptions
        @Option(help: "Rule set (default: the bundled rules).") var rules: String?
        @Option(help: "A second rule set to compare (shadow): where their outcomes differ is reported.") var shadow:
            String?
        @Option(help: "LightGBM text model whose probability adds to the score: a file, `bundled` or `none`.")
        var model = "bundled"
        @Option(help: "Points per unit of model probability.") var modelWeight = 100.0
        @Option(help: "text or json.") var format = "text"

        func run() throws {
            let events: [SimulatedEvent]
            if let input {
                guard let data = FileManager.default.contents(atPath: input) else {
                    throw ValidationError("cannot read \(input)")
                }
                let decoder = JSONDecoder()
                events = try data.split(separator: 0x0A).map { try decoder.decode(SimulatedEvent.self, from: $0) }
            } else {
                events = shape.simulator.events()
            }
            let loadedModel: RiskModel? =
                switch model {
                case "none": nil
                case "bundled": try Runtime.riskModel(try RiskChecks.bundledModel(), weight: modelWeight)
                default:
                    try Runtime.riskModel(
                        try FileManager.default.contents(atPath: model)
                            ?? { throw ValidationError("cannot read \(model)") }(),
                        weight: modelWeight)
                }
            let live = RiskEngine(live: try RiskCommand.rules(rules), model: loadedModel)
            let other = try shadow.map { RiskEngine(live: try RiskCommand.rules($0), model: loadedModel) }
            let start = ContinuousClock.now
            let report = Risk.Backtest.run(events, engine: live, shadow: other)
            let elapsed = ContinuousClock.now - start
            if format == "json" {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                say(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            say("rule set \(report.ruleSetVersion)" + (report.modelVersion.map { ", model \($0)" } ?? ""))
            say(
                "\(report.events) events in \(elapsed): "
                    + report.outcomes.sorted { $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            say("campaign             events  stopped  recall  runs stopped  median passed before first stop")
            for name in MarketplaceSimulator.campaigns {
                guard let figures = report.campaigns[name] else { continue }
                say(
                    name.padding(toLength: 20, withPad: " ", startingAt: 0)
                        + String(
                            format: " %6d  %7d  %5.1f%%  %4d/%-4d     %.1f", figures.events, figures.stopped,
                            figures.recall * 100, figures.runsStopped, figures.runs,
                            figures.medianPassedBeforeFirstStop))
            }
            say(
                String(
                    format: "genuine orders blocked: %d of %d (%.3f%%); genuine events stopped: %d of %d (%.2f%%)",
                    report.genuineOrdersBlocked, report.genuineOrders, report.genuineOrdersBlockedRate * 100,
                    report.genuineEventsStopped, report.genuineEvents,
                    100 * Double(report.genuineEventsStopped) / Double(max(report.genuineEvents, 1))))
            say(
                "genuine events stopped by: "
                    + report.genuineStoppedBy.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
                    .joined(separator: ", "))
            if other != nil {
                say(
                    "shadow differs on \(report.shadowDifferences.values.reduce(0, +)) events: "
                        + report.shadowDifferences.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                        .joined(separator: ", "))
            }
        }
    }

    static func rules(_ path: String?) throws -> RiskRuleSet {
        guard let path else { return try RiskChecks.bundledRules() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return try RiskRuleSet.load(json: data)
    }

    /// The features of every event, in `RiskFeatures.names` order, and its label (1 = fraud).
    static func writeFeatures(_ events: [SimulatedEvent], to path: String) throws {
        var csv = (RiskFeatures.names + ["label"]).joined(separator: ",") + "\n"
        _ = Risk.Backtest.run(events, engine: RiskEngine(live: try RiskChecks.bundledRules())) { row in
            csv += RiskFeatures.names.map { row.features[$0].map { String($0) } ?? "" }.joined(separator: ",")
            csv += row.fraud ? ",1\n" : ",0\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
    }
}

/// The shape of generated traffic.
struct SimulationOptions: ParsableArguments {
    @Option(help: "Random seed (the same seed gives the same events).") var seed: UInt64 = 7
    @Option(help: "Consumers.") var consumers = 5_000
    @Option(help: "Merchants.") var merchants = 200
    @Option(help: "Days of traffic.") var days = 3
    @Option(help: "Runs of each fraud campaign.") var runs = 20

    var simulator: MarketplaceSimulator {
        MarketplaceSimulator(
            seed: seed, consumers: consumers, merchants: merchants, days: days, runsPerCampaign: runs)
    }
}
