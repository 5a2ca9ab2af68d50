import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace

/// The storefront (2.4.1): browse, product, cart, checkout through the payment institution's hosted page,
/// my orders and what a buyer can do with them. Each handler reads the form, calls one use case, and renders or
/// redirects.
struct StorefrontPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func browse(_ request: Request, context: AppRequestContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let query = request.uri.queryParameters
        let words = query.get("q") ?? ""
        let page = max(0, min(query.get("page", as: Int.self) ?? 0, 500))
        let data = try await Listings.browse(
            query: words.isEmpty ? nil : words, category: query.get("category"), limit: 12,
            offset: page * 12, platform: platform)
        let products = try JSONDecoder().decode([String: [ProductView]].self, from: data)["products"] ?? []
        return view.page(
            "browse",
            [
                "q": words, "products": products.map { Self.card($0, view) }, "empty": products.isEmpty,
                "previous": page > 0 ? "/?q=\(WebView.queryEscaped(words))&page=\(page - 1)" : false,
                "next": products.count == 12 ? "/?q=\(WebView.queryEscaped(words))&page=\(page + 1)" : false,
            ])
    }

    static func card(_ product: ProductView, _ view: WebView) -> [String: Any] {
        [
            "id": product.id, "title": product.title, "description": product.description,
            "price": WebFormat.yuan(product.priceFen), "inStock": product.inStock,
            "category": view.text("category_\(product.category)"), "initial": String(product.title.prefix(1)),
        ]
    }

    @Sendable func product(_ request: Request, context: AppRequestContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let id = try context.parameters.require("id")
        let product = try await Listings.product(id: id, platform: platform)
        let reviews = try await Reviews.forListing(id, platform: platform)
        var card = Self.card(product, view)
        card["reviews"] = reviews.map { review -> [String: Any] in
            [
                "stars": String(repeating: "★", count: Int(review.rating))
                    + String(repeating: "☆", count: 5 - Int(review.rating)),
                "rating": review.rating, "text": review.text, "reply": review.reply ?? false,
                "date": WebFormat.time(review.createdAt),
            ]
        }
        card["noReviews"] = reviews.isEmpty
        return view.page("product", card)
    }

    // MARK: Cart and checkout

    @Sendable func cart(_ request: Request, context: ConsumerContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let lines = try await Orders.cart(caller: context.caller, platform: platform)
        let total = lines.reduce(Int64(0)) { $0 + $1.priceFen * $1.quantity }
        return view.page(
            "cart",
            [
                "lines": lines.map { line -> [String: Any] in
                    [
                        "listingId": line.listingId, "title": line.title, "quantity": line.quantity,
                        "price": WebFormat.yuan(line.priceFen),
                        "subtotal": WebFormat.yuan(line.priceFen * line.quantity),
                        "available": line.available,
                    ]
                },
                "empty": lines.isEmpty, "total": WebFormat.yuan(total),
                // One key per rendering of the form: a double submission or a retry places one checkout.
                "idempotencyKey": UUID().uuidString.lowercased(),
            ])
    }

    @Sendable func addToCart(_ request: Request, context: ConsumerContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Orders.setCartItem(
            listingId: try form.require("listingId"), quantity: try form.integer("quantity"), caller: context.caller,
            platform: platform)
        return WebView.redirect("/cart?done=cart_updated")
    }

    @Sendable func removeFromCart(_ request: Request, context: ConsumerContext) async throws -> Response {
        try await Orders.removeCartItem(
            listingId: try context.parameters.require("listingId"), caller: context.caller, platform: platform)
        return WebView.redirect("/cart?done=cart_updated")
    }

    /// Places the checkout (idempotently, with the key the form was rendered with) and shows the link to the
    /// payment institution's hosted page: the card is entered there, never here (2.4.2).
    @Sendable func checkout(_ request: Request, context: ConsumerContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let recipient = Recipient(
            name: try form.require("name"), phone: try form.require("phone"),
            address: PostalAddress(
                province: try form.require("province"), city: try form.require("city"),
                district: try form.require("district"), detail: try form.require("detail")))
        let fingerprint = [recipient.name, recipient.phone, recipient.address.region, recipient.address.detail]
            .joined(separator: "\n")
        let stored = try await Idempotency.run(
            key: form["idempotencyKey"], accountId: context.caller.accountId, request: "POST /checkout",
            body: Data(fingerprint.utf8), platform: platform
        ) { attempt in
            let checkout = try await Orders.checkout(
                recipient: recipient, caller: context.caller, clientAddress: context.peerAddress, attempt: attempt,
                platform: platform)
            return (201, try JSONResponse.encode(checkout))
        }
        let checkout = try JSONDecoder().decode(CheckoutView.self, from: stored.body)
        if checkout.payment?.payURL == nil {
            _ = try await Payments.start(
                checkoutId: checkout.id, caller: context.caller, clientAddress: context.peerAddress, platform: platform)
        }
        // The pay link is followed from our page (a plain navigation): the CSP's form-action keeps forms on this site.
        return WebView.redirect("/checkouts/\(checkout.id)")
    }

    /// Where the payment institution sends the buyer back.
    @Sendable func checkoutReturn(_ request: Request, context: ConsumerContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let id = try context.parameters.require("id")
        let payment = try await Payments.status(checkoutId: id, caller: context.caller, platform: platform)
        let paid = payment.status == "succeeded"
        return view.page(
            "checkout-return",
            [
                "checkoutId": id, "status": view.text("payment_\(payment.status)"), "paid": paid,
                "amount": WebFormat.yuan(payment.amountFen), "payURL": Self.link(paid ? nil : payment.payURL),
                "card": payment.cardLast4.map { "\(payment.cardBrand ?? "card") ···· \($0)" } ?? false,
            ])
    }

    static func link(_ url: String?) -> Any { url ?? false }

    // MARK: My orders

    @Sendable func orders(_ request: Request, context: ConsumerContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let orders = try await Orders.mine(caller: context.caller, platform: platform)
        return view.page(
            "orders",
            ["orders": orders.map { OrderPresentation.summary($0, view) }, "empty": orders.isEmpty])
    }

    @Sendable func order(_ request: Request, context: ConsumerContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let order = try await Orders.get(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        let disputes = try await Disputes.mine(caller: context.caller, platform: platform).filter {
            $0.orderId == order.id
        }
        var values = OrderPresentation.detail(order, view)
        let status = OrderStatus(rawValue: order.status)
        values["canCancel"] = status == .awaitingPayment || status == .awaitingShipment
        values["canConfirm"] = status == .shipped || status == .delivered
        values["canExtend"] = (status == .shipped || status == .delivered) && !order.receiptExtended
        values["canRefund"] = status == .shipped || status == .delivered
        values["canDispute"] = (status == .shipped || status == .delivered) && disputes.allSatisfy { !$0.isOpen }
        values["canReview"] = status == .completed
        values["hasDisputes"] = !disputes.isEmpty
        values["disputes"] = disputes.map { ["id": $0.id, "status": view.text("dispute_\($0.status)")] }
        values["reasons"] = DisputeReason.allCases.map {
            ["value": $0.rawValue, "label": view.text("reason_\($0.rawValue)")]
        }
        values["remedies"] = DisputeRemedy.allCases.filter { $0 != .reject }.map {
            ["value": $0.rawValue, "label": view.text("remedy_\($0.rawValue)")]
        }
        return view.page("order", values)
    }

    /// A review of a completed order line: its own route, since sanctions restrict reviews apart from orders.
    @Sendable func review(_ request: Request, context: ConsumerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Reviews.create(
            orderId: id, listingId: try form.require("listingId"), rating: try form.integer("rating"),
            text: try form.require("text"), caller: context.caller, platform: platform)
        return WebView.redirect("/orders/\(id)?done=reviewed")
    }

    @Sendable func orderAction(_ request: Request, context: ConsumerContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let action = try context.parameters.require("action")
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let caller = context.caller
        switch action {
        case "cancel": _ = try await Orders.cancel(id: id, caller: caller, platform: platform)
        case "confirm-receipt": _ = try await Orders.confirmReceipt(id: id, caller: caller, platform: platform)
        case "extend-receipt": _ = try await Orders.extendReceipt(id: id, caller: caller, platform: platform)
        case "refund":
            _ = try await Orders.requestRefund(
                id: id, reason: try form.require("reason"), caller: caller, platform: platform)
        case "disputes":
            let remedy = try form.require("remedy")
            let dispute = try await Disputes.open(
                orderId: id, reason: try form.require("reason"), remedy: remedy,
                amountFen: remedy == "partial_refund" ? try form.fen("amount") : nil, text: try form.require("text"),
                caller: caller, platform: platform)
            return WebView.redirect("/disputes/\(dispute.id)?done=dispute_opened")
        default: throw Problem.notFound("The action")
        }
        return WebView.redirect("/orders/\(id)?done=\(action.replacingOccurrences(of: "-", with: "_"))")
    }
}

extension DisputeView {
    var isOpen: Bool { DisputeStateMachine.isOpen(DisputeStatus(rawValue: status) ?? .closed) }
}

/// How an order reads on a page: amounts in yuan, times in Beijing time, the recipient as masking gives it.
enum OrderPresentation {
    static func summary(_ order: OrderView, _ view: WebView) -> [String: Any] {
        [
            "id": order.id, "shortId": String(order.id.prefix(8)), "status": view.text("order_\(order.status)"),
            "statusKey": order.status, "total": WebFormat.yuan(order.totalFen),
            "created": WebFormat.time(order.createdAt),
            "titles": order.lines.map(\.title).joined(separator: "、"),
        ]
    }

    static func detail(_ order: OrderView, _ view: WebView) -> [String: Any] {
        var values = summary(order, view)
        values["lines"] = order.lines.map { line -> [String: Any] in
            [
                "listingId": line.listingId, "title": line.title, "quantity": line.quantity,
                "price": WebFormat.yuan(line.priceFen),
            ]
        }
        if let recipient = order.recipient {
            values["recipient"] = [
                "name": recipient.name, "phone": recipient.phone, "region": recipient.address.region,
                "detail": recipient.address.detail,
            ]
        }
        values["carrier"] = order.carrier ?? false
        values["tracking"] = order.trackingNumber ?? false
        values["shipped"] = WebFormat.time(order.shippedAt)
        values["receiptDue"] = order.receiptDueAt.map { WebFormat.time($0) } ?? false
        values["paused"] = order.clockPausedBy ?? false
        return values
    }
}
