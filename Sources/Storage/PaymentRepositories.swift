public import Domain
import Foundation
public import SQLKit

public struct PaymentRow: Codable, Sendable {
    public var id: String
    public var checkout_id: String
    public var provider: String
    public var intent_id: String?
    public var amount_fen: Int64
    public var currency: String
    public var status: String
    public var pay_url: String?
    public var token_index: String?
    public var card_brand: String?
    public var card_last4: String?
    public var payer_address_index: String?
    public var created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, checkoutId: String, provider: String, amountFen: Int64, currency: String,
        payerAddressIndex: String? = nil, now: Int64
    ) {
        self.id = id
        self.payer_address_index = payerAddressIndex
        self.checkout_id = checkoutId
        self.provider = provider
        self.amount_fen = amountFen
        self.currency = currency
        self.status = "pending"
        self.created_at = now
        self.updated_at = now
    }
}

public enum PaymentStore {
    /// Inserts the checkout's payment unless it has one; returns the payment the checkout has.
    public static func open(_ payment: PaymentRow, on db: any SQLDatabase) async throws -> PaymentRow {
        try await db.insert(into: "payments").model(payment).ignoringConflicts(with: ["checkout_id"]).run()
        guard let stored = try await find(checkoutId: payment.checkout_id, on: db) else {
            throw StorageError.missing("payment for checkout \(payment.checkout_id)")
        }
        return stored
    }

    public static func find(checkoutId: String, on db: any SQLDatabase) async throws -> PaymentRow? {
        try await db.select().column("*").from("payments").where("checkout_id", .equal, checkoutId)
            .first(decoding: PaymentRow.self)
    }

    public static func list(buyerId: String, on db: any SQLDatabase) async throws -> [PaymentRow] {
        try await db.raw(
            """
            SELECT p.* FROM payments p JOIN checkouts c ON c.id = p.checkout_id
            WHERE c.buyer_id = \(bind: buyerId) ORDER BY p.created_at DESC
            """
        ).all(decoding: PaymentRow.self)
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> PaymentRow? {
        try await db.select().column("*").from("payments").where("id", .equal, id).first(decoding: PaymentRow.self)
    }

    public static func attachIntent(id: String, intentId: String, payURL: String, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.update("payments").set("intent_id", to: intentId).set("pay_url", to: payURL)
            .set("updated_at", to: now).where("id", .equal, id).run()
    }

    /// Settles a pending payment; false when it was settled already (a duplicate or late callback).
    public static func settle(
        id: String, status: String, tokenIndex: String?, brand: String?, last4: String?, now: Int64,
        on db: any SQLDatabase
    ) async throws -> Bool {
        try await db.raw(
            """
            UPDATE payments SET status = \(bind: status), token_index = \(bind: tokenIndex),
                card_brand = \(bind: brand), card_last4 = \(bind: last4), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = 'pending' RETURNING id
            """
        ).first() != nil
    }

    /// Payment-token pseudonyms a set of accounts paid with (fake-review signals).
    public static func tokenIndexes(buyerIds: [String], on db: any SQLDatabase) async throws -> Set<String> {
        guard !buyerIds.isEmpty else { return [] }
        let rows = try await db.select().column(SQLColumn("token_index", table: "payments")).from("payments")
            .join(
                "checkouts", on: SQLColumn("id", table: "checkouts"), .equal,
                SQLColumn("checkout_id", table: "payments")
            )
            .where(SQLColumn("buyer_id", table: "checkouts"), .in, SQLBind.group(buyerIds))
            .where(SQLColumn("token_index", table: "payments"), .isNot, SQLLiteral.null)
            .all()
        return Set(rows.compactMap { try? $0.decode(column: "token_index", as: String.self) })
    }
}

public enum PaymentEventStore {
    /// Records a provider event id; false when it was handled before (a duplicate delivery).
    public static func claim(eventId: String, type: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            INSERT INTO payment_events (event_id, type, received_at) VALUES (\(bind: eventId), \(bind: type), \(bind: now))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """
        ).first() != nil
    }
}

public struct LedgerPostingRow: Codable, Sendable {
    public let entry_id: String
    public let account: String
    public let amount_fen: Int64
}

public struct LedgerEntryRow: Codable, Sendable {
    public let id: String
    public let kind: String
    public let order_id: String?
    public let reference: String
    public let created_at: Int64
}

public enum LedgerStore {
    /// Posts one balanced entry; `reference` makes it happen once (false when it was posted before).
    /// An unbalanced entry is a programming error and is refused before anything is written.
    @discardableResult
    public static func post(
        kind: LedgerEntryKind, orderId: String?, reference: String, postings: [LedgerPosting], now: Int64,
        on db: any SQLDatabase
    ) async throws -> Bool {
        guard postings.count >= 2, postings.reduce(Int64(0), { $0 + $1.amountFen }) == 0 else {
            throw StorageError.unbalanced(reference)
        }
        let id = UUID().uuidString.lowercased()
        let inserted = try await db.raw(
            """
            INSERT INTO ledger_entries (id, kind, order_id, reference, created_at)
            VALUES (\(bind: id), \(bind: kind.rawValue), \(bind: orderId), \(bind: reference), \(bind: now))
            ON CONFLICT (reference) DO NOTHING RETURNING id
            """
        ).first()
        guard inserted != nil else { return false }
        for posting in postings {
            try await db.insert(into: "ledger_postings")
                .model(LedgerPostingRow(entry_id: id, account: posting.account, amount_fen: posting.amountFen)).run()
        }
        return true
    }

    /// The balance of one account (debits positive).
    public static func balance(account: String, on db: any SQLDatabase) async throws -> Int64 {
        let row = try await db.raw(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total FROM ledger_postings WHERE account = \(bind: account)"
        ).first()
        return try row?.decode(column: "total", as: Int64.self) ?? 0
    }

    /// Every entry with its postings, oldest first (the ledger check).
    public static func entries(on db: any SQLDatabase) async throws -> [LedgerEntry] {
        let entries = try await db.select().column("*").from("ledger_entries").orderBy("created_at")
            .all(decoding: LedgerEntryRow.self)
        let postings = Dictionary(
            grouping: try await db.select().column("*").from("ledger_postings").all(decoding: LedgerPostingRow.self),
            by: \.entry_id)
        return entries.map { entry in
            LedgerEntry(
                id: entry.id, kind: entry.kind, orderId: entry.order_id,
                postings: (postings[entry.id] ?? []).map { LedgerPosting($0.account, $0.amount_fen) })
        }
    }

    /// Refunds and payouts the payment institution has not confirmed yet.
    public static func inFlight(on db: any SQLDatabase) async throws -> (refundsFen: Int64, payoutsFen: Int64) {
        func sum(_ table: String) async throws -> Int64 {
            try await db.raw(
                "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total FROM \(ident: table) WHERE status = 'pending'"
            ).first()?.decode(column: "total", as: Int64.self) ?? 0
        }
        return (try await sum("refunds"), try await sum("payouts"))
    }

    /// Orders as the ledger check sees them.
    public static func orders(on db: any SQLDatabase) async throws -> [LedgerOrder] {
        try await db.raw("SELECT id, status, total_fen FROM orders").all().map { row in
            LedgerOrder(
                id: try row.decode(column: "id", as: String.self),
                status: OrderStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .onHold,
                totalFen: try row.decode(column: "total_fen", as: Int64.self))
        }
    }
}

public struct RefundRow: Codable, Sendable {
    public let id: String
    public let order_id: String
    public let payment_id: String
    public var provider_refund_id: String?
    public let amount_fen: Int64
    public var status: String
    public let created_at: Int64

    public init(id: String, orderId: String, paymentId: String, amountFen: Int64, now: Int64) {
        self.id = id
        self.order_id = orderId
        self.payment_id = paymentId
        self.amount_fen = amountFen
        self.status = "pending"
        self.created_at = now
    }
}

public enum RefundStore {
    public static func insert(_ refund: RefundRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "refunds").model(refund).run()
    }

    public static func complete(id: String, providerId: String, on db: any SQLDatabase) async throws {
        try await db.update("refunds").set("status", to: "succeeded").set("provider_refund_id", to: providerId)
            .where("id", .equal, id).run()
    }

    /// Refunds the institution has not confirmed yet (retried by the background service).
    public static func pending(on db: any SQLDatabase) async throws -> [RefundRow] {
        try await db.select().column("*").from("refunds").where("status", .equal, "pending").limit(100)
            .all(decoding: RefundRow.self)
    }
}

public struct PayoutRow: Codable, Sendable {
    public let id: String
    public let merchant_id: String
    public let requested_by: String
    public let amount_fen: Int64
    public var status: String
    public var provider_payout_id: String?
    public let created_at: Int64
    public var updated_at: Int64

    public init(id: String, merchantId: String, requestedBy: String, amountFen: Int64, now: Int64) {
        self.id = id
        self.merchant_id = merchantId
        self.requested_by = requestedBy
        self.amount_fen = amountFen
        self.status = "pending"
        self.created_at = now
        self.updated_at = now
    }
}

public enum PayoutStore {
    public static func insert(_ payout: PayoutRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "payouts").model(payout).run()
    }

    /// The store's payout (the merchant is part of the query).
    public static func find(id: String, merchantId: String, on db: any SQLDatabase) async throws -> PayoutRow? {
        try await db.select().column("*").from("payouts").where("id", .equal, id)
            .where("merchant_id", .equal, merchantId).first(decoding: PayoutRow.self)
    }

    public static func settle(id: String, status: String, providerId: String?, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.update("payouts").set("status", to: status).set("provider_payout_id", to: providerId)
            .set("updated_at", to: now).where("id", .equal, id).run()
    }

    public static func list(merchantId: String, on db: any SQLDatabase) async throws -> [PayoutRow] {
        try await db.select().column("*").from("payouts").where("merchant_id", .equal, merchantId)
            .orderBy("created_at", .descending).limit(100).all(decoding: PayoutRow.self)
    }

    /// Serialises balance checks of one merchant: a no-op update takes the merchant's row lock on PostgreSQL
    /// (SQLite already runs one writer at a time).
    public static func lock(merchantId: String, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE accounts SET updated_at = updated_at WHERE merchant_id = \(bind: merchantId)").run()
    }
}

public enum StorageError: Error, CustomStringConvertible {
    case missing(String)
    case unbalanced(String)

    public var description: String {
        switch self {
        case .missing(let what): "missing \(what)"
        case .unbalanced(let reference): "ledger entry \(reference) does not balance"
        }
    }
}
