import Domain
import Foundation
import Logging
import SQLKit
import Storage

public struct CartLineView: Sendable, Codable, Equatable {
    public let listingId: String
    public let merchantId: String
    public let title: String
    public let priceFen: Int64
    public let quantity: Int64
    public let available: Bool
}

public struct OrderLineView: Sendable, Codable, Equatable {
    public let listingId: String
    public let title: String
    public let priceFen: Int64
    public let quantity: Int64
}

public struct OrderView: Sendable, Codable, Equatable {
    public let id: String
    public let checkoutId: String
    public let merchantId: String
    public let status: String
    public let totalFen: Int64
    public let payBy: Int64
    public let createdAt: Int64
    public let carrier: String?
    public let trackingNumber: String?
    public let shippedAt: Int64?
    public let deliveredAt: Int64?
    /// When receipt is confirmed for the buyer unless they confirm or extend first.
    public let receiptDueAt: Int64?
    public let receiptExtended: Bool
    public let completedAt: Int64?
    public let lines: [OrderLineView]
    /// Masked for everyone here; in full only in the buyer's export and the merchant's waybill.
    public let recipient: Recipient?
    /// Why the order's deadlines are not running (a force-majeure period), when one holds them.
    public var clockPausedBy: String? = nil
    /// When a paid order is to be shipped by, and whether it was not.
    public var shipDueAt: Int64? = nil
    public var shippingLate = false
}

public struct CheckoutView: Sendable, Codable, Equatable {
    public let id: String
    public let totalFen: Int64
    public let orders: [OrderView]
    /// The payment institution's hosted page; nil when it could not be reached (retry with `startPayment`) or the
    /// risk engine refused the payment (`startPayment` then answers 403).
    public var payment: PaymentView?
}

/// The cart, checkout and orders (clause 2.4.1). Prices come from the listings only; stock is taken in the
/// same transaction as the orders, one statement per listing, so nothing is ever oversold.
public enum Orders {
    // MARK: Cart

    public static func setCartItem(listingId: String, quantity: Int64, caller: Caller, platform: Platform)
        async throws -> [CartLineView]
    {
        try caller.require(.shop)
        guard (1...99).contains(quantity) else { throw Problem.invalid("quantity", "The quantity is 1 to 99.") }
        guard let listing = try await ListingStore.find(id: listingId, on: platform.db.sql),
            listing.status == "published"
        else { throw Problem.notFound("The product") }
        try await CartStore.set(
            accountId: caller.accountId, listingId: listing.id, quantity: quantity, now: platform.now,
            on: platform.db.sql)
        return try await cart(caller: caller, platform: platform)
    }

    public static func removeCartItem(listingId: String, caller: Caller, platform: Platform) async throws {
        try caller.require(.shop)
        try await CartStore.remove(accountId: caller.accountId, listingId: listingId, on: platform.db.sql)
    }

    public static func cart(caller: Caller, platform: Platform) async throws -> [CartLineView] {
        try caller.require(.shop)
        return try await CartStore.items(accountId: caller.accountId, on: platform.db.sql).map {
            CartLineView(
                listingId: $0.listing_id, merchantId: $0.merchant_id, title: $0.title, priceFen: $0.price_fen,
                quantity: $0.quantity, available: $0.status == "published")
        }
    }

    // MARK: Checkout

    /// Turns the cart into one order per merchant under one checkout, taking the stock; all or nothing.
    /// `clientAddress`: where the consumer is, for the payment it opens (card-testing detection).
    public static func checkout(
        recipient rawRecipient: Recipient, caller: Caller, clientAddress: String? = nil,
        attempt: Idempotency.Attempt? = nil, platform: Platform
    ) async throws -> CheckoutView {
        try caller.require(.shop)
        let recipient = try rawRecipient.validated()
        // A retry of a checkout cut off by a crash after its orders were saved: the same checkout, not a second.
        if let checkoutId = attempt?.recovered("checkout") {
            return try await resume(checkoutId, caller: caller, clientAddress: clientAddress, platform: platform)
        }
        let buyerKey = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: platform.db.sql)
        let items = try await CartStore.items(accountId: caller.accountId, on: platform.db.sql)
        guard !items.isEmpty else { throw Problem.conflict("The cart is empty.") }
        // A merchant suspended, terminated, banned or restricted from orders sells nothing (2.5).
        let closed = try await Sanctions.merchantsNotSelling(
            Array(Set(items.map(\.merchant_id))), platform: platform, on: platform.db.sql)
        if let item = items.first(where: { closed.contains($0.merchant_id) }) {
            throw Problem(
                type: "merchant-not-selling", status: 409, title: "Merchant not selling",
                detail: "The merchant of '\(item.title)' cannot take orders now. Remove it from the cart.",
                field: "listingId")
        }
        let total = items.reduce(Int64(0)) { $0 + $1.price_fen * $1.quantity }
        if total > platform.settings.verifiedBuyerThresholdFen {
            try await RealName.requireVerified(accountId: caller.accountId, on: platform.db.sql)
        }
        let risk = try await RiskChecks.checkout(
            totalFen: total, caller: caller, clientAddress: clientAddress, platform: platform)
        let now = platform.now
        let checkoutId = Identifiers.make()
        let byMerchant = Dictionary(grouping: items, by: \.merchant_id).sorted { $0.key < $1.key }
        let orders: [(OrderRow, [OrderLineRow])] = try byMerchant.map { merchantId, items in
            let id = Identifiers.make()
            var order = OrderRow(
                id: id, checkout_id: checkoutId, buyer_id: caller.accountId, merchant_id: merchantId,
                status: OrderStatus.awaitingPayment.rawValue,
                total_fen: items.reduce(0) { $0 + $1.price_fen * $1.quantity },
                pay_by: now + platform.settings.paymentWindowSeconds * 1000, now: now)
            order.recipient_cipher = try Recipients.seal(recipient, orderId: id, key: buyerKey)
            order.delivery_province = recipient.address.province
            let lines = items.map {
                OrderLineRow(
                    order_id: id, listing_id: $0.listing_id, title: $0.title, price_fen: $0.price_fen,
                    quantity: $0.quantity)
            }
            return (order, lines)
        }
        try await platform.db.transaction { db in
            // Rows are locked in one order (by listing) in every checkout, so two carts holding the same listings
            // in another order never wait on each other (a deadlock on PostgreSQL).
            for item in items.sorted(by: { $0.listing_id < $1.listing_id }) {
                guard try await OrderStore.reserve(listingId: item.listing_id, quantity: item.quantity, on: db) else {
                    throw Problem(
                        type: "out-of-stock", status: 409, title: "Out of stock",
                        detail: "\"\(item.title)\" has fewer than \(item.quantity) left or is no longer sold.",
                        field: "listingId")
                }
            }
            try await OrderStore.insert(
                checkoutId: checkoutId, buyerId: caller.accountId, total: total, now: now, orders: orders, on: db)
            try await CartStore.clear(accountId: caller.accountId, on: db)
            try await attempt?.mark("checkout:\(checkoutId)", on: db)
            try await RiskChecks.record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
            try await AuditTrail.record(
                orders.map { order, _ in
                    AuditEvent(
                        "order.create", actor: caller.accountId, subject: caller.accountId,
                        object: "order:\(order.id)",
                        details: ["merchant": order.merchant_id, "totalFen": String(order.total_fen)])
                }, platform: platform, on: db)
        }
        platform.browseCache.invalidate()  // stock changed, and the catalog shows what is in stock
        let result = CheckoutView(
            id: checkoutId, totalFen: total, orders: orders.map { view($0, lines: $1, recipient: recipient.masked) })
        return await withPayment(result, caller: caller, clientAddress: clientAddress, platform: platform)
    }

    /// The checkout an interrupted attempt saved, with its payment opened (or resumed) as the first would have.
    static func resume(_ checkoutId: String, caller: Caller, clientAddress: String?, platform: Platform)
        async throws -> CheckoutView
    {
        let rows = try await OrderStore.list(checkoutId: checkoutId, on: platform.db.sql)
        guard !rows.isEmpty, rows.allSatisfy({ $0.buyer_id == caller.accountId }) else {
            throw Problem.notFound("The checkout")
        }
        let orders = try await withLines(rows, platform, masked: true)
        let result = CheckoutView(id: checkoutId, totalFen: rows.reduce(0) { $0 + $1.total_fen }, orders: orders)
        return await withPayment(result, caller: caller, clientAddress: clientAddress, platform: platform)
    }

    /// Opens the checkout's payment; when the institution is unreachable or the risk engine refuses, the
    /// checkout stands without one (`startPayment` retries, or answers with the refusal).
    static func withPayment(_ checkout: CheckoutView, caller: Caller, clientAddress: String?, platform: Platform)
        async -> CheckoutView
    {
        var result = checkout
        let checkoutId = checkout.id
        do {
            result.payment = try await Payments.start(
                checkoutId: checkoutId, caller: caller, clientAddress: clientAddress, platform: platform)
        } catch let problem as Problem where problem.statusCode == 503 {
            platform.logger.warning("payment provider unavailable at checkout", metadata: ["checkout": "\(checkoutId)"])
        } catch let problem as Problem where problem.statusCode == 403 {
            // The risk engine refused the payment (recorded with its reasons): the orders stay awaiting payment
            // and expire; starting the payment again answers with the refusal.
            platform.logger.notice("payment refused by risk at checkout", metadata: ["checkout": "\(checkoutId)"])
        } catch {
            platform.logger.warning(
                "payment not opened at checkout",
                metadata: ["checkout": "\(checkoutId)", "error.type": "\(type(of: error))"])
        }
        return result
    }

    // MARK: Orders

    /// The consumer's orders, recipient masked (everyday responses mask even for the owner; the export does not).
    public static func mine(caller: Caller, platform: Platform, masked: Bool = true) async throws -> [OrderView] {
        try caller.require(.shop)
        return try await withLines(
            try await OrderStore.list(buyerId: caller.accountId, on: platform.db.sql), platform, masked: masked)
    }

    public static func forMerchant(caller: Caller, platform: Platform) async throws -> [OrderView] {
        try caller.require(.fulfilOrders)
        guard let merchantId = caller.merchantId else { throw Problem.forbidden("This is for merchants.") }
        return try await withLines(
            try await OrderStore.list(merchantId: merchantId, on: platform.db.sql), platform, masked: true)
    }

    /// The order, for its buyer or its merchant; anyone else gets 404.
    public static func get(id: String, caller: Caller, platform: Platform) async throws -> OrderView {
        let party = caller.kind == .merchant ? (caller.merchantId ?? caller.accountId) : caller.accountId
        guard let order = try await OrderStore.find(id: id, party: party, on: platform.db.sql) else {
            throw Problem.notFound("The order")
        }
        var view = try await withLines([order], platform, masked: true)[0]
        view.clockPausedBy = try await ForceMajeure.note(for: order, platform: platform)
        return view
    }

    /// The buyer cancels an unpaid order; its stock goes back.
    public static func cancel(id: String, caller: Caller, platform: Platform) async throws -> OrderView {
        try caller.require(.shop)
        guard let order = try await OrderStore.find(id: id, party: caller.accountId, on: platform.db.sql),
            order.buyer_id == caller.accountId
        else { throw Problem.notFound("The order") }
        try await move(order, .cancel, by: .buyer, actorId: caller.accountId, platform: platform)
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// Cancels unpaid orders past their payment window (the background timer calls this); returns how many.
    @discardableResult
    public static func cancelOverdue(platform: Platform) async throws -> Int {
        var cancelled = 0
        for order in try await OrderStore.overdueUnpaid(now: platform.now, limit: 200, on: platform.db.sql) {
            do {
                try await move(order, .cancel, by: .system, actorId: nil, platform: platform)
                cancelled += 1
            } catch let problem as Problem where problem.statusCode == 409 {
                continue  // paid or cancelled meanwhile
            }
        }
        return cancelled
    }

    /// Applies one state-machine transition, with its side effects and audit event, in one transaction: stock
    /// back when an unshipped order is cancelled, escrow to refunds when a paid order is cancelled or refunded,
    /// escrow to the merchant when it completes. Refunds are sent to the provider after the commit.
    static func move(
        _ order: OrderRow, _ action: OrderAction, by actor: OrderActor, actorId: String?, platform: Platform,
        details: [String: String] = [:], partialRefundFen: Int64 = 0,
        effects: @escaping @Sendable (_ now: Int64, _ db: any SQLDatabase) async throws -> Void = { _, _ in }
    ) async throws {
        let from = OrderStatus(rawValue: order.status) ?? .onHold
        let to: OrderStatus
        do {
            to = try OrderStateMachine.next(from: from, action: action, by: actor)
        } catch {
            switch error {
            case .illegal:
                throw Problem.illegalTransition(error.message)
            case .notAllowed: throw Problem.forbidden(error.message)
            }
        }
        let now = platform.now
        let refund: RefundRow? = try await platform.db.transaction { db in
            guard try await OrderStore.transition(id: order.id, from: from.rawValue, to: to.rawValue, now: now, on: db)
            else {
                throw Problem.illegalTransition("The order changed meanwhile; reload it.")
            }
            if to == .cancelled, from == .awaitingPayment || from == .awaitingShipment {
                for line in try await OrderStore.lines(orderIds: [order.id], on: db) {
                    try await OrderStore.release(listingId: line.listing_id, quantity: line.quantity, on: db)
                }
            }
            var refund: RefundRow?
            if action == .confirm, try await DisputeStore.open(orderId: order.id, on: db) != nil {
                throw Problem(
                    type: "dispute-open", status: 409, title: "Dispute open",
                    detail: "A dispute about this order is open: its money stays in escrow until the case ends.")
            }
            let refundFen =
                (to == .cancelled && from != .awaitingPayment && from != .onHold) || to == .refunded
                ? order.total_fen : to == .completed ? partialRefundFen : 0
            if refundFen > 0 {
                guard let payment = try await PaymentStore.find(checkoutId: order.checkout_id, on: db) else {
                    throw StorageError.missing("payment of order \(order.id)")
                }
                refund = try await Payments.openRefund(
                    order, amountFen: refundFen, payment: payment, platform: platform, on: db)
            }
            if to == .completed {
                try await OrderStore.update(id: order.id, ["completed_at": now], on: db)
                try await LedgerStore.post(
                    kind: .release, orderId: order.id, reference: "release:\(order.id)",
                    postings: LedgerRules.release(
                        order: order.id, merchant: order.merchant_id, totalFen: order.total_fen - partialRefundFen,
                        feeBasisPoints: platform.settings.platformFeeBasisPoints), now: now, on: db)
            }
            try await effects(now, db)
            try await AuditTrail.record(
                AuditEvent(
                    "order.\(action.rawValue)", actor: actorId, subject: order.buyer_id, object: "order:\(order.id)",
                    details: details.merging(["from": from.rawValue, "to": to.rawValue, "by": actor.rawValue]) { $1 }),
                platform: platform, on: db)
            return refund
        }
        if to == .cancelled { platform.browseCache.invalidate() }  // stock came back
        if let refund { await Payments.send(refund, platform: platform) }
    }

    /// Orders with their lines and recipient (masked for merchants; absent once the buyer's key is destroyed).
    static func withLines(_ orders: [OrderRow], _ platform: Platform, masked: Bool) async throws
        -> [OrderView]
    {
        let db = platform.db.sql
        let lines = Dictionary(grouping: try await OrderStore.lines(orderIds: orders.map(\.id), on: db), by: \.order_id)
        var views: [OrderView] = []
        for order in orders {
            var recipient: Recipient?
            if let sealed = order.recipient_cipher,
                let key = try? await SubjectKeys.key(subject: order.buyer_id, platform: platform, on: db)
            {
                let opened = try Recipients.open(sealed, orderId: order.id, key: key)
                recipient = masked ? opened.masked : opened
            }
            views.append(view(order, lines: lines[order.id] ?? [], recipient: recipient))
        }
        return views
    }

    private static func view(_ order: OrderRow, lines: [OrderLineRow], recipient: Recipient?) -> OrderView {
        var view = OrderView(
            id: order.id, checkoutId: order.checkout_id, merchantId: order.merchant_id, status: order.status,
            totalFen: order.total_fen, payBy: order.pay_by, createdAt: order.created_at, carrier: order.carrier,
            trackingNumber: order.tracking_number, shippedAt: order.shipped_at, deliveredAt: order.delivered_at,
            receiptDueAt: order.receipt_due_at, receiptExtended: order.receipt_extended_at != nil,
            completedAt: order.completed_at,
            lines: lines.map {
                OrderLineView(listingId: $0.listing_id, title: $0.title, priceFen: $0.price_fen, quantity: $0.quantity)
            }, recipient: recipient)
        view.shipDueAt = order.ship_due_at
        view.shippingLate = order.shipping_late_at != nil
        return view
    }
}
