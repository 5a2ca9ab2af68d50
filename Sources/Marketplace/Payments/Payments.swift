import Domain
public import Foundation
import Logging
import Privacy
import SQLKit
import Storage

public struct PaymentView: Sendable, Codable, Equatable {
    public let checkoutId: String
    public let status: String
    public let amountFen: Int64
    /// The provider's hosted page; the consumer enters the card there, never here.
    public let payURL: String?
    public let cardBrand: String?
    public let cardLast4: String?
}

/// Paying through the third-party institution (clauses 2.4.2, 2.6): intents, signed callbacks, refunds.
public enum Payments {
    static let currency = "CNY"

    /// Opens (or resumes) the payment of a checkout: the provider's hosted page for the consumer. `clientAddress`
    /// is where the request came from: failed payments are counted per address (card testing, clause 2.2).
    public static func start(checkoutId: String, caller: Caller, clientAddress: String?, platform: Platform)
        async throws -> PaymentView
    {
        try caller.require(.shop)
        let db = platform.db.sql
        let orders = try await OrderStore.list(checkoutId: checkoutId, on: db)
        guard let first = orders.first, first.buyer_id == caller.accountId else {
            throw Problem.notFound("The checkout")
        }
        if let payment = try await PaymentStore.find(checkoutId: checkoutId, on: db), payment.pay_url != nil {
            return view(payment)
        }
        // One payment covers the whole checkout; a checkout with a cancelled order is checked out again.
        guard orders.allSatisfy({ $0.status == OrderStatus.awaitingPayment.rawValue }) else {
            throw Problem.conflict("Part of this checkout is no longer awaiting payment; check out again.")
        }
        let amount = orders.reduce(Int64(0)) { $0 + $1.total_fen }
        try await RiskChecks.payment(
            amountFen: amount, caller: caller, clientAddress: clientAddress, platform: platform)
        let opened = PaymentRow(
            id: Identifiers.make(), checkoutId: checkoutId, provider: platform.payments.name, amountFen: amount,
            currency: currency,
            payerAddressIndex: try clientAddress.map { try Shield.addressIndex($0, platform: platform) },
            now: platform.now)
        var payment = try await platform.db.transaction { db in try await PaymentStore.open(opened, on: db) }
        let base = platform.publicBaseURL
        let intent = try await platform.payments.createIntent(
            PaymentIntentRequest(
                reference: checkoutId, amountFen: payment.amount_fen, currency: payment.currency,
                description: "Covenant checkout \(checkoutId.prefix(8))",
                callbackURL: base + "/api/v1/payments/callback",
                returnURL: base + "/checkouts/\(checkoutId)"))
        let now = platform.now
        try await platform.db.transaction { [payment] db in
            try await PaymentStore.attachIntent(
                id: payment.id, intentId: intent.id, payURL: intent.payURL, now: now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "payment.start", actor: caller.accountId, subject: caller.accountId,
                    object: "checkout:\(checkoutId)",
                    details: ["provider": payment.provider, "amountFen": String(payment.amount_fen)]),
                platform: platform, on: db)
        }
        payment.pay_url = intent.payURL
        payment.intent_id = intent.id
        return view(payment)
    }

    /// The checkout's payment as its buyer sees it.
    public static func status(checkoutId: String, caller: Caller, platform: Platform) async throws -> PaymentView {
        try caller.require(.shop)
        let db = platform.db.sql
        guard let order = try await OrderStore.list(checkoutId: checkoutId, on: db).first,
            order.buyer_id == caller.accountId,
            let payment = try await PaymentStore.find(checkoutId: checkoutId, on: db)
        else { throw Problem.notFound("The payment") }
        return view(payment)
    }

    /// Every payment of the account's checkouts (the data export).
    static func mine(accountId: String, platform: Platform) async throws -> [PaymentView] {
        try await PaymentStore.list(buyerId: accountId, on: platform.db.sql).map(view)
    }

    /// A callback from the provider: verified (signature in constant time, 300-second window), deduplicated by
    /// event id, then applied once. A payment whose amount or currency differs puts the orders on hold.
    public static func handleCallback(timestamp: String?, signature: String?, body: Data, platform: Platform)
        async throws
    {
        let event = try platform.payments.verifyCallback(
            timestamp: timestamp, signature: signature, body: body,
            now: Date(timeIntervalSince1970: Double(platform.now) / 1000))
        let db = platform.db.sql
        guard let payment = try await PaymentStore.find(checkoutId: event.reference, on: db),
            payment.intent_id == event.intentId
        else { throw Problem.notFound("The payment") }
        let orders = try await OrderStore.list(checkoutId: payment.checkout_id, on: db)
        let tokenIndex = try event.token.map { try platform.keys.blindIndex($0, purpose: "payment.token") }
        let now = platform.now
        let refunds: [RefundRow] = try await platform.db.transaction { db in
            guard try await PaymentEventStore.claim(eventId: event.eventId, type: event.type, now: now, on: db) else {
                return []  // delivered before: already applied
            }
            switch event.type {
            case "payment.succeeded":
                let matches = event.amountFen == payment.amount_fen && event.currency == payment.currency
                guard
                    try await PaymentStore.settle(
                        id: payment.id, status: matches ? "succeeded" : "mismatch", tokenIndex: tokenIndex,
                        brand: event.brand, last4: event.last4, now: now, on: db)
                else { return [] }
                return matches
                    ? try await capture(payment, orders: orders, platform: platform, on: db)
                    : try await hold(payment, event: event, orders: orders, platform: platform, on: db)
            case "payment.failed":
                // One attempt failed; the payment stays open for another card until its window ends.
                try await AuditTrail.record(
                    AuditEvent(
                        "payment.failed", actor: nil, subject: orders.first?.buyer_id,
                        object: "checkout:\(payment.checkout_id)", outcome: .failure,
                        details: ["brand": event.brand ?? "", "last4": event.last4 ?? ""]), platform: platform, on: db)
                return []
            default:
                return []
            }
        }
        for refund in refunds { await send(refund, platform: platform) }
        if let address = payment.payer_address_index,
            event.type == "payment.failed" || event.type == "payment.succeeded",
            let buyer = try await OrderStore.list(checkoutId: payment.checkout_id, on: platform.db.sql).first?.buyer_id
        {
            try? RiskChecks.paymentAnswered(
                declined: event.type == "payment.failed", buyerId: buyer, addressIndex: address,
                card: event.last4.map { "\(event.brand ?? "")|\($0)" }, platform: platform)
        }
        if event.type == "payment.failed", let address = payment.payer_address_index {
            // The callback is applied either way: detection failing must not make the institution resend it.
            do {
                try await platform.shield.observeFailedPayment(
                    addressIndex: address, checkout: payment.checkout_id, platform: platform)
            } catch {
                platform.logger.error("card-testing check failed", metadata: ["checkout": "\(payment.checkout_id)"])
            }
        }
    }

    /// Money captured for every order of the checkout: each awaiting order is paid into its escrow; an order
    /// cancelled meanwhile (the payment window ran out) is refunded.
    private static func capture(
        _ payment: PaymentRow, orders owed: [OrderRow], platform: Platform, on db: any SQLDatabase
    )
        async throws -> [RefundRow]
    {
        let now = platform.now
        try await LedgerStore.post(
            kind: .capture, orderId: nil, reference: "capture:\(payment.id)",
            postings: LedgerRules.capture(orders: owed.map { ($0.id, $0.total_fen) }), now: now, on: db)
        var refunds: [RefundRow] = []
        for order in owed {
            if order.status == OrderStatus.awaitingPayment.rawValue,
                try await OrderStore.transition(
                    id: order.id, from: order.status, to: OrderStatus.awaitingShipment.rawValue, now: now, on: db)
            {
                try await OrderStore.update(
                    id: order.id, ["ship_due_at": now + platform.settings.shipWithinHours * 3_600_000], on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "order.pay", actor: nil, subject: order.buyer_id, object: "order:\(order.id)",
                        details: ["from": order.status, "to": OrderStatus.awaitingShipment.rawValue, "by": "provider"]),
                    platform: platform, on: db)
            } else {
                refunds.append(try await openRefund(order, payment: payment, platform: platform, on: db))
            }
        }
        return refunds
    }

    /// The provider captured a different amount or currency: the money waits in suspense, the orders on hold.
    private static func hold(
        _ payment: PaymentRow, event: PaymentEvent, orders: [OrderRow], platform: Platform, on db: any SQLDatabase
    ) async throws -> [RefundRow] {
        let now = platform.now
        try await LedgerStore.post(
            kind: .mismatch, orderId: nil, reference: "capture:\(payment.id)",
            postings: LedgerRules.mismatch(checkout: payment.checkout_id, amountFen: event.amountFen), now: now,
            on: db)
        for order in orders where order.status == OrderStatus.awaitingPayment.rawValue {
            _ = try await OrderStore.transition(
                id: order.id, from: order.status, to: OrderStatus.onHold.rawValue, now: now, on: db)
        }
        try await AuditTrail.record(
            AuditEvent(
                "payment.mismatch", actor: nil, subject: orders.first?.buyer_id,
                object: "checkout:\(payment.checkout_id)", outcome: .failure,
                details: [
                    "expectedFen": String(payment.amount_fen), "receivedFen": String(event.amountFen),
                    "expectedCurrency": payment.currency, "receivedCurrency": event.currency,
                ]), platform: platform, on: db)
        return []
    }

    /// Moves an order's escrow to refunds and records the refund to send; call inside the order's transaction.
    static func openRefund(
        _ order: OrderRow, amountFen: Int64? = nil, payment: PaymentRow, platform: Platform, on db: any SQLDatabase
    ) async throws -> RefundRow {
        let amount = amountFen ?? order.total_fen
        let refund = RefundRow(
            id: Identifiers.make(), orderId: order.id, paymentId: payment.id, amountFen: amount, now: platform.now)
        try await LedgerStore.post(
            kind: .refund, orderId: order.id, reference: "refund:\(order.id)",
            postings: LedgerRules.refund(order: order.id, totalFen: amount), now: platform.now, on: db)
        try await RefundStore.insert(refund, on: db)
        try await AuditTrail.record(
            AuditEvent(
                "refund.open", actor: nil, subject: order.buyer_id, object: "order:\(order.id)",
                details: ["amountFen": String(amount)]), platform: platform, on: db)
        return refund
    }

    /// Asks the provider to pay a refund; when it does, the ledger moves it out of clearing. A refund the provider
    /// did not confirm stays pending and is retried by the background service.
    static func send(_ refund: RefundRow, platform: Platform) async {
        do {
            guard let payment = try await PaymentStore.find(id: refund.payment_id, on: platform.db.sql),
                let intentId = payment.intent_id
            else { return }
            let providerId = try await platform.payments.refund(
                intentId: intentId, amountFen: refund.amount_fen, reference: refund.id)
            try await platform.db.transaction { db in
                guard
                    try await LedgerStore.post(
                        kind: .refundPaid, orderId: refund.order_id, reference: "refund-paid:\(refund.id)",
                        postings: LedgerRules.refundPaid(amountFen: refund.amount_fen), now: platform.now, on: db)
                else { return }
                try await RefundStore.complete(id: refund.id, providerId: providerId, on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "refund.paid", actor: nil, object: "order:\(refund.order_id)",
                        details: ["amountFen": String(refund.amount_fen), "provider": payment.provider]),
                    platform: platform, on: db)
            }
        } catch {
            platform.logger.warning(
                "refund not confirmed by the payment provider; will retry",
                metadata: ["refund": "\(refund.id)", "error": "\(type(of: error))"])
        }
    }

    /// Retries refunds the provider has not confirmed (the background service calls this).
    public static func retryPendingRefunds(platform: Platform) async throws {
        for refund in try await RefundStore.pending(on: platform.db.sql) { await send(refund, platform: platform) }
    }

    private static func view(_ payment: PaymentRow) -> PaymentView {
        PaymentView(
            checkoutId: payment.checkout_id, status: payment.status, amountFen: payment.amount_fen,
            payURL: payment.status == "pending" ? payment.pay_url : nil, cardBrand: payment.card_brand,
            cardLast4: payment.card_last4)
    }
}
