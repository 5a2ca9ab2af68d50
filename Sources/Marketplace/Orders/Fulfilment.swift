import Domain
import Foundation
import SQLKit
import Storage

/// Shipment, receipt and refunds (clause 2.4.1): who may take each step is the state machine's; the money
/// follows in the same transaction (escrow released on completion, back to the consumer on refund).
extension Orders {
    /// The merchant ships a paid order; the buyer's receipt window starts.
    /// Ships an order; handing it to a registered logistics provider lets that provider's credential read its
    /// waybill (and nothing else) and record delivery (clause 2.6).
    public static func ship(
        id: String, carrier rawCarrier: String, trackingNumber rawTracking: String, logisticsProvider: String? = nil,
        caller: Caller, platform: Platform
    ) async throws -> OrderView {
        try caller.require(.fulfilOrders)
        let carrier = try TextInput.singleLine(maximumLength: 40).validate(rawCarrier, field: "carrier")
        let tracking = try TextInput.singleLine(maximumLength: 40).validate(rawTracking, field: "trackingNumber")
        if let logisticsProvider {
            guard let provider = try await ProviderStore.find(id: logisticsProvider, on: platform.db.sql),
                provider.kind == ProviderKind.logistics.rawValue, provider.status == "active"
            else { throw Problem.invalid("logisticsProviderId", "Not an active logistics provider of the platform.") }
        }
        let order = try await merchantOrder(id, caller: caller, platform: platform)
        let due = receiptDue(from: platform.now, platform)
        try await move(order, .ship, by: .merchant, actorId: caller.accountId, platform: platform) { now, db in
            try await OrderStore.update(
                id: order.id,
                [
                    "carrier": carrier, "tracking_number": tracking, "shipped_at": now, "receipt_due_at": due,
                    "logistics_provider_id": logisticsProvider,
                ], on: db)
        }
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// The merchant records delivery for a carrier that does not report itself; the window restarts.
    public static func markDelivered(id: String, caller: Caller, platform: Platform) async throws -> OrderView {
        try caller.require(.fulfilOrders)
        let order = try await merchantOrder(id, caller: caller, platform: platform)
        try await recordDelivery(order, actorId: caller.accountId, platform: platform)
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// Delivery, by the carrier (a provider) however it is reported: the receipt window restarts.
    static func recordDelivery(_ order: OrderRow, actorId: String, platform: Platform) async throws {
        let due = receiptDue(from: platform.now, platform)
        try await move(order, .deliver, by: .provider, actorId: actorId, platform: platform) { now, db in
            try await OrderStore.update(id: order.id, ["delivered_at": now, "receipt_due_at": due], on: db)
        }
    }

    /// The buyer confirms receipt: the order completes and its escrow goes to the merchant, less the fee.
    public static func confirmReceipt(id: String, caller: Caller, platform: Platform) async throws -> OrderView {
        let order = try await buyerOrder(id, caller: caller, platform: platform)
        try await move(order, .confirm, by: .buyer, actorId: caller.accountId, platform: platform)
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// The buyer extends the receipt window, once.
    public static func extendReceipt(id: String, caller: Caller, platform: Platform) async throws -> OrderView {
        let order = try await buyerOrder(id, caller: caller, platform: platform)
        guard order.status == OrderStatus.shipped.rawValue || order.status == OrderStatus.delivered.rawValue,
            let due = order.receipt_due_at
        else {
            throw Problem.illegalTransition(
                "The order is \(order.status); only a shipped or delivered order's receipt can be extended.")
        }
        guard order.receipt_extended_at == nil else {
            throw Problem.conflict("The receipt window was extended once already.")
        }
        let extended = due + platform.settings.receiptExtensionDays * 86_400_000
        let now = platform.now
        try await platform.db.transaction { db in
            guard
                try await db.raw(
                    """
                    UPDATE orders SET receipt_due_at = \(bind: extended), receipt_extended_at = \(bind: now)
                    WHERE id = \(bind: order.id) AND receipt_extended_at IS NULL AND status IN ('shipped', 'delivered')
                    RETURNING id
                    """
                ).first() != nil
            else { throw Problem.conflict("The receipt window was extended once already.") }
            try await AuditTrail.record(
                AuditEvent(
                    "order.extend_receipt", actor: caller.accountId, subject: caller.accountId,
                    object: "order:\(order.id)", details: ["receiptDueAt": String(extended)]),
                platform: platform, on: db)
        }
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// The buyer asks for their money back: a paid, unshipped order is cancelled and refunded at once; a shipped
    /// or delivered one waits for the merchant (or staff) to approve the refund and return.
    public static func requestRefund(id: String, reason rawReason: String, caller: Caller, platform: Platform)
        async throws -> OrderView
    {
        let reason = try TextInput.singleLine(maximumLength: 200).validate(rawReason, field: "reason")
        let order = try await buyerOrder(id, caller: caller, platform: platform)
        let action: OrderAction = order.status == OrderStatus.awaitingShipment.rawValue ? .cancel : .requestRefund
        let risk = try await RiskChecks.refundRequest(orderId: order.id, caller: caller, platform: platform)
        try await move(
            order, action, by: .buyer, actorId: caller.accountId, platform: platform, details: ["reason": reason]
        ) { _, db in
            try await RiskChecks.record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
        }
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// The merchant approves (refund paid back through the provider) or rejects a refund request.
    public static func decideRefund(id: String, approve: Bool, caller: Caller, platform: Platform) async throws
        -> OrderView
    {
        try caller.require(.fulfilOrders)
        let order = try await merchantOrder(id, caller: caller, platform: platform)
        try await move(
            order, approve ? .approveRefund : .rejectRefund, by: .merchant, actorId: caller.accountId,
            platform: platform)
        return try await get(id: id, caller: caller, platform: platform)
    }

    /// Confirms receipt of orders whose window ended (the background timer calls this); returns how many.
    @discardableResult
    public static func confirmOverdue(platform: Platform) async throws -> Int {
        var confirmed = 0
        let periods = try await ForceMajeureStore.active(now: platform.now, on: platform.db.sql)
        for order in try await OrderStore.receiptOverdue(now: platform.now, limit: 200, on: platform.db.sql) {
            // A force-majeure period holds this order's clock (1.1.4).
            if try await ForceMajeure.pausing(order, periods: periods, on: platform.db.sql) != nil { continue }
            do {
                try await move(order, .confirm, by: .system, actorId: nil, platform: platform)
                confirmed += 1
            } catch let problem as Problem where problem.statusCode == 409 {
                continue  // confirmed, extended or refunded meanwhile
            }
        }
        return confirmed
    }

    /// Flags paid orders not shipped by their deadline (the background timer calls this); returns how many. The
    /// buyer is told they may cancel for a full refund, the merchant is reminded; a force-majeure period in scope
    /// holds the clock (1.1.4).
    @discardableResult
    public static func flagLateShipments(platform: Platform) async throws -> Int {
        var flagged = 0
        let periods = try await ForceMajeureStore.active(now: platform.now, on: platform.db.sql)
        for order in try await OrderStore.shippingOverdue(now: platform.now, limit: 200, on: platform.db.sql) {
            if try await ForceMajeure.pausing(order, periods: periods, on: platform.db.sql) != nil { continue }
            let now = platform.now
            let short = order.id.prefix(8)
            let marked = try await platform.db.transaction { db in
                guard try await OrderStore.markShippingLate(id: order.id, now: now, on: db) else { return false }
                try await SecurityNoticeStore.insert(
                    SecurityNoticeRow(
                        id: Identifiers.make(), account_id: order.buyer_id, kind: "order",
                        message: "订单 \(short) 未在承诺时间内发货，您可以取消订单并获得全额退款。 / Order \(short) was "
                            + "not shipped in time: you may cancel it for a full refund.", created_at: now), on: db)
                try await SecurityNoticeStore.insert(
                    SecurityNoticeRow(
                        id: Identifiers.make(), account_id: order.merchant_id, kind: "order",
                        message: "Order \(short) is past its shipping deadline: ship it now or the buyer may cancel.",
                        created_at: now), on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "order.shipping_late", actor: nil, subject: order.buyer_id, object: "order:\(order.id)",
                        details: ["merchant": order.merchant_id]), platform: platform, on: db)
                return true
            }
            if marked { flagged += 1 }
        }
        return flagged
    }

    private static func receiptDue(from now: Int64, _ platform: Platform) -> Int64 {
        now + platform.settings.autoConfirmDays * 86_400_000
    }

    /// The caller's own order as its buyer; anyone else's is 404 (authorization in the query).
    static func buyerOrder(_ id: String, caller: Caller, platform: Platform) async throws -> OrderRow {
        try caller.require(.shop)
        guard let order = try await OrderStore.find(id: id, party: caller.accountId, on: platform.db.sql),
            order.buyer_id == caller.accountId
        else { throw Problem.notFound("The order") }
        return order
    }

    /// An order of the caller's merchant; anyone else's is 404.
    static func merchantOrder(_ id: String, caller: Caller, platform: Platform) async throws -> OrderRow {
        guard let merchantId = caller.merchantId,
            let order = try await OrderStore.find(id: id, party: merchantId, on: platform.db.sql),
            order.merchant_id == merchantId
        else { throw Problem.notFound("The order") }
        return order
    }
}
