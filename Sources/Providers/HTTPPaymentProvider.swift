import AsyncHTTPClient
public import Domain
public import Foundation
public import Marketplace
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The payment institution reached over HTTP(S) with the sandbox's wire format: intents, refunds and payouts
/// server to server with a bearer API key; callbacks signed with HMAC-SHA256 over `timestamp.body`.
public struct HTTPPaymentProvider: PaymentProvider {
    let baseURL: String
    let apiKey: String
    let callbackSecret: Data
    let timeout: TimeAmount

    public init(baseURL: String, apiKey: String, callbackSecret: Data, timeout: TimeAmount = .seconds(10)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.callbackSecret = callbackSecret
        self.timeout = timeout
    }

    public var name: String { "sandbox" }

    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        let reply: PaymentWire.IntentReply = try await call(
            "POST", "/v1/intents",
            PaymentWire.IntentRequest(
                reference: request.reference, amountFen: request.amountFen, currency: request.currency,
                description: request.description, callbackURL: request.callbackURL, returnURL: request.returnURL))
        return PaymentIntent(id: reply.id, payURL: reply.payURL)
    }

    public func refund(intentId: String, amountFen: Int64, reference: String) async throws -> String {
        let reply: PaymentWire.MoneyReply = try await call(
            "POST", "/v1/refunds",
            PaymentWire.RefundRequest(intentId: intentId, amountFen: amountFen, reference: reference))
        return reply.id
    }

    public func payout(merchantId: String, amountFen: Int64, reference: String) async throws -> String {
        let reply: PaymentWire.MoneyReply = try await call(
            "POST", "/v1/payouts",
            PaymentWire.PayoutRequest(merchantId: merchantId, amountFen: amountFen, reference: reference))
        return reply.id
    }

    public func totals() async throws -> ProviderTotals {
        try await call("GET", "/v1/totals", Optional<PaymentWire.ErrorReply>.none)
    }

    public func verifyCallback(timestamp: String?, signature: String?, body: Data, now: Date) throws -> PaymentEvent {
        guard let timestamp, let signature else { throw Problem.badCallback("The callback is not signed.") }
        guard WireSignature.isValid(body: body, timestamp: timestamp, signature: signature, secret: callbackSecret)
        else { throw Problem.badCallback("The callback's signature is not the payment provider's.") }
        guard WireSignature.isFresh(timestamp, now: now) else {
            throw Problem.badCallback("The callback is older than 300 seconds (or from the future).")
        }
        guard let event = try? JSONDecoder().decode(PaymentEvent.self, from: body) else {
            throw Problem.malformed("The callback's body is not a payment event.")
        }
        return event
    }

    private func call<Reply: Decodable>(_ method: String, _ path: String, _ body: (some Encodable)?) async throws
        -> Reply
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 * 1024)
        } catch {
            throw Self.unavailable
        }
        guard response.status == .ok, let reply = try? JSONDecoder().decode(Reply.self, from: Data(buffer: bytes))
        else {
            if (400..<500).contains(Int(response.status.code)) {
                let reason = (try? JSONDecoder().decode(PaymentWire.ErrorReply.self, from: Data(buffer: bytes)))?.error
                throw Problem(
                    type: "provider-refused", status: 502, title: "Payment provider refused",
                    detail: "The payment provider refused the request: \(reason ?? "no reason given").")
            }
            throw Self.unavailable
        }
        return reply
    }

    static let unavailable = Problem(
        type: "provider-unavailable", status: 503, title: "Payment provider unavailable",
        detail: "The payment provider did not answer; try again shortly.", retryAfter: 5)
}
