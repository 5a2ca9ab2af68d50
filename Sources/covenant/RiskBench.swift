import ArgumentParser
import Foundation
import Marketplace
import Risk

/// `covenant bench risk`: one in-process decision — features from sliding-window counters over many entities,
/// the rules, and a tree model — timed one at a time on one core (issue 6's figures).
struct RiskBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk", abstract: "Risk decisions: latency percentiles and throughput on one core.")
    @Option(help: "Entities (accounts, devices, networks, cards, addresses, merchants) to warm the counters with.")
    var entities = 100_000
    @Option(help: "Decisions to time.") var decisions = 200_000
    @Option(help: "LightGBM text model (default: the bundled model).") var model: String?
    @Option(help: "Points per unit of model probability.") var modelWeight = 100.0

    func run() throws {
        let data: Data
        if let model {
            guard let file = FileManager.default.contents(atPath: model) else {
                throw ValidationError("cannot read \(model)")
            }
            data = file
        } else {
            data = try RiskChecks.bundledModel()
        }
        let engine = RiskEngine(
            live: try RiskChecks.bundledRules(), model: try Runtime.riskModel(data, weight: modelWeight))
        let ruleCount = engine.live.rules.count
        say(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, release build expected; one thread; "
                + "\(ruleCount) rules, \(engine.model?.model.treeCount ?? 0) trees, "
                + "\(RiskFeatures.names.count) features from sliding-window counters")

        // Warm-up: traffic over a day touching the entities, so every lookup finds a populated entry.
        var random = BenchRandom(seed: 42)
        let accounts = UInt64(entities / 2)
        let shared = UInt64(max(entities / 10, 1))  // devices, networks, cards, addresses, merchants: a tenth each
        let day: Int64 = 86_400_000
        let start: Int64 = 1_796_000_000_000
        var features = RiskFeatures()
        func observation(at time: Int64) -> RiskObservation {
            let kinds: [RiskEventKind] = [.login, .checkout, .payment, .review, .refundRequest]
            return RiskObservation(
                time: time, kind: kinds[Int(random.next() % 5)], account: random.next() % accounts,
                accountCreatedAt: start - Int64(random.next() % 600) * day, device: 1 << 40 | random.next() % shared,
                ip: 2 << 40 | random.next() % shared, token: 3 << 40 | random.next() % shared,
                address: 4 << 40 | random.next() % shared, merchant: 5 << 40 | random.next() % shared,
                amountFen: Int64(random.next() % 50_000))
        }
        let warm = entities * 3
        for n in 0..<warm { _ = features.observe(observation(at: start + Int64(n) * day / Int64(warm))) }
        say("warmed \(features.entityCount) entities with \(warm) events")

        // Timed: features (counters updated and read), rules and model, one decision at a time.
        var latencies = [Int64](repeating: 0, count: decisions)
        let events = (0..<decisions).map { observation(at: start + day + Int64($0) * 10) }
        var outcomes = 0
        let clock = ContinuousClock()
        let began = clock.now
        for (n, event) in events.enumerated() {
            let before = clock.now
            let decision = engine.decide(event.kind, features: features.observe(event))
            latencies[n] = Int64((clock.now - before) / .nanoseconds(1))
            if decision.outcome != .allow { outcomes += 1 }
        }
        let total = clock.now - began
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            Double(latencies[min(Int(Double(latencies.count) * p), latencies.count - 1)]) / 1_000
        }
        let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
        say(
            String(
                format: "decision: p50 %.1f µs, p90 %.1f µs, p99 %.1f µs, max %.1f µs; %.0f decisions/s on one core",
                percentile(0.5), percentile(0.9), percentile(0.99), percentile(1), Double(decisions) / seconds))
        say("(\(outcomes) of \(decisions) not allowed; random traffic, so this is a cost figure, not a quality one)")
    }
}

/// xorshift64*: reproducible benchmark traffic.
struct BenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}
