import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import NIOCore
import NIOFoundationCompat

/// Cart, checkout and orders (2.4.1). Bodies carry listing ids and quantities only: a price or a status sent by
/// the client is an unknown field and refused.
struct OrderHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct CheckoutBody: StrictDecodable {
        static let fields: Set<String> = ["recipient"]
        let recipient: Recipient
    }

    struct CartItemBody: StrictDecodable {
        static let fields: Set<String> = ["listingId", "quantity"]
        let listingId: String
        let quantity: Int64
    }

    @Sendable func cart(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(["items": try await Orders.cart(caller: context.caller, platform: platform)])
    }

    @Sendable func setCartItem(_ request: Request, context: ConsumerContext) async throws -> Response {
        let body = try await JSONBody.decode(CartItemBody.self, from: request, maxBytes: maxBodyBytes)
        let items = try await Orders.setCartItem(
            listingId: body.listingId, quantity: body.quantity, caller: context.caller, platform: platform)
        return try JSONResponse.make(["items": items])
    }

    @Sendable func removeCartItem(_ request: Request, context: ConsumerContext) async throws -> Response {
        try await Orders.removeCartItem(
            listingId: try context.parameters.require("listingId"), caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }

    /// Needs an `Idempotency-Key`: a retried checkout replays the first response instead of ordering twice.
    @Sendable func checkout(_ request: Request, context: ConsumerContext) async throws -> Response {
        let data = try await Self.jsonData(request, maxBytes: maxBodyBytes)
        let body = try JSONBody.decode(CheckoutBody.self, data: data)
        return try await Self.idempotent(request, body: data, caller: context.caller, platform: platform, status: 201) {
            attempt in
            try await Orders.checkout(
                recipient: body.recipient, caller: context.caller, clientAddress: context.peerAddress,
                attempt: attempt, platform: platform)
        }
    }

    @Sendable func startPayment(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Payments.start(
                checkoutId: try context.parameters.require("id"), caller: context.caller,
                clientAddress: context.peerAddress, platform: platform))
    }

    @Sendable func payment(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Payments.status(
                checkoutId: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    /// The payment institution's callback: no session, the signature is the authentication.
    @Sendable func paymentCallback(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: maxBodyBytes))
        try await Payments.handleCallback(
            timestamp: request.headers[HTTPField.Name("X-Sandbox-Timestamp")!],
            signature: request.headers[HTTPField.Name("X-Sandbox-Signature")!], body: body, platform: platform)
        return Response(status: .noContent)
    }

    struct ShipBody: StrictDecodable {
        static let fields: Set<String> = ["carrier", "trackingNumber", "logisticsProviderId"]
        let carrier: String
        let trackingNumber: String
        let logisticsProviderId: String?
    }

    @Sendable func ship(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(ShipBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Orders.ship(
                id: try context.parameters.require("id"), carrier: body.carrier, trackingNumber: body.trackingNumber,
                logisticsProvider: body.logisticsProviderId, caller: context.caller, platform: platform))
    }

    @Sendable func delivered(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make(
            try await Orders.markDelivered(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    /// Moves money (escrow to the merchant): needs an `Idempotency-Key`.
    @Sendable func confirmReceipt(_ request: Request, context: ConsumerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await Self.idempotent(request, body: Data(), caller: context.caller, platform: platform) { _ in
            try await Orders.confirmReceipt(id: id, caller: context.caller, platform: platform)
        }
    }

    @Sendable func extendReceipt(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Orders.extendReceipt(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    struct RefundBody: StrictDecodable {
        static let fields: Set<String> = ["reason"]
        let reason: String
    }

    /// Moves money when the order is unshipped (refunded at once): needs an `Idempotency-Key`.
    @Sendable func requestRefund(_ request: Request, context: ConsumerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let data = try await Self.jsonData(request, maxBytes: maxBodyBytes)
        let body = try JSONBody.decode(RefundBody.self, data: data)
        return try await Self.idempotent(request, body: data, caller: context.caller, platform: platform) { _ in
            try await Orders.requestRefund(id: id, reason: body.reason, caller: context.caller, platform: platform)
        }
    }

    struct RefundDecisionBody: StrictDecodable {
        static let fields: Set<String> = ["approve"]
        let approve: Bool
    }

    @Sendable func decideRefund(_ request: Request, context: MerchantContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let data = try await Self.jsonData(request, maxBytes: maxBodyBytes)
        let body = try JSONBody.decode(RefundDecisionBody.self, data: data)
        return try await Self.idempotent(request, body: data, caller: context.caller, platform: platform) { _ in
            try await Orders.decideRefund(id: id, approve: body.approve, caller: context.caller, platform: platform)
        }
    }

    @Sendable func balance(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make(try await Settlement.balance(caller: context.caller, platform: platform))
    }

    struct PayoutBody: StrictDecodable {
        static let fields: Set<String> = ["amountFen"]
        let amountFen: Int64
    }

    @Sendable func requestPayout(_ request: Request, context: MerchantContext) async throws -> Response {
        let data = try await Self.jsonData(request, maxBytes: maxBodyBytes)
        let body = try JSONBody.decode(PayoutBody.self, data: data)
        return try await Self.idempotent(request, body: data, caller: context.caller, platform: platform, status: 201) {
            attempt in
            try await Settlement.requestPayout(
                amountFen: body.amountFen, caller: context.caller, attempt: attempt, platform: platform)
        }
    }

    struct ReviewBody: StrictDecodable {
        static let fields: Set<String> = ["listingId", "rating", "text"]
        let listingId: String
        let rating: Int64
        let text: String
    }

    @Sendable func createReview(_ request: Request, context: ConsumerContext) async throws -> Response {
        let body = try await JSONBody.decode(ReviewBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Reviews.create(
                orderId: try context.parameters.require("id"), listingId: body.listingId, rating: body.rating,
                text: body.text, caller: context.caller, platform: platform), status: .created)
    }

    struct ReplyBody: StrictDecodable {
        static let fields: Set<String> = ["text"]
        let text: String
    }

    @Sendable func replyToReview(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(ReplyBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Reviews.reply(
                reviewId: try context.parameters.require("id"), text: body.text, caller: context.caller,
                platform: platform))
    }

    @Sendable func reviews(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(
            ["reviews": try await Reviews.forListing(try context.parameters.require("id"), platform: platform)])
    }

    // MARK: Helpers

    static func jsonData(_ request: Request, maxBytes: Int) async throws -> Data {
        guard JSONBody.isJSON(request) else { throw Problem.unsupportedMediaType }
        return Data(buffer: try await request.body.collect(upTo: maxBytes))
    }

    /// Runs a request that creates orders or moves money under its `Idempotency-Key` (REFERENCE.md): the first
    /// response is stored and replayed, marked `Idempotent-Replayed: true`.
    static func idempotent(
        _ request: Request, body: Data, caller: Caller, platform: Platform, status: Int = 200,
        _ operation: (Idempotency.Attempt) async throws -> some Encodable
    ) async throws -> Response {
        let stored = try await Idempotency.run(
            key: request.headers[HTTPField.Name("Idempotency-Key")!], accountId: caller.accountId,
            request: "\(request.method) \(request.uri.path)", body: body, platform: platform
        ) { attempt in
            (status, try JSONResponse.encode(try await operation(attempt)))
        }
        var response = JSONResponse.raw(stored.body, status: HTTPResponse.Status(code: stored.status))
        if stored.replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return response
    }

    @Sendable func mine(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(["orders": try await Orders.mine(caller: context.caller, platform: platform)])
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(
            try await Orders.get(id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func cancel(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Orders.cancel(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func waybill(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make(
            try await Orders.waybill(
                orderId: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func merchantOrders(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make(["orders": try await Orders.forMerchant(caller: context.caller, platform: platform)])
    }
}
