import App
import AsyncHTTPClient
import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Marketplace
import NIOCore
import Providers
import Testing

/// The platform served over real HTTP with the payment sandbox beside it, either as its own process
/// (`covenant payment-sandbox`, as in production) or in this process (faster, for focused tests).
struct PaymentStack: Sendable {
    let env: TestPlatform
    let client: Client
    let sandboxURL: String

    static let apiKey = "sandbox-test-api-key"
    static let secret = Data((0..<32).map { UInt8($0 &* 7 &+ 3) })

    static func with(
        _ backend: Backend, separateProcess: Bool = false, duplicateRate: Double = 1,
        _ body: @Sendable (PaymentStack) async throws -> Void
    ) async throws {
        if separateProcess {
            let sandbox = try SandboxProcess.start(duplicateRate: duplicateRate)
            defer { sandbox.stop() }
            try await serve(backend, sandboxURL: sandbox.url, body)
        } else {
            var options = PaymentSandbox.Options()
            options.duplicateRate = duplicateRate
            options.retryBaseMillis = 50
            var quiet = Logger(label: "payment-sandbox")
            quiet.logLevel = .critical
            let sandbox = try PaymentSandbox(apiKey: apiKey, callbackSecret: secret, options: options, logger: quiet)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = sandbox.application { port in continuation.yield(port) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                try await serve(backend, sandboxURL: "http://127.0.0.1:\(port)", body)
                group.cancelAll()
            }
        }
    }

    private static func serve(
        _ backend: Backend, sandboxURL: String, _ body: @Sendable (PaymentStack) async throws -> Void
    ) async throws {
        try await TestPlatform.with(backend) { base in
            // Callbacks carry wall-clock timestamps: start the test clock at the real time.
            base.clock.advance(seconds: Int64(Date().timeIntervalSince1970) - base.clock.nowMillis / 1000)
            var platform = base.platform
            platform.payments = HTTPPaymentProvider(baseURL: sandboxURL, apiKey: apiKey, callbackSecret: secret)
            let env = TestPlatform(platform: platform, clock: base.clock, config: base.config)
            let app = Application(router: buildRouter(platform: platform, config: env.config))
            try await app.test(.live) { client in
                env.platform.publicAddress.set("http://127.0.0.1:\(try #require(client.port))")
                try await body(
                    PaymentStack(env: env, client: Client(inner: client, clock: base.clock), sandboxURL: sandboxURL))
            }
        }
    }

    // MARK: Steps

    /// Pays on the sandbox's hosted page as the consumer would (form posts, challenge code when asked).
    func payOnHostedPage(_ payURL: String, card: String = PaymentSandbox.succeedingCard) async throws -> String {
        var page = try await postForm(payURL, ["card": card, "expiry": "12/30", "cvc": "123"])
        if page.contains("/challenge") {
            page = try await postForm(payURL + "/challenge", ["code": PaymentSandbox.challengeCode])
        }
        return page
    }

    /// Waits until the callback has been applied: the checkout's payment is no longer pending.
    func waitForPayment(_ checkoutId: String, token: String, until status: String = "succeeded") async throws
        -> [String: Any]
    {
        for _ in 0..<200 {
            let reply = try await client.send(.get, "/api/v1/checkouts/\(checkoutId)/payment", token: token)
            if reply.json["status"] as? String == status { return reply.json }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure(description: "payment of \(checkoutId) never became \(status)")
    }

    /// Every ledger invariant holds, reconciled with the sandbox's own records.
    func expectLedgerBalanced(_ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let violation = try await Settlement.check(platform: env.platform, reconcile: true)
        #expect(violation == nil, "after \(step): \(violation ?? "")", sourceLocation: sourceLocation)
    }

    /// Checks out the consumer's cart; returns the checkout's JSON.
    func checkout(_ token: String) async throws -> [String: Any] {
        let reply = try await OrderTests.checkout(client, token)
        guard reply.status == 201 else { throw TestFailure(description: "checkout: \(reply.status) \(reply.body)") }
        return reply.json
    }

    /// A consumer who bought `quantity` of `listing` and paid for it; returns the buyer's token and the order id.
    func paidOrder(_ listing: String, login: String, quantity: Int = 1) async throws -> (buyer: String, order: String) {
        let buyer = try await client.newSession(login: login)
        let added = try await OrderTests.add(client, buyer, listing, quantity)
        guard added.status == 200 else { throw TestFailure(description: "cart: \(added.status) \(added.body)") }
        let checkout = try await self.checkout(buyer)
        let payment = try #require(checkout["payment"] as? [String: Any], "\(checkout)")
        _ = try await payOnHostedPage(try #require(payment["payURL"] as? String))
        let checkoutId = try #require(checkout["id"] as? String)
        _ = try await waitForPayment(checkoutId, token: buyer)
        let order = try #require((checkout["orders"] as? [[String: Any]])?.first?["id"] as? String)
        return (buyer, order)
    }

    func postForm(_ url: String, _ fields: [String: String]) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = fields.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    func count(_ table: String) async throws -> Int { try await env.count(table) }
}

/// `covenant payment-sandbox` started as a child process; its chosen port read from its first line.
final class SandboxProcess: Sendable {
    let process: Process
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func executable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["COVENANT_BIN"] { return URL(fileURLWithPath: path) }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "covenant"),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
                ".build/debug/covenant"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestFailure(description: "the covenant executable is not built (swift build) at \(candidates)")
        }
        return found
    }

    static func start(duplicateRate: Double) throws -> SandboxProcess {
        let process = Process()
        process.executableURL = try executable()
        let storage = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString).json")
        process.arguments = [
            "payment-sandbox", "--port", "0", "--api-key", PaymentStack.apiKey, "--callback-secret",
            PaymentStack.secret.base64EncodedString(), "--duplicate-rate", String(duplicateRate),
            "--retry-base-millis", "50", "--storage", storage.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        while true {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.terminate()
                throw TestFailure(description: "the payment sandbox exited: \(String(decoding: seen, as: UTF8.self))")
            }
            seen += chunk
            let text = String(decoding: seen, as: UTF8.self)
            if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                return SandboxProcess(process: process, url: String(text[range.upperBound..<end]))
            }
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
