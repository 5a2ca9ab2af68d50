import Domain
import Foundation
import SQLKit
import Storage

public struct ReviewView: Sendable, Codable, Equatable {
    public let id: String
    public let listingId: String
    public let rating: Int64
    /// Empty once its author's account is erased.
    public let text: String
    public let reply: String?
    public let createdAt: Int64
    public let repliedAt: Int64?
}

/// Reviews (clause 2.4.1: no false information): only the buyer of a completed order line, once, within the
/// window; screened like listings; the merchant may reply but not delete. Signs of fake reviews are recorded.
public enum Reviews {
    /// Reviews from one merchant within an hour beyond which the next is a burst signal.
    static let burstPerHour = 5

    public static func create(
        orderId: String, listingId: String, rating: Int64, text rawText: String, caller: Caller, platform: Platform
    ) async throws -> ReviewView {
        guard (1...5).contains(rating) else { throw Problem.invalid("rating", "The rating is 1 to 5 stars.") }
        let text = try TextInput.multiline(maximumLength: 1_000).validate(rawText, field: "text")
        let verdict = ListingScreening.screen(text)
        if verdict.outcome == .reject {
            throw Problem(
                type: "review-refused", status: 422, title: "Review refused",
                detail: verdict.reasons.joined(separator: " "), field: "text")
        }
        let order = try await Orders.buyerOrder(orderId, caller: caller, platform: platform)
        let db = platform.db.sql
        guard order.status == OrderStatus.completed.rawValue, let completed = order.completed_at else {
            throw Problem.illegalTransition("The order is \(order.status); only a completed order can be reviewed.")
        }
        guard platform.now <= completed + platform.settings.reviewWindowDays * 86_400_000 else {
            throw Problem.conflict("Reviews are open for \(platform.settings.reviewWindowDays) days after completion.")
        }
        guard try await OrderStore.lines(orderIds: [order.id], on: db).contains(where: { $0.listing_id == listingId })
        else { throw Problem.invalid("listingId", "This order did not buy that listing.") }
        let review = ReviewRow(
            id: Identifiers.make(), orderId: order.id, listingId: listingId, buyerId: caller.accountId,
            merchantId: order.merchant_id, rating: rating, body: text, now: platform.now)
        var signals = try await fakeReviewSignals(review, platform: platform)
        if verdict.outcome == .review {
            signals.append(
                ReviewSignalRow(
                    reviewId: review.id, merchantId: review.merchant_id, kind: "screening",
                    detail: "\(verdict.reasons.count) screening finding(s)", now: platform.now))
        }
        try await platform.db.transaction { [signals] db in
            guard try await ReviewStore.insert(review, on: db) else {
                throw Problem.conflict("This order line has a review already; reviews cannot be rewritten.")
            }
            try await ReviewStore.insertSignals(signals, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "review.create", actor: caller.accountId, subject: caller.accountId, object: "review:\(review.id)",
                    details: ["order": order.id, "rating": String(rating), "signals": String(signals.count)]),
                platform: platform, on: db)
        }
        return view(review)
    }

    /// The merchant replies, once; a review cannot be deleted by the merchant.
    public static func reply(reviewId: String, text rawText: String, caller: Caller, platform: Platform) async throws
        -> ReviewView
    {
        try caller.require(.manageListings)
        guard let merchantId = caller.merchantId else { throw Problem.forbidden("This is for merchants.") }
        let text = try TextInput.multiline(maximumLength: 1_000).validate(rawText, field: "text")
        let verdict = ListingScreening.screen(text)
        if verdict.outcome == .reject {
            throw Problem(
                type: "review-refused", status: 422, title: "Reply refused",
                detail: verdict.reasons.joined(separator: " "), field: "text")
        }
        let now = platform.now
        try await platform.db.transaction { db in
            guard try await ReviewStore.reply(id: reviewId, merchantId: merchantId, text: text, now: now, on: db) else {
                guard let review = try await ReviewStore.find(id: reviewId, on: db), review.merchant_id == merchantId
                else { throw Problem.notFound("The review") }
                throw Problem.conflict("The review has a reply already.")
            }
            try await AuditTrail.record(
                AuditEvent("review.reply", actor: caller.accountId, object: "review:\(reviewId)"),
                platform: platform, on: db)
        }
        guard let review = try await ReviewStore.find(id: reviewId, on: platform.db.sql) else {
            throw Problem.notFound("The review")
        }
        return view(review)
    }

    /// A published listing's reviews, for anyone.
    public static func forListing(_ listingId: String, platform: Platform) async throws -> [ReviewView] {
        try await ReviewStore.list(listingId: listingId, limit: 100, on: platform.db.sql).map(view)
    }

    /// Shared devices or payment tokens between the reviewer and the merchant's accounts; bursts of reviews.
    static func fakeReviewSignals(_ review: ReviewRow, platform: Platform) async throws -> [ReviewSignalRow] {
        let db = platform.db.sql
        var signals: [ReviewSignalRow] = []
        func signal(_ kind: String, _ detail: String) {
            signals.append(
                ReviewSignalRow(
                    reviewId: review.id, merchantId: review.merchant_id, kind: kind, detail: detail,
                    now: platform.now))
        }
        let devices = try await ReviewStore.sharedDevices(
            buyerId: review.buyer_id, merchantId: review.merchant_id, on: db)
        if devices > 0 { signal("shared_device", "\(devices) device(s) also used by the merchant's accounts") }
        let merchantTokens = try await PaymentStore.tokenIndexes(
            buyerIds: try await ReviewStore.merchantAccounts(merchantId: review.merchant_id, on: db), on: db)
        let buyerTokens = try await PaymentStore.tokenIndexes(buyerIds: [review.buyer_id], on: db)
        let shared = merchantTokens.intersection(buyerTokens).count
        if shared > 0 { signal("shared_payment_token", "\(shared) payment token(s) also used by the merchant") }
        let recent = try await ReviewStore.count(
            merchantId: review.merchant_id, since: platform.now - 3_600_000, on: db)
        if recent >= burstPerHour { signal("burst", "\(recent + 1) reviews of this merchant within an hour") }
        return signals
    }

    static func view(_ review: ReviewRow) -> ReviewView {
        ReviewView(
            id: review.id, listingId: review.listing_id, rating: review.rating, text: review.body, reply: review.reply,
            createdAt: review.created_at, repliedAt: review.replied_at)
    }
}
