import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace

/// The merchant console: orders with the buyer masked and the privacy waybill (2.3.2), shipping, listings and
/// their screening (2.4.1), balance and payouts, disputes (2.4.4). Every route needs the role's permission.
struct MerchantPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func console(_ request: Request, context: MerchantContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let permissions = caller.role.permissions
        var values: [String: Any] = [:]
        if permissions.contains(.fulfilOrders) {
            let orders = try await Orders.forMerchant(caller: caller, platform: platform)
            values["orders"] = orders.map { order -> [String: Any] in
                var row = OrderPresentation.summary(order, view)
                row["recipient"] = order.recipient.map { "\($0.name) · \($0.phone) · \($0.address.region)" } ?? ""
                row["toShip"] = order.status == OrderStatus.awaitingShipment.rawValue
                return row
            }
            values["noOrders"] = orders.isEmpty
            values["disputes"] = try await Disputes.mine(caller: caller, platform: platform).map {
                DisputePresentation.summary($0, view)
            }
        }
        if permissions.contains(.manageListings) {
            let listings = try await Listings.mine(caller: caller, platform: platform)
            values["listings"] = listings.map { listing -> [String: Any] in
                [
                    "id": listing.id, "title": listing.title, "price": WebFormat.yuan(listing.priceFen),
                    "stock": listing.stock, "status": view.text("listing_\(listing.status)"),
                    "statusKey": listing.status, "reasons": listing.reasons.joined(separator: "; "),
                ]
            }
            values["manageListings"] = true
            values["categories"] = ["tea", "home", "electronics", "clothing", "food", "books", "other"].map {
                ["value": $0, "label": view.text("category_\($0)")]
            }
        }
        if permissions.contains(.viewFinance) {
            let balance = try await Settlement.balance(caller: caller, platform: platform)
            values["balance"] = [
                "available": WebFormat.yuan(balance.availableFen), "escrow": WebFormat.yuan(balance.inEscrowFen),
                "payouts": balance.payouts.map { ["amount": WebFormat.yuan($0.amountFen), "status": $0.status] },
            ]
            values["canPayout"] = permissions.contains(.requestPayouts) && balance.availableFen > 0
            values["payoutKey"] = UUID().uuidString.lowercased()
        }
        return view.page("merchant", values)
    }

    @Sendable func order(_ request: Request, context: MerchantContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        try context.caller.require(.fulfilOrders)
        let order = try await Orders.get(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        var values = OrderPresentation.detail(order, view)
        values["toShip"] = order.status == OrderStatus.awaitingShipment.rawValue
        values["shippedNotDelivered"] = order.status == OrderStatus.shipped.rawValue
        values["refundRequested"] = order.status == OrderStatus.refundRequested.rawValue
        return view.page("merchant-order", values)
    }

    /// The privacy waybill: the full address for the merchant's own paid order, audited as a reveal with its
    /// purpose, printed from this page; it stops working a set time after the order completes.
    @Sendable func waybill(_ request: Request, context: MerchantContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let waybill = try await Orders.waybill(
            orderId: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return view.page(
            "waybill",
            [
                "orderId": waybill.orderId, "shortId": String(waybill.orderId.prefix(8)), "name": waybill.recipientName,
                "phone": waybill.recipientPhone, "region": waybill.address.region, "detail": waybill.address.detail,
                "expires": waybill.expiresAt.map { WebFormat.time($0) } ?? false,
            ])
    }

    @Sendable func orderAction(_ request: Request, context: MerchantContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let action = try context.parameters.require("action")
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let caller = context.caller
        switch action {
        case "ship":
            _ = try await Orders.ship(
                id: id, carrier: try form.require("carrier"), trackingNumber: try form.require("trackingNumber"),
                caller: caller, platform: platform)
        case "delivered": _ = try await Orders.markDelivered(id: id, caller: caller, platform: platform)
        case "refund-decision":
            _ = try await Orders.decideRefund(
                id: id, approve: form["approve"] == "yes", caller: caller, platform: platform)
        default: throw Problem.notFound("The action")
        }
        return WebView.redirect("/merchant/orders/\(id)?done=\(action.replacingOccurrences(of: "-", with: "_"))")
    }

    @Sendable func createListing(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let listing = try await Listings.create(
            ListingInput(
                title: try form.require("title"), description: try form.require("description"), imageRefs: [],
                priceFen: try form.fen("price"), stock: try form.integer("stock"),
                category: try form.require("category")),
            caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=listing_\(listing.status)#listings")
    }

    @Sendable func withdrawListing(_ request: Request, context: MerchantContext) async throws -> Response {
        try await Listings.withdraw(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=listing_withdrawn#listings")
    }

    @Sendable func payout(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let amount = try form.fen("amount")
        _ = try await Idempotency.run(
            key: form["idempotencyKey"], accountId: context.caller.accountId, request: "POST /merchant/payouts",
            body: Data(String(amount).utf8), platform: platform
        ) {
            let payout = try await Settlement.requestPayout(
                amountFen: amount, caller: context.caller, platform: platform)
            return (201, try JSONResponse.encode(payout))
        }
        return WebView.redirect("/merchant?done=payout_requested#balance")
    }
}
