import App
import ArgumentParser
import Domain
import Foundation
import Marketplace
import Risk
import Storage

/// `covenant bench risk-share`: what sharing the risk counters between instances costs per event: instance A
/// observes events and publishes them (a batch insert each round, as the one-second exchange does), instance B
/// reads and applies them. Reported per event, with the lag a round adds.
struct RiskShareBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk-share", abstract: "Cost per event of sharing risk counters through the database.")
    @Option(help: "Database URL (default: SQLite in a temporary directory).") var database: String?
    @Option(help: "Events in all.") var events = 100_000
    @Option(help: "Events per exchange round (a second's traffic on one instance).") var perRound = 2_000

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("covenant-bench-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AppConfig()
        config.dataDir = dir
        if let database { config.database = .parse(database) }
        let a = try await Runtime.open(config: config, logger: Runtime.quietLogger())
        let b = try Platform(db: a.db, keys: a.keys, clock: a.clock, settings: a.settings, logger: a.logger)
        a.riskSignals.startSharing()
        b.riskSignals.startSharing()
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; database: \(config.databaseLocation)")
        var random = BenchRandom(seed: 7)
        let clock = ContinuousClock()
        var observe = Duration.zero
        var publish = Duration.zero
        var apply = Duration.zero
        var applied = 0
        for round in 0..<(events / perRound) {
            let now = a.clock.nowMillis
            let began = clock.now
            for n in 0..<perRound {
                _ = a.riskSignals.observe(
                    RiskObservation(
                        time: now + Int64(n % 1000), kind: .checkout, account: random.next() % 50_000,
                        accountCreatedAt: now - 86_400_000 * 30, device: random.next() % 10_000,
                        ip: random.next() % 10_000, token: random.next() % 10_000, address: random.next() % 10_000,
                        merchant: random.next() % 1_000, amountFen: Int64(random.next() % 50_000)))
            }
            let observed = clock.now
            try await a.riskSignals.exchange(platform: a)
            let published = clock.now
            applied += try await b.riskSignals.exchange(platform: b)
            let done = clock.now
            observe += observed - began
            publish += published - observed
            apply += done - published
            if round == 0 { say("first round: \(perRound) events published and applied") }
        }
        let count = Double(events / perRound * perRound)
        func micros(_ duration: Duration) -> Double { Double(duration / .nanoseconds(1)) / 1_000 / count }
        say(
            String(
                format: "per event: observe %.2f µs (in memory), publish %.2f µs, apply on the other instance %.2f µs",
                micros(observe), micros(publish), micros(apply)))
        say("applied \(applied) of \(Int(count)) events on the other instance")
        await a.db.shutdown()
    }
}
