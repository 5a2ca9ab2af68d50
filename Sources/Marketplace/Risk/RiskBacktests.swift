import Domain
import Foundation
public import Risk

/// Backtests started by a risk analyst from the operations console (2.4.3): generated traffic with labelled
/// fraud campaigns replayed through the engine this platform runs (its live rules and model, and its shadow
/// rules if any), as `covenant risk backtest` does, but as a background job whose progress the page follows.
public enum RiskBacktests {
    /// The traffic to generate; bounded so that one job cannot occupy an instance for long.
    public struct Parameters: Sendable, Codable, Equatable {
        public var seed: UInt64
        public var consumers: Int
        public var merchants: Int
        public var days: Int
        public var runs: Int

        public static let standard = Parameters(seed: 7, consumers: 2_000, merchants: 100, days: 2, runs: 10)

        public init(seed: UInt64, consumers: Int, merchants: Int, days: Int, runs: Int) {
            self.seed = seed
            self.consumers = consumers
            self.merchants = merchants
            self.days = days
            self.runs = runs
        }

        public func validated() throws -> Self {
            for (field, value, range) in [
                ("consumers", consumers, 10...20_000), ("merchants", merchants, 2...1_000), ("days", days, 1...7),
                ("runs", runs, 1...50),
            ] where !range.contains(value) {
                throw Problem.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound).")
            }
            return self
        }

        var simulator: MarketplaceSimulator {
            MarketplaceSimulator(
                seed: seed, consumers: consumers, merchants: merchants, days: days, runsPerCampaign: runs)
        }
    }

    /// Queues a backtest with these parameters (one at a time).
    public static func start(_ parameters: Parameters, caller: Caller, platform: Platform) async throws
        -> MaintenanceJobView
    {
        let json = String(decoding: try JSONEncoder().encode(try parameters.validated()), as: UTF8.self)
        return try await MaintenanceJobs.start(.backtest, parameters: json, caller: caller, platform: platform)
    }

    /// The report of a finished backtest job.
    public static func report(of job: MaintenanceJobView) -> Backtest.Report? {
        job.result.flatMap { try? JSONDecoder().decode(Backtest.Report.self, from: Data($0.utf8)) }
    }

    public static func parameters(of job: MaintenanceJobView) -> Parameters? {
        job.parameters.flatMap { try? JSONDecoder().decode(Parameters.self, from: Data($0.utf8)) }
    }

    /// The background job: replays the events a page at a time, saving progress between pages, and returns the
    /// report as JSON.
    static func run(
        parameters json: String?, platform: Platform, progress: (Int, Int) async throws -> Void
    ) async throws -> String {
        let parameters = try JSONDecoder().decode(Parameters.self, from: Data((json ?? "").utf8)).validated()
        let events = parameters.simulator.events()
        let engine = platform.risk
        var replay = Backtest.Replay(
            engine: engine, shadow: engine.shadow.map { RiskEngine(live: $0, model: engine.model) })
        try await progress(0, events.count)
        for page in stride(from: 0, to: events.count, by: pageSize) {
            for event in events[page..<min(page + pageSize, events.count)] { replay.observe(event) }
            try await progress(replay.events, events.count)
            await Task.yield()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(replay.report), as: UTF8.self)
    }

    static let pageSize = 5_000
}
