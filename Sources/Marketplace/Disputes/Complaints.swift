import Domain
import Foundation
import Privacy
import SQLKit
import Storage

public struct ComplaintView: Sendable, Codable, Equatable {
    public let id: String
    public let orderId: String
    public let consumerId: String
    public let reason: String
    /// The merchant's account of it (for the merchant and the staff who decide).
    public let text: String?
    public let status: String
    public let note: String?
    public let createdAt: Int64
}

struct ComplaintRow: Codable, Sendable {
    let id: String
    let merchant_id: String
    let author_id: String
    let consumer_id: String
    let order_id: String
    let reason: String
    let text_cipher: Data
    var status: String
    var handled_by: String?
    var note: String?
    let created_at: Int64
    var decided_at: Int64?
}

/// A merchant's complaint about a consumer it sold to (clause 2.4.4: abusive behaviour, a fraudulent claim).
/// Arbitrators uphold or dismiss it; an upheld complaint counts against the consumer in the risk engine.
public enum Complaints {
    static let reasons = ["abusive_behaviour", "fraudulent_claim"]

    public static func file(orderId: String, reason: String, text rawText: String, caller: Caller, platform: Platform)
        async throws -> ComplaintView
    {
        try caller.require(.fulfilOrders)
        guard reasons.contains(reason) else { throw Problem.invalid("reason", "One of \(reasons).") }
        let text = try TextInput.multiline(maximumLength: 2_000).validate(rawText, field: "text")
        if ListingScreening.screen(text).outcome == .reject {
            throw Problem.invalid("text", "No card numbers or contact details in a complaint.")
        }
        let order = try await Orders.merchantOrder(orderId, caller: caller, platform: platform)
        let id = Identifiers.make()
        let key = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: platform.db.sql)
        let row = ComplaintRow(
            id: id, merchant_id: order.merchant_id, author_id: caller.accountId, consumer_id: order.buyer_id,
            order_id: order.id, reason: reason,
            text_cipher: try FieldCipher.seal(
                text, key: key, context: FieldContext(table: "complaints", column: "text_cipher", row: id)),
            status: "open", created_at: platform.now)
        try await platform.db.transaction { db in
            try await db.insert(into: "complaints").model(row).run()
            try await AuditTrail.record(
                AuditEvent(
                    "complaint.file", actor: caller.accountId, subject: order.buyer_id, object: "complaint:\(id)",
                    details: ["reason": reason, "order": order.id]), platform: platform, on: db)
        }
        return try await view(row, platform: platform)
    }

    public static func queue(caller: Caller, platform: Platform) async throws -> [ComplaintView] {
        try caller.require(.arbitrate)
        var views: [ComplaintView] = []
        for row in try await platform.db.sql.select().column("*").from("complaints").where("status", .equal, "open")
            .orderBy("created_at").limit(200).all(decoding: ComplaintRow.self)
        {
            views.append(try await view(row, platform: platform))
        }
        return views
    }

    public static func decide(id: String, uphold: Bool, note rawNote: String, caller: Caller, platform: Platform)
        async throws -> ComplaintView
    {
        try caller.require(.arbitrate)
        let note = try StaffNotes.validate(rawNote)
        let now = platform.now
        try await platform.db.transaction { db in
            guard
                let open = try await db.select().column("*").from("complaints").where("id", .equal, id)
                    .first(decoding: ComplaintRow.self)
            else { throw Problem.notFound("The complaint") }
            let sealed = try await StaffNotes.seal(
                note, about: open.consumer_id, table: "complaints", row: id, platform: platform, on: db)
            guard
                let row = try await db.raw(
                    """
                    UPDATE complaints SET status = \(bind: uphold ? "upheld" : "dismissed"),
                      handled_by = \(bind: caller.accountId), note = \(bind: sealed), decided_at = \(bind: now)
                    WHERE id = \(bind: id) AND status = 'open' RETURNING consumer_id
                    """
                ).first()
            else { throw Problem.conflict("The complaint is not open (or does not exist).") }
            try await AuditTrail.record(
                AuditEvent(
                    "complaint.decide", actor: caller.accountId,
                    subject: try row.decode(column: "consumer_id", as: String.self), object: "complaint:\(id)",
                    details: ["upheld": String(uphold)]), platform: platform, on: db)
        }
        guard
            let row = try await platform.db.sql.select().column("*").from("complaints").where("id", .equal, id)
                .first(decoding: ComplaintRow.self)
        else { throw Problem.notFound("The complaint") }
        return try await view(row, platform: platform)
    }

    private static func view(_ row: ComplaintRow, platform: Platform) async throws -> ComplaintView {
        let key = try? await SubjectKeys.key(subject: row.author_id, platform: platform, on: platform.db.sql)
        let text = key.flatMap {
            try? FieldCipher.open(
                row.text_cipher, key: $0, context: FieldContext(table: "complaints", column: "text_cipher", row: row.id)
            )
        }
        return ComplaintView(
            id: row.id, orderId: row.order_id, consumerId: row.consumer_id, reason: row.reason, text: text,
            status: row.status,
            note: await StaffNotes.open(
                row.note, about: row.consumer_id, table: "complaints", row: row.id, platform: platform),
            createdAt: row.created_at)
    }
}
