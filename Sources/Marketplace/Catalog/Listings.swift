import Domain
public import Foundation
import SQLKit
import Storage

/// What a merchant submits for a listing; the price is in fen and is the only price checkout will use.
public struct ListingInput: Sendable {
    public let title: String
    public let description: String
    public let imageRefs: [String]
    public let priceFen: Int64
    public let stock: Int64
    public let category: String

    public init(
        title: String, description: String, imageRefs: [String], priceFen: Int64, stock: Int64, category: String
    ) {
        self.title = title
        self.description = description
        self.imageRefs = imageRefs
        self.priceFen = priceFen
        self.stock = stock
        self.category = category
    }
}

/// A listing as its merchant and reviewers see it, with its screening outcome.
public struct ListingView: Sendable, Codable, Equatable {
    public let id: String
    public let merchantId: String
    public let title: String
    public let description: String
    public let imageRefs: [String]
    public let priceFen: Int64
    public let stock: Int64
    public let category: String
    /// published, review (held for a person), rejected or withdrawn.
    public let status: String
    public let reasons: [String]
}

/// A published listing as anyone sees it.
public struct ProductView: Sendable, Codable, Equatable {
    public let id: String
    public let merchantId: String
    public let title: String
    public let description: String
    public let imageRefs: [String]
    public let priceFen: Int64
    public let inStock: Bool
    public let category: String
}

/// Listings (clause 2.4.1): merchants create, edit and withdraw them; every version is screened before it is
/// published; staff decide what screening held; anyone browses what is published.
public enum Listings {
    public static func create(_ input: ListingInput, caller: Caller, platform: Platform) async throws -> ListingView {
        try caller.require(.manageListings)
        let merchantId = try merchant(of: caller)
        try await RealName.requireVerified(accountId: merchantId, on: platform.db.sql)
        let valid = try validate(input)
        let verdict = ListingScreening.screen(valid.title, valid.description)
        let (title, description) = kept(valid, after: verdict)
        let row = ListingRow(
            id: Identifiers.make(), merchant_id: merchantId, title: title, description: description,
            image_refs: try json(valid.imageRefs), price_fen: valid.priceFen, stock: valid.stock,
            category: valid.category, status: status(after: verdict), screening_reasons: try json(verdict.reasons),
            now: platform.now)
        try await save(row, event: "listing.create", caller: caller, platform: platform)
        return try view(row)
    }

    /// Edits a listing: the new text is screened again, so an edit can unpublish it.
    public static func update(id: String, _ input: ListingInput, caller: Caller, platform: Platform) async throws
        -> ListingView
    {
        try caller.require(.manageListings)
        let merchantId = try merchant(of: caller)
        guard var row = try await ListingStore.find(id: id, merchantId: merchantId, on: platform.db.sql),
            row.status != "withdrawn"
        else { throw Problem.notFound("The listing") }
        let valid = try validate(input)
        let verdict = ListingScreening.screen(valid.title, valid.description)
        (row.title, row.description) = kept(valid, after: verdict)
        row.image_refs = try json(valid.imageRefs)
        row.price_fen = valid.priceFen
        row.stock = valid.stock
        row.category = valid.category
        row.status = status(after: verdict)
        row.screening_reasons = try json(verdict.reasons)
        row.updated_at = platform.now
        row.reviewed_by = nil
        try await save(row, event: "listing.update", caller: caller, platform: platform)
        return try view(row)
    }

    /// What is stored of the text: as written, unless screening rejected it, in which case what it refused to keep
    /// (card, identity and phone numbers, e-mail addresses) is masked: a rejected listing is never shown, and the
    /// merchant keeps their original.
    static func kept(_ input: ListingInput, after verdict: ListingScreening.Verdict) -> (String, String) {
        guard verdict.outcome == .reject else { return (input.title, input.description) }
        return (ListingScreening.redacted(input.title), ListingScreening.redacted(input.description))
    }

    public static func withdraw(id: String, caller: Caller, platform: Platform) async throws {
        try caller.require(.manageListings)
        guard var row = try await ListingStore.find(id: id, merchantId: try merchant(of: caller), on: platform.db.sql),
            row.status != "withdrawn"
        else { throw Problem.notFound("The listing") }
        row.status = "withdrawn"
        row.updated_at = platform.now
        try await save(row, event: "listing.withdraw", keepingStock: true, caller: caller, platform: platform)
    }

    public static func mine(caller: Caller, platform: Platform) async throws -> [ListingView] {
        try caller.require(.manageListings)
        return try await ListingStore.list(merchantId: try merchant(of: caller), on: platform.db.sql).map(view)
    }

    /// Published listings for anyone, newest first, a page at a time, as the API's JSON (`{"products": […]}`).
    public static func browse(query: String?, category: String?, limit: Int, offset: Int, platform: Platform)
        async throws -> Data
    {
        guard (1...100).contains(limit), (0...10_000).contains(offset) else {
            throw Problem.invalid("limit", "limit is 1 to 100 and offset 0 to 10,000.")
        }
        let words = try query.map { try TextInput.singleLine(maximumLength: 64, allowsEmpty: true).validate($0) }
        let key = BrowseCache.Key(query: words, category: category, limit: limit, offset: offset)
        if let page = platform.browseCache.page(key) { return page }
        let products = try await ListingStore.browse(
            query: words, category: category, limit: limit, offset: offset, now: platform.now, on: platform.db.sql
        ).map(product)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let page = try encoder.encode(["products": products])
        platform.browseCache.store(page, for: key)
        return page
    }

    public static func product(id: String, platform: Platform) async throws -> ProductView {
        guard let row = try await ListingStore.find(id: id, on: platform.db.sql), row.status == "published" else {
            throw Problem.notFound("The product")
        }
        return try product(row)
    }

    public static func reviewQueue(caller: Caller, platform: Platform) async throws -> [ListingView] {
        try caller.require(.reviewListings)
        return try await ListingStore.list(status: "review", limit: 200, on: platform.db.sql).map(view)
    }

    /// A reviewer publishes or rejects a held listing, with the reason the merchant will read.
    public static func review(id: String, approve: Bool, reason: String, caller: Caller, platform: Platform)
        async throws -> ListingView
    {
        try caller.require(.reviewListings)
        let note = try TextInput.singleLine(maximumLength: 500).validate(reason)
        guard var row = try await ListingStore.find(id: id, on: platform.db.sql), row.status == "review" else {
            throw Problem.notFound("A listing awaiting review")
        }
        row.status = approve ? "published" : "rejected"
        row.screening_reasons = try json([note])
        row.reviewed_by = caller.accountId
        row.updated_at = platform.now
        try await save(row, event: "listing.review", keepingStock: true, caller: caller, platform: platform)
        return try view(row)
    }

    // MARK: - Helpers

    private static func merchant(of caller: Caller) throws -> String {
        guard let merchantId = caller.merchantId else { throw Problem.forbidden("This is for merchants.") }
        return merchantId
    }

    private static func status(after verdict: ListingScreening.Verdict) -> String {
        switch verdict.outcome {
        case .publish: "published"
        case .review: "review"
        case .reject: "rejected"
        }
    }

    private static func save(
        _ row: ListingRow, event: String, keepingStock: Bool = false, caller: Caller, platform: Platform
    ) async throws {
        try await platform.db.transaction { db in
            try await ListingStore.save(row, keepingStock: keepingStock, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    event, actor: caller.accountId, object: "listing:\(row.id)",
                    details: ["status": row.status, "merchant": row.merchant_id]),
                platform: platform, on: db)
            // A listing that screening or a reviewer rejects is a violation of the listing rules (2.4.1, 2.5).
            if row.status == "rejected" {
                try await Violations.record(
                    party: row.merchant_id, ruleRef: "platform-rules/listings.prohibited-content", source: .screening,
                    sourceRef: "listing:\(row.id)", evidence: "Listing rejected (\(event)): \(row.screening_reasons)",
                    reported: false, recordedBy: event == "listing.review" ? caller.accountId : nil,
                    platform: platform, on: db)
            }
        }
        platform.browseCache.invalidate()
    }

    private static func validate(_ input: ListingInput) throws -> ListingInput {
        func text(_ value: String, _ field: String, _ rule: TextInput) throws -> String {
            do { return try rule.validate(value) } catch {
                throw Problem.invalid(field, "\(field): \(error.message)")
            }
        }
        let title = try text(input.title, "title", .singleLine(maximumLength: 120))
        let description = try text(input.description, "description", .multiline(maximumLength: 5000))
        let category = try text(input.category, "category", .singleLine(maximumLength: 40))
        guard input.imageRefs.count <= 10,
            input.imageRefs.allSatisfy({ ref in
                (1...300).contains(ref.count) && ref.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 }
            })
        else {
            throw Problem.invalid("imageRefs", "Up to 10 image references, each 1 to 300 visible ASCII characters.")
        }
        guard (1...10_000_000_000).contains(input.priceFen) else {
            throw Problem.invalid("priceFen", "The price is 1 fen to 100,000,000 yuan, in fen.")
        }
        guard (0...1_000_000).contains(input.stock) else {
            throw Problem.invalid("stock", "Stock is 0 to 1,000,000 units.")
        }
        return ListingInput(
            title: title, description: description, imageRefs: input.imageRefs, priceFen: input.priceFen,
            stock: input.stock, category: category)
    }

    private static func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }

    private static func strings(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    private static func view(_ row: ListingRow) throws -> ListingView {
        ListingView(
            id: row.id, merchantId: row.merchant_id, title: row.title, description: row.description,
            imageRefs: strings(row.image_refs), priceFen: row.price_fen, stock: row.stock, category: row.category,
            status: row.status, reasons: strings(row.screening_reasons))
    }

    private static func product(_ row: ListingRow) throws -> ProductView {
        ProductView(
            id: row.id, merchantId: row.merchant_id, title: row.title, description: row.description,
            imageRefs: strings(row.image_refs), priceFen: row.price_fen, inStock: row.stock > 0,
            category: row.category)
    }
}
