// Risk decisions (Sources/Risk) with the bundled rules and model, read from Sources/Marketplace/Resources by path.
import Benchmark
import Foundation
import Risk

/// The repository root: four levels above this file (Benchmarks/Benchmarks/Risk/Risk.swift).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func resource(_ name: String) throws -> Data {
    try Data(contentsOf: root.appendingPathComponent("Sources/Marketplace/Resources/\(name)"))
}

func bundledRules() throws -> RiskRuleSet { try RiskRuleSet.load(json: resource("risk-rules.json")) }

func bundledModel() throws -> RiskModel {
    let model = try GradientBoostedModel(text: String(decoding: try resource("risk-model.txt"), as: UTF8.self))
    return RiskModel(version: "bundled", model: model, weight: 100)  // COVENANT_RISK_MODEL_WEIGHT's default
}

/// xorshift64*: the same traffic on every run.
struct Random {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

/// Traffic as `covenant bench risk` makes it: 50,000 accounts and 10,000 each of devices, networks, cards,
/// addresses and merchants, warmed with 300,000 events over a day, so every lookup finds a populated entry.
final class Traffic: @unchecked Sendable {
    var features = RiskFeatures()
    var random = Random(seed: 42)
    var time: Int64 = start + day
    static let entities = 100_000
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_796_000_000_000

    init() {
        let warm = Self.entities * 3
        for n in 0..<warm { _ = features.observe(next(at: Self.start + Int64(n) * Self.day / Int64(warm))) }
    }

    func next(at time: Int64) -> RiskObservation {
        let kinds: [RiskEventKind] = [.login, .checkout, .payment, .review, .refundRequest]
        let accounts = UInt64(Self.entities / 2)
        let shared = UInt64(Self.entities / 10)
        return RiskObservation(
            time: time, kind: kinds[Int(random.next() % 5)], account: random.next() % accounts,
            accountCreatedAt: Self.start - Int64(random.next() % 600) * Self.day,
            device: 1 << 40 | random.next() % shared, ip: 2 << 40 | random.next() % shared,
            token: 3 << 40 | random.next() % shared, address: 4 << 40 | random.next() % shared,
            merchant: 5 << 40 | random.next() % shared, amountFen: Int64(random.next() % 50_000))
    }

    /// The next event, 10 ms after the previous one.
    func next() -> RiskObservation {
        time += 10
        return next(at: time)
    }

    /// 10,000 events' features, computed once, for the benchmarks that leave the counters out.
    func sampleFeatures() -> [(RiskEventKind, RiskFeatureVector)] {
        (0..<10_000).map { _ in
            let event = next()
            return (event.kind, features.observe(event))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    // One decision per iteration, so p50 and p99 are per decision as issue 6's targets are.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,  // one unit for every row, so figures compare at a glance
        warmupIterations: 1_000,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    // What a checkout pays in process: counters updated and read, 19 rules, 60 trees.
    Benchmark("observe + decide (bundled rules and model)") { _, state in
        let (traffic, engine) = state
        let event = traffic.next()
        blackHole(engine.decide(event.kind, features: traffic.features.observe(event)))
    } setup: {
        (Traffic(), RiskEngine(live: try bundledRules(), model: try bundledModel()))
    }

    Benchmark("RiskFeatures.observe (counters only)") { _, traffic in
        blackHole(traffic.features.observe(traffic.next()))
    } setup: {
        Traffic()
    }

    Benchmark("RiskEngine.decide, rules and model, features given") { benchmark, state in
        let (samples, engine) = state
        let (kind, features) = samples[benchmark.currentIteration % samples.count]
        blackHole(engine.decide(kind, features: features))
    } setup: {
        (Traffic().sampleFeatures(), RiskEngine(live: try bundledRules(), model: try bundledModel()))
    }

    Benchmark("RiskEngine.decide, rules only, features given") { benchmark, state in
        let (samples, engine) = state
        let (kind, features) = samples[benchmark.currentIteration % samples.count]
        blackHole(engine.decide(kind, features: features))
    } setup: {
        (Traffic().sampleFeatures(), RiskEngine(live: try bundledRules()))
    }

    // The tree walk alone (InterleavedTrees, eight trees in step), on rows already in column order.
    Benchmark("GradientBoostedModel.score, 60 trees") { benchmark, state in
        let (rows, model) = state
        blackHole(model.score(rows[benchmark.currentIteration % rows.count]))
    } setup: { () throws -> ([[Double]], GradientBoostedModel) in
        let model = try bundledModel().model
        let rows = Traffic().sampleFeatures().map { _, features in model.featureNames.map { features[$0] ?? .nan } }
        return (rows, model)
    }
}
