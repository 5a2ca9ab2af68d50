import Domain
import Foundation
import Logging
import SQLKit
import Storage

public struct PayoutView: Sendable, Codable, Equatable {
    public let id: String
    public let amountFen: Int64
    /// `pending` until the payment institution pays it, then `paid`.
    public let status: String
    public let createdAt: Int64
}

public struct MerchantBalanceView: Sendable, Codable, Equatable {
    /// Released to the merchant and not paid out: what a payout may take.
    public let availableFen: Int64
    /// Paid by consumers, held in escrow until the orders complete.
    public let inEscrowFen: Int64
    public let payouts: [PayoutView]
}

/// Merchants' balances and payouts, and the ledger's check (issue: ledger and settlement).
public enum Settlement {
    public static func balance(caller: Caller, platform: Platform) async throws -> MerchantBalanceView {
        try caller.require(.viewFinance)
        guard let merchantId = caller.merchantId else { throw Problem.forbidden("This is for merchants.") }
        let db = platform.db.sql
        let escrow =
            try await db.raw(
                """
                SELECT CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) AS total FROM orders WHERE merchant_id = \(bind: merchantId)
                AND status IN ('awaiting_shipment', 'shipped', 'delivered', 'refund_requested')
                """
            ).first()?.decode(column: "total", as: Int64.self) ?? 0
        return MerchantBalanceView(
            availableFen: -(try await LedgerStore.balance(account: LedgerAccount.merchant(merchantId), on: db)),
            inEscrowFen: escrow, payouts: try await PayoutStore.list(merchantId: merchantId, on: db).map(view))
    }

    /// The owner moves part of the balance to the merchant's bank account; only a real-name verified merchant
    /// may (clause 2.3.4). The amount is reserved in the ledger before the institution is asked to pay.
    public static func requestPayout(
        amountFen: Int64, caller: Caller, attempt: Idempotency.Attempt? = nil, platform: Platform
    ) async throws -> PayoutView {
        try caller.require(.requestPayouts)
        guard let merchantId = caller.merchantId else { throw Problem.forbidden("This is for merchants.") }
        // A retry of a request cut off after the payout was reserved: that payout, never a second one.
        if let id = attempt?.recovered("payout") {
            guard let reserved = try await PayoutStore.find(id: id, merchantId: merchantId, on: platform.db.sql) else {
                throw Problem.notFound("The payout")
            }
            return view(reserved.status == "pending" ? await send(reserved, platform: platform) : reserved)
        }
        guard amountFen > 0, amountFen <= 100_000_000_00 else {
            throw Problem.invalid("amountFen", "The amount is a positive number of fen.")
        }
        try await RealName.requireVerified(accountId: merchantId, on: platform.db.sql)
        let risk = try await RiskChecks.payout(
            amountFen: amountFen, merchantId: merchantId, caller: caller, platform: platform)
        let payout = PayoutRow(
            id: Identifiers.make(), merchantId: merchantId, requestedBy: caller.accountId, amountFen: amountFen,
            now: platform.now)
        try await platform.db.transaction { db in
            try await PayoutStore.lock(merchantId: merchantId, on: db)
            let available = -(try await LedgerStore.balance(account: LedgerAccount.merchant(merchantId), on: db))
            guard amountFen <= available else {
                throw Problem(
                    type: "insufficient-balance", status: 409, title: "Insufficient balance",
                    detail: "The available balance is \(available) fen.", field: "amountFen")
            }
            try await PayoutStore.insert(payout, on: db)
            try await attempt?.mark("payout:\(payout.id)", on: db)
            try await RiskChecks.record(risk.decision, riskCase: risk.riskCase, platform: platform, on: db)
            try await LedgerStore.post(
                kind: .payout, orderId: nil, reference: "payout:\(payout.id)",
                postings: LedgerRules.payoutReserved(merchant: merchantId, amountFen: amountFen),
                now: payout.created_at,
                on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "payout.request", actor: caller.accountId, object: "merchant:\(merchantId)",
                    details: ["amountFen": String(amountFen), "payout": payout.id]),
                platform: platform, on: db)
        }
        return view(await send(payout, platform: platform))
    }

    /// Asks the institution to pay; a payout it did not confirm stays pending and is retried.
    static func send(_ payout: PayoutRow, platform: Platform) async -> PayoutRow {
        var payout = payout
        do {
            let providerId = try await platform.payments.payout(
                merchantId: payout.merchant_id, amountFen: payout.amount_fen, reference: payout.id)
            let settled = payout
            try await platform.db.transaction { db in
                guard
                    try await LedgerStore.post(
                        kind: .payoutPaid, orderId: nil, reference: "payout-paid:\(settled.id)",
                        postings: LedgerRules.payoutPaid(amountFen: settled.amount_fen), now: platform.now, on: db)
                else { return }
                try await PayoutStore.settle(
                    id: settled.id, status: "paid", providerId: providerId, now: platform.now, on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "payout.paid", actor: nil, object: "merchant:\(settled.merchant_id)",
                        details: ["amountFen": String(settled.amount_fen), "payout": settled.id]),
                    platform: platform, on: db)
            }
            payout.status = "paid"
            payout.provider_payout_id = providerId
        } catch {
            platform.logger.warning(
                "payout not confirmed by the payment provider; will retry",
                metadata: ["payout": "\(payout.id)", "error": "\(type(of: error))"])
        }
        return payout
    }

    /// Retries payouts the institution has not confirmed (the background service calls this).
    public static func retryPendingPayouts(platform: Platform) async throws {
        let pending = try await platform.db.sql.select().column("*").from("payouts").where("status", .equal, "pending")
            .limit(100).all(decoding: PayoutRow.self)
        for payout in pending { _ = await send(payout, platform: platform) }
    }

    /// Every ledger invariant (`covenant ledger check`): nil when all hold, else the first violation.
    /// With `reconcile`, the ledger must also agree with what the payment institution recorded.
    public static func check(platform: Platform, reconcile: Bool) async throws -> String? {
        let db = platform.db.sql
        let provider = reconcile ? try await platform.payments.totals() : nil
        return LedgerInvariants.firstViolation(
            entries: try await LedgerStore.entries(on: db), orders: try await LedgerStore.orders(on: db),
            inFlight: try await LedgerStore.inFlight(on: db), provider: provider)
    }

    private static func view(_ payout: PayoutRow) -> PayoutView {
        PayoutView(id: payout.id, amountFen: payout.amount_fen, status: payout.status, createdAt: payout.created_at)
    }
}
