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
        guard JSONBody.isJSON(request) else { throw Problem.unsupportedMediaType }
        let data = Data(buffer: try await request.body.collect(upTo: maxBodyBytes))
        let body = try JSONBody.decode(CheckoutBody.self, data: data)
        let stored = try await Idempotency.run(
            key: request.headers[HTTPField.Name("Idempotency-Key")!], accountId: context.caller.accountId,
            request: "POST /api/v1/checkouts", body: data, platform: platform
        ) {
            let checkout = try await Orders.checkout(
                recipient: body.recipient, caller: context.caller, platform: platform)
            return (201, try JSONResponse.encode(checkout))
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
