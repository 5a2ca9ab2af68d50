import Foundation
public import SQLKit

public struct ReviewRow: Codable, Sendable {
    public let id: String
    public let order_id: String
    public let listing_id: String
    public let buyer_id: String
    public let merchant_id: String
    public let rating: Int64
    public let body: String
    public var reply: String?
    public let created_at: Int64
    public var replied_at: Int64?

    public init(
        id: String, orderId: String, listingId: String, buyerId: String, merchantId: String, rating: Int64,
        body: String, now: Int64
    ) {
        self.id = id
        self.order_id = orderId
        self.listing_id = listingId
        self.buyer_id = buyerId
        self.merchant_id = merchantId
        self.rating = rating
        self.body = body
        self.created_at = now
    }
}

public struct ReviewSignalRow: Codable, Sendable {
    public let review_id: String
    public let merchant_id: String
    public let kind: String
    public let detail: String
    public let created_at: Int64

    public init(reviewId: String, merchantId: String, kind: String, detail: String, now: Int64) {
        self.review_id = reviewId
        self.merchant_id = merchantId
        self.kind = kind
        self.detail = detail
        self.created_at = now
    }
}

public enum ReviewStore {
    /// Inserts the review unless the line has one; false when it had.
    public static func insert(_ review: ReviewRow, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            INSERT INTO reviews (id, order_id, listing_id, buyer_id, merchant_id, rating, body, created_at)
            VALUES (\(bind: review.id), \(bind: review.order_id), \(bind: review.listing_id), \(bind: review.buyer_id),
              \(bind: review.merchant_id), \(bind: review.rating), \(bind: review.body), \(bind: review.created_at))
            ON CONFLICT (order_id, listing_id) DO NOTHING RETURNING id
            """
        ).first() != nil
    }

    /// Sets the merchant's reply once; false when the review is not the merchant's or has a reply.
    public static func reply(id: String, merchantId: String, text: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE reviews SET reply = \(bind: text), replied_at = \(bind: now)
            WHERE id = \(bind: id) AND merchant_id = \(bind: merchantId) AND reply IS NULL RETURNING id
            """
        ).first() != nil
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> ReviewRow? {
        try await db.select().column("*").from("reviews").where("id", .equal, id).first(decoding: ReviewRow.self)
    }

    public static func list(listingId: String, limit: Int, on db: any SQLDatabase) async throws -> [ReviewRow] {
        try await db.select().column("*").from("reviews").where("listing_id", .equal, listingId)
            .orderBy("created_at", .descending).limit(limit).all(decoding: ReviewRow.self)
    }

    public static func list(buyerId: String, on db: any SQLDatabase) async throws -> [ReviewRow] {
        try await db.select().column("*").from("reviews").where("buyer_id", .equal, buyerId)
            .orderBy("created_at", .descending).all(decoding: ReviewRow.self)
    }

    /// Reviews of a merchant since `since` (bursts).
    public static func count(merchantId: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM reviews WHERE merchant_id = \(bind: merchantId) AND created_at >= \(bind: since)
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public static func insertSignals(_ signals: [ReviewSignalRow], on db: any SQLDatabase) async throws {
        for signal in signals { try await db.insert(into: "review_signals").model(signal).run() }
    }

    /// How many devices the buyer has signed in from that accounts of the merchant also used.
    public static func sharedDevices(buyerId: String, merchantId: String, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM known_devices b
            WHERE b.account_id = \(bind: buyerId) AND b.device_index IN (
              SELECT d.device_index FROM known_devices d JOIN accounts a ON a.id = d.account_id
              WHERE a.merchant_id = \(bind: merchantId))
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Accounts of a merchant (owner and staff), whose own purchases may share payment tokens with buyers.
    public static func merchantAccounts(merchantId: String, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw("SELECT id FROM accounts WHERE merchant_id = \(bind: merchantId)").all().map {
            try $0.decode(column: "id", as: String.self)
        }
    }
}
