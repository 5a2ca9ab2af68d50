import App
import ArgumentParser
import AsyncHTTPClient
import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import NIOCore
import NIOHTTP1
import Providers
import SQLKit
import Storage

/// `covenant bench shop`: browse and checkout over real HTTP against a server in this process, with the
/// payment sandbox beside it (issue 5's figures). The load generator shares the machine's cores.
struct ShopBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Listing browse and checkout throughput over HTTP (issue 5 targets).")

    @Option(help: "Database URL (default: SQLite in a temporary directory).") var database: String?
    @Option(help: "Concurrent clients.") var concurrency = 32
    @Option(help: "Seconds of browsing.") var browseSeconds = 10
    @Option(help: "Checkouts in all.") var checkouts = 2_000

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("covenant-bench-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AppConfig()
        config.dataDir = dir
        config.port = 0
        if let database { config.database = .parse(database) }
        // Registration is not measured: cheap password hashing keeps the set-up short.
        config.security.passwordHashCost = 4
        config.security.verifiedBuyerThresholdFen = .max
        // The load generator is one address sending thousands of requests a second: no rate limits (the
        // signatures still inspect every request, as in production).
        config.shield.rateLimits = false
        var platform = try await Runtime.open(config: config, logger: Runtime.quietLogger())
        let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        var quiet = Logger(label: "bench")
        quiet.logLevel = .error
        let sandbox = try PaymentSandbox(apiKey: "bench", callbackSecret: secret, logger: quiet)
        let (sandboxPorts, sandboxReady) = AsyncStream<Int>.makeStream()
        let (ports, ready) = AsyncStream<Int>.makeStream()
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; database: \(config.databaseLocation)")

        try await withThrowingTaskGroup(of: Void.self) { group in
            let sandboxApp = sandbox.application { sandboxReady.yield($0) }
            group.addTask { try await sandboxApp.runService(gracefulShutdownSignals: []) }
            var sandboxIterator = sandboxPorts.makeAsyncIterator()
            guard let sandboxPort = await sandboxIterator.next() else { throw CLIFailure("no sandbox") }
            platform.payments = HTTPPaymentProvider(
                baseURL: "http://127.0.0.1:\(sandboxPort)", apiKey: "bench", callbackSecret: secret)
            let listings = try await seedListings(platform)
            // Eight checkouts per consumer: the risk rules (ten an hour goes to review) see ordinary shoppers.
            let tokens = try await seedConsumers(platform, count: max(concurrency, checkouts / 8 + 1))
            let router = buildRouter(platform: platform, config: config)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { ready.yield($0.localAddress?.port ?? 0) }, logger: quiet)
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CLIFailure("no server") }
            let base = "http://127.0.0.1:\(port)"
            platform.publicAddress.set(base)

            let browse = try await load(clients: concurrency, until: .now + .seconds(browseSeconds)) { _, _ in
                try await request(.GET, base + "/api/v1/products?limit=20")
            }
            report("browse (GET /api/v1/products?limit=20)", browse)

            let perClient = max(1, checkouts / concurrency)
            let checkout = try await load(clients: concurrency, rounds: perClient) { client, round in
                let token = tokens[(round * concurrency + client) % tokens.count]
                let listing = listings[(client + round) % listings.count]
                _ = try await request(
                    .POST, base + "/api/v1/cart/items", token: token,
                    body: #"{"listingId":"\#(listing)","quantity":1}"#, timed: false)
                return try await request(
                    .POST, base + "/api/v1/checkouts", token: token, body: Self.recipient,
                    idempotencyKey: UUID().uuidString)
            }
            report("checkout (POST /api/v1/checkouts: orders, stock, encryption, audit, payment intent)", checkout)
            group.cancelAll()
        }
        await platform.db.shutdown()
    }

    static let recipient =
        #"{"recipient":{"name":"张小明","phone":"13912345678","address":{"province":"浙江省","city":"杭州市","district":"西湖区","detail":"文三路 90 号"}}}"#

    struct Sample: Sendable {
        var latencies: [Double] = []
        var failures = 0
        var seconds = 0.0
    }

    /// Runs `step` from `clients` concurrent loops, for `rounds` each or until `until`; collects latencies.
    func load(
        clients: Int, rounds: Int = .max, until: ContinuousClock.Instant? = nil,
        _ step: @escaping @Sendable (Int, Int) async throws -> Double?
    ) async throws -> Sample {
        let start = ContinuousClock.now
        var sample = Sample()
        try await withThrowingTaskGroup(of: Sample.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var mine = Sample()
                    var round = 0
                    while round < rounds, until.map({ ContinuousClock.now < $0 }) ?? true {
                        do {
                            if let latency = try await step(client, round) { mine.latencies.append(latency) }
                        } catch {
                            mine.failures += 1
                        }
                        round += 1
                    }
                    return mine
                }
            }
            for try await part in group {
                sample.latencies += part.latencies
                sample.failures += part.failures
            }
        }
        let elapsed = ContinuousClock.now - start
        sample.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return sample
    }

    /// One request; its latency in milliseconds (nil when not timed). Anything but 2xx is a failure.
    func request(
        _ method: HTTPMethod, _ url: String, token: String? = nil, body: String? = nil,
        idempotencyKey: String? = nil, timed: Bool = true
    ) async throws -> Double? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let start = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 22)
        let elapsed = ContinuousClock.now - start
        guard (200..<300).contains(Int(response.status.code)) else { throw CLIFailure("\(response.status)") }
        return timed
            ? Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15 : nil
    }

    func report(_ name: String, _ sample: Sample) {
        let sorted = sample.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        say(
            String(
                format: "%@: %d in %.1f s = %.0f/s; p50 %.1f ms, p99 %.1f ms; %d failed", name, sorted.count,
                sample.seconds, Double(sorted.count) / sample.seconds, percentile(0.5), percentile(0.99),
                sample.failures))
    }

    /// The demo's verified merchants and listings, with stock for the whole run.
    func seedListings(_ platform: Platform) async throws -> [String] {
        _ = try await Demo.seed(platform: platform)
        try await platform.db.sql.raw("UPDATE listings SET stock = 1000000").run()
        return try await platform.db.sql.raw("SELECT id FROM listings WHERE status = 'published'").all().map {
            try $0.decode(column: "id", as: String.self)
        }
    }

    func seedConsumers(_ platform: Platform, count: Int) async throws -> [String] {
        var tokens: [String] = []
        for n in 0..<count {
            let login = "1370000\(String(format: "%04d", n))"
            let password = "bench password \(n) long enough"
            _ = try await Registration.register(
                RegistrationInput(kind: .consumer, login: login, password: password, displayName: "压测\(n)"),
                platform: platform)
            let session = try await SignIn.signIn(
                SignInInput(login: login, password: password, otp: nil, ip: "127.0.0.1", userAgent: "bench"),
                platform: platform)
            tokens.append(session.token)
        }
        return tokens
    }
}
