import AsyncHTTPClient
import Crypto
import Domain
public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import Marketplace
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// `covenant payment-sandbox`: a stand-in for a licensed payment institution, as its own HTTP service with its
/// own storage (a JSON file). The platform creates intents server to server (bearer API key); the consumer pays
/// on the sandbox's hosted page with a test card; the sandbox sends signed callbacks, retried with backoff and
/// sometimes delivered twice; it pays refunds and merchant payouts and reports its totals for reconciliation.
public final class PaymentSandbox: Sendable {
    /// Test cards (REFERENCE.md): one succeeds, one is declined, one needs a challenge code first.
    public static let succeedingCard = "4242424242424242"
    public static let decliningCard = "4000000000000002"
    public static let challengeCard = "4000000000003220"
    public static let challengeCode = "123456"

    public struct Options: Sendable {
        /// Chance that a delivered callback is delivered again (at-least-once delivery).
        public var duplicateRate = 0.2
        /// First retry delay; it doubles per attempt.
        public var retryBaseMillis: Int64 = 500
        public var maxAttempts = 8
        /// Where the sandbox keeps its records; nil keeps them in memory.
        public var storagePath: String?

        public init() {}
    }

    struct Intent: Codable, Sendable {
        let id: String
        let request: PaymentWire.IntentRequest
        var status: String
        var token: String?
        var brand: String?
        var last4: String?
    }

    struct Movement: Codable, Sendable {
        let id: String
        let reference: String
        let amountFen: Int64
        let subject: String
    }

    struct Callback: Codable, Sendable {
        let url: String
        let event: PaymentEvent
    }

    struct State: Codable, Sendable {
        var intents: [String: Intent] = [:]
        var refunds: [String: Movement] = [:]
        var payouts: [String: Movement] = [:]
        var undelivered: [String: Callback] = [:]
    }

    private let state: Mutex<State>
    private let apiKey: String
    private let secret: Data
    private let options: Options
    private let logger: Logger

    public init(apiKey: String, callbackSecret: Data, options: Options = Options(), logger: Logger) throws {
        self.apiKey = apiKey
        self.secret = callbackSecret
        self.options = options
        self.logger = logger
        var loaded = State()
        if let path = options.storagePath, let data = FileManager.default.contents(atPath: path) {
            loaded = try JSONDecoder().decode(State.self, from: data)
        }
        self.state = Mutex(loaded)
    }

    /// The sandbox's HTTP application (0 picks a free port; `onRunning` receives the one chosen).
    public func application(
        host: String = "127.0.0.1", port: Int = 0, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/intents") { request, _ in try await self.createIntent(request) }
        router.post("v1/refunds") { request, _ in try await self.refund(request) }
        router.post("v1/payouts") { request, _ in try await self.payout(request) }
        router.get("v1/totals") { request, _ in try await self.totals(request) }
        router.get("pay/:id") { _, context in self.payPage(id: try context.parameters.require("id")) }
        router.post("pay/:id") { request, context in
            try await self.pay(id: try context.parameters.require("id"), request)
        }
        router.post("pay/:id/challenge") { request, context in
            try await self.challenge(id: try context.parameters.require("id"), request)
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "payment-sandbox"),
            onServerRunning: { channel in
                let chosen = channel.localAddress?.port ?? port
                self.resumeDeliveries()
                await onRunning(chosen)
            }, logger: logger)
    }

    // MARK: Server-to-server API

    private func createIntent(_ request: Request) async throws -> Response {
        guard authorized(request) else {
            return Self.json(PaymentWire.ErrorReply(error: "unauthorized"), .unauthorized)
        }
        guard let asked = try? JSONDecoder().decode(PaymentWire.IntentRequest.self, from: try await body(request)),
            asked.amountFen > 0, asked.currency == "CNY"
        else { return Self.json(PaymentWire.ErrorReply(error: "malformed intent"), .badRequest) }
        let host = request.head.authority ?? "127.0.0.1"
        let result: Intent? = mutate { state in
            if let existing = state.intents.values.first(where: { $0.request.reference == asked.reference }) {
                return existing.request.amountFen == asked.amountFen ? existing : nil
            }
            let intent = Intent(id: "pi_" + Self.randomHex(12), request: asked, status: "requires_payment")
            state.intents[intent.id] = intent
            return intent
        }
        guard let intent = result else {
            return Self.json(PaymentWire.ErrorReply(error: "reference used with another amount"), .conflict)
        }
        return Self.json(
            PaymentWire.IntentReply(id: intent.id, payURL: "http://\(host)/pay/\(intent.id)", status: intent.status),
            .ok)
    }

    private func refund(_ request: Request) async throws -> Response {
        guard authorized(request) else {
            return Self.json(PaymentWire.ErrorReply(error: "unauthorized"), .unauthorized)
        }
        guard let asked = try? JSONDecoder().decode(PaymentWire.RefundRequest.self, from: try await body(request)),
            asked.amountFen > 0
        else { return Self.json(PaymentWire.ErrorReply(error: "malformed refund"), .badRequest) }
        let result: Result<Movement, SandboxRefusal> = mutate { state in
            if let done = state.refunds[asked.reference] { return .success(done) }
            guard let intent = state.intents[asked.intentId], intent.status == "succeeded" else {
                return .failure(SandboxRefusal("no captured payment \(asked.intentId)"))
            }
            let refunded = state.refunds.values.filter { $0.subject == intent.id }.reduce(0) { $0 + $1.amountFen }
            guard refunded + asked.amountFen <= intent.request.amountFen else {
                return .failure(SandboxRefusal("refunds would exceed the payment"))
            }
            let refund = Movement(
                id: "re_" + Self.randomHex(12), reference: asked.reference, amountFen: asked.amountFen,
                subject: intent.id)
            state.refunds[asked.reference] = refund
            return .success(refund)
        }
        switch result {
        case .success(let refund): return Self.json(PaymentWire.MoneyReply(id: refund.id, status: "succeeded"), .ok)
        case .failure(let refusal): return Self.json(PaymentWire.ErrorReply(error: refusal.reason), .conflict)
        }
    }

    private func payout(_ request: Request) async throws -> Response {
        guard authorized(request) else {
            return Self.json(PaymentWire.ErrorReply(error: "unauthorized"), .unauthorized)
        }
        guard let asked = try? JSONDecoder().decode(PaymentWire.PayoutRequest.self, from: try await body(request)),
            asked.amountFen > 0
        else { return Self.json(PaymentWire.ErrorReply(error: "malformed payout"), .badRequest) }
        let payout: Movement = mutate { state in
            if let done = state.payouts[asked.reference] { return done }
            let payout = Movement(
                id: "po_" + Self.randomHex(12), reference: asked.reference, amountFen: asked.amountFen,
                subject: asked.merchantId)
            state.payouts[asked.reference] = payout
            return payout
        }
        return Self.json(PaymentWire.MoneyReply(id: payout.id, status: "paid"), .ok)
    }

    private func totals(_ request: Request) async throws -> Response {
        guard authorized(request) else {
            return Self.json(PaymentWire.ErrorReply(error: "unauthorized"), .unauthorized)
        }
        let totals = state.withLock { state in
            ProviderTotals(
                capturedFen: state.intents.values.filter { $0.status == "succeeded" }
                    .reduce(0) { $0 + $1.request.amountFen },
                refundedFen: state.refunds.values.reduce(0) { $0 + $1.amountFen },
                paidOutFen: state.payouts.values.reduce(0) { $0 + $1.amountFen })
        }
        return Self.json(totals, .ok)
    }

    // MARK: Hosted payment page

    private func payPage(id: String, message: String? = nil) -> Response {
        guard let intent = state.withLock({ $0.intents[id] }) else {
            return Self.html("<p>No such payment.</p>", .notFound)
        }
        guard intent.status == "requires_payment" else { return finished(intent) }
        let amount = Money(minorUnits: intent.request.amountFen, currency: .cny).formatted
        return Self.html(
            """
            <h1>Payment sandbox</h1><p>\(Self.escape(intent.request.description)): <strong>\(amount)</strong></p>
            \(message.map { "<p role=\"alert\">\(Self.escape($0))</p>" } ?? "")
            <form method="post" action="/pay/\(intent.id)">
            <label>Card number <input name="card" autocomplete="cc-number" inputmode="numeric" required></label>
            <label>Expiry (MM/YY) <input name="expiry" autocomplete="cc-exp" required></label>
            <label>CVC <input name="cvc" autocomplete="cc-csc" inputmode="numeric" required></label>
            <button type="submit">Pay \(amount)</button></form>
            <p>Test cards: \(Self.succeedingCard) succeeds, \(Self.decliningCard) is declined,
            \(Self.challengeCard) asks for the code \(Self.challengeCode).</p>
            """, .ok)
    }

    private func pay(id: String, _ request: Request) async throws -> Response {
        let form = Self.form(try await body(request))
        let card = (form["card"] ?? "").filter { $0.isNumber }
        guard Luhn.isValid(digits: card), (13...19).contains(card.count) else {
            return payPage(id: id, message: "The card number is not valid.")
        }
        guard (form["cvc"] ?? "").count >= 3 else { return payPage(id: id, message: "Enter the card's CVC.") }
        switch card {
        case Self.succeedingCard: return complete(id: id, card: card)
        case Self.challengeCard:
            guard state.withLock({ $0.intents[id]?.status }) == "requires_payment" else { return payPage(id: id) }
            mutate { $0.intents[id]?.status = "requires_challenge" }
            return Self.html(
                """
                <h1>Confirm it is you</h1><form method="post" action="/pay/\(id)/challenge">
                <label>Code sent to your phone <input name="code" inputmode="numeric" required></label>
                <button type="submit">Confirm</button></form>
                """, .ok)
        default:
            declined(id: id, card: card)
            return payPage(id: id, message: "The card was declined.")
        }
    }

    /// A declined attempt: the intent stays payable with another card, and the platform hears of the failure
    /// (as institutions report failed attempts), which its card-testing detection counts.
    private func declined(id: String, card: String) {
        let callback: Callback? = mutate { state in
            guard let intent = state.intents[id], intent.status == "requires_payment" else { return nil }
            let event = PaymentEvent(
                eventId: "evt_" + Self.randomHex(12), type: "payment.failed", intentId: intent.id,
                reference: intent.request.reference, amountFen: intent.request.amountFen,
                currency: intent.request.currency, token: nil, brand: Self.brand(card), last4: String(card.suffix(4)))
            let callback = Callback(url: intent.request.callbackURL, event: event)
            state.undelivered[event.eventId] = callback
            return callback
        }
        if let callback { Task { await self.deliver(callback) } }
    }

    private func challenge(id: String, _ request: Request) async throws -> Response {
        let form = Self.form(try await body(request))
        guard state.withLock({ $0.intents[id]?.status }) == "requires_challenge" else { return payPage(id: id) }
        guard form["code"] == Self.challengeCode else {
            mutate { $0.intents[id]?.status = "requires_payment" }
            declined(id: id, card: Self.challengeCard)
            return payPage(id: id, message: "The code was wrong; the payment was not made.")
        }
        _ = mutate { $0.intents[id]?.status = "requires_payment" }
        return complete(id: id, card: Self.challengeCard)
    }

    /// Captures the payment and queues its callback; the platform learns only a token, a brand and four digits.
    private func complete(id: String, card: String) -> Response {
        let callback: Callback? = mutate { state in
            guard var intent = state.intents[id], intent.status == "requires_payment" else { return nil }
            intent.status = "succeeded"
            intent.token = "tok_" + Self.randomHex(16)
            intent.brand = Self.brand(card)
            intent.last4 = String(card.suffix(4))
            state.intents[id] = intent
            let event = PaymentEvent(
                eventId: "evt_" + Self.randomHex(12), type: "payment.succeeded", intentId: intent.id,
                reference: intent.request.reference, amountFen: intent.request.amountFen,
                currency: intent.request.currency, token: intent.token, brand: intent.brand, last4: intent.last4)
            let callback = Callback(url: intent.request.callbackURL, event: event)
            state.undelivered[event.eventId] = callback
            return callback
        }
        guard let callback, let intent = state.withLock({ $0.intents[id] }) else { return payPage(id: id) }
        Task { await self.deliver(callback) }
        return finished(intent)
    }

    private func finished(_ intent: Intent) -> Response {
        let link = Self.escape(intent.request.returnURL)
        let text = intent.status == "succeeded" ? "Payment complete." : "This payment is \(intent.status)."
        return Self.html("<h1>\(text)</h1><p><a href=\"\(link)\">Return to the merchant</a></p>", .ok)
    }

    // MARK: Callbacks

    private func resumeDeliveries() {
        for callback in state.withLock({ Array($0.undelivered.values) }) { Task { await self.deliver(callback) } }
    }

    /// Delivers until the platform answers 2xx (backoff doubling from `retryBaseMillis`), then maybe once more.
    func deliver(_ callback: Callback) async {
        guard let body = try? JSONEncoder().encode(callback.event) else { return }
        var delay = options.retryBaseMillis
        for _ in 0..<options.maxAttempts {
            if await post(body, to: callback.url) {
                mutate { $0.undelivered[callback.event.eventId] = nil }
                if Double.random(in: 0..<1) < options.duplicateRate { _ = await post(body, to: callback.url) }
                return
            }
            try? await Task.sleep(for: .milliseconds(delay))
            delay *= 2
        }
        logger.warning("callback not delivered", metadata: ["event": "\(callback.event.eventId)"])
    }

    private func post(_ body: Data, to url: String) async -> Bool {
        let timestamp = String(Int64(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: PaymentWire.timestampHeader, value: timestamp)
        request.headers.add(
            name: PaymentWire.signatureHeader,
            value: WireSignature.sign(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(data: body))
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return (200..<300).contains(Int(response.status.code))
    }

    // MARK: Helpers

    /// Changes the state and writes it to the sandbox's file before answering.
    private func mutate<T>(_ change: (inout State) -> T) -> T {
        state.withLock { state in
            let result = change(&state)
            if let path = options.storagePath, let data = try? JSONEncoder().encode(state) {
                try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            return result
        }
    }

    private func authorized(_ request: Request) -> Bool {
        let given = request.headers[.authorization] ?? ""
        // Digests compare in constant time.
        return SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data("Bearer \(apiKey)".utf8))
    }

    private func body(_ request: Request) async throws -> Data {
        Data(buffer: try await request.body.collect(upTo: 64 * 1024))
    }

    static func brand(_ card: String) -> String {
        if card.hasPrefix("62") { return "unionpay" }
        if card.hasPrefix("4") { return "visa" }
        if card.hasPrefix("5") { return "mastercard" }
        return "card"
    }

    static func form(_ data: Data) -> [String: String] {
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "+", with: " ")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }

    static func randomHex(_ bytes: Int) -> String {
        Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255) })
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func json(_ value: some Encodable, _ status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(value)) ?? Data())))
    }

    static func html(_ body: String, _ status: HTTPResponse.Status) -> Response {
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payment sandbox</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head><body>\(body)</body></html>
            """
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; form-action 'self'",
            ], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }
}

struct SandboxRefusal: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
