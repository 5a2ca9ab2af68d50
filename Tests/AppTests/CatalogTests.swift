import Foundation
import Marketplace
import Storage
import Testing

/// Clause 2.4.1 (secure flow, no false information): listings are screened, reviewed and browsed.
@Suite("Catalog: listings, screening, review, browsing")
struct CatalogTests {
    static func listing(_ title: String, _ description: String = "手工制作，品质可靠。", price: Int = 1990) -> String {
        Client.jsonString([
            "title": title, "description": description, "imageRefs": ["img/listing-\(title.count).jpg"],
            "priceFen": price, "stock": 5, "category": "home",
        ])
    }

    @Test("2.4.1: screened listings publish, wait for review or are refused; anyone browses what is published")
    func lifecycle() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: a merchant owner with two-factor on
                let owner = try await client.newSession(kind: "merchant", login: "owner@catalog.example")
                _ = try await client.enrolTwoFactor(token: owner)
                let merchantId = try #require(
                    try await client.send(.get, "/api/v1/me", token: owner).json["merchantId"] as? String)
                // check: an unverified merchant cannot sell
                let unverified = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner, json: Self.listing("陶瓷茶杯"))
                #expect(unverified.status == 403 && unverified.problemType == "verification-required")
                var verified = IdentityVerificationRow(
                    account_id: merchantId, subject_kind: "merchant", status: "verified", submitted_at: 0)
                verified.decided_by = "provider"
                try await IdentityVerificationStore.save(verified, on: env.platform.db.sql)
                // act: three listings
                let clean = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner, json: Self.listing("陶瓷茶杯"))
                let claim = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner, json: Self.listing("全网最好的茶杯"))
                let contact = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner,
                    json: Self.listing("玻璃杯", "详询 13800138000"))
                // check: outcomes and reasons
                #expect(clean.status == 201 && clean.json["status"] as? String == "published", "\(clean.body)")
                #expect(claim.json["status"] as? String == "review", "\(claim.body)")
                #expect(contact.json["status"] as? String == "rejected", "\(contact.status) \(contact.body)")
                #expect((contact.json["reasons"] as? [String])?.isEmpty == false)
                // the rejected text is kept with the phone number masked (it is never shown; no one's number stays)
                let stored = try await env.platform.db.sql.raw(
                    "SELECT description FROM listings WHERE status = 'rejected'"
                ).first()?.decode(column: "description", as: String.self)
                #expect(stored != nil && stored?.contains("13800138000") == false, "\(stored ?? "")")
                let badPrice = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner, json: Self.listing("杯子", price: 0))
                #expect(badPrice.status == 422)
                // check: anonymous browsing sees only what is published, searchable and paginated
                let page = try await client.send(.get, "/api/v1/products?limit=10")
                #expect((page.json["products"] as? [[String: Any]])?.map { $0["title"] as? String } == ["陶瓷茶杯"])
                let found = try await client.send(.get, "/api/v1/products?q=%E8%8C%B6%E6%9D%AF")  // 茶杯
                #expect((found.json["products"] as? [Any])?.count == 1)
                // a search longer than its limit is the caller's mistake: 422, never a 500
                let long = try await client.send(.get, "/api/v1/products?q=" + String(repeating: "0", count: 65))
                #expect(long.status == 422, "\(long.status) \(long.body)")
                let wildcard = try await client.send(.get, "/api/v1/products?q=%25")  // a literal %
                #expect((wildcard.json["products"] as? [Any])?.count == 0)
                #expect(try await client.send(.get, "/api/v1/products?limit=1000").status == 422)
                // act: a reviewer publishes the held one
                let created = try await TeamAccounts.addPlatformStaff(
                    role: .support, login: "listings@platform.example", displayName: "审核员", password: nil,
                    platform: env.platform)
                let reviewer = try await RouteAuthorizationTests.signInWithTwoFactor(
                    client: client, login: "listings@platform.example", password: created.oneTimePassword)
                let queue = try await client.send(.get, "/api/v1/staff/listing-reviews", token: reviewer)
                let heldId = try #require((queue.json["listings"] as? [[String: Any]])?.first?["id"] as? String)
                let decided = try await client.send(
                    .post, "/api/v1/staff/listing-reviews/\(heldId)/decision", token: reviewer,
                    json: #"{"approve":true,"reason":"The claim is a product name, not a superlative."}"#)
                #expect(decided.json["status"] as? String == "published")
                #expect(try await client.send(.get, "/api/v1/products/\(heldId)").status == 200)
                // check: another merchant cannot touch it; its owner withdraws it
                let stranger = try await client.newSession(kind: "merchant", login: "other@catalog.example")
                _ = try await client.enrolTwoFactor(token: stranger)
                let foreign = try await client.send(
                    .delete, "/api/v1/merchant/products/\(heldId)", token: stranger)
                #expect(foreign.status == 404)
                #expect(
                    try await client.send(.delete, "/api/v1/merchant/products/\(heldId)", token: owner).status == 204)
                #expect(try await client.send(.get, "/api/v1/products/\(heldId)").status == 404)
                #expect(try await env.auditCount("listing.create") == 3)
                #expect(try await env.auditCount("listing.review") == 1)
            }
        }
    }

    @Test("2.4.1: the cached catalog shows a sell-out and a new listing at once")
    func cachedCatalogFollowsChanges() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: one unit left, and the catalog page cached
                let (listing, owner) = try await OrderTests.merchantListingAndOwner(
                    client, env, login: "cache@shop.example", title: "绿茶礼盒", price: 1_000, stock: 1)
                func page() async throws -> [[String: Any]] {
                    try #require(try await client.send(.get, "/api/v1/products").json["products"] as? [[String: Any]])
                }
                #expect(try await page().first { $0["id"] as? String == listing }?["inStock"] as? Bool == true)

                // act: the last unit sells; a second listing is created
                let buyer = try await client.newSession(login: "13800138901")
                _ = try await OrderTests.add(client, buyer, listing, 1)
                #expect(try await OrderTests.checkout(client, buyer).status == 201)
                let second = try await client.send(
                    .post, "/api/v1/merchant/products", token: owner,
                    json: Client.jsonString([
                        "title": "新品", "description": "好物。", "imageRefs": [], "priceFen": 500, "stock": 3,
                        "category": "home",
                    ]))

                // check: both show without waiting for the cache to age
                let products = try await page()
                #expect(products.first { $0["id"] as? String == listing }?["inStock"] as? Bool == false)
                #expect(products.contains { $0["id"] as? String == second.json["id"] as? String })
            }
        }
    }

    @Test(
        "2.4.1: a withdrawal or review written from an earlier read keeps the stock checkouts took since",
        arguments: Backend.available)
    func staleSaveKeepsStock(backend: Backend) async throws {
        try await TestDatabase.with(backend) { stack in
            // setup: ten in stock; a reviewer reads the listing, then three sell
            let db = stack.sql
            var row = ListingRow(
                id: "listing-stock", merchant_id: "merchant-1", title: "茶", description: "好茶。", image_refs: "[]",
                price_fen: 1_000, stock: 10, category: "food", status: "review", screening_reasons: "[]", now: 1)
            try await ListingStore.save(row, on: db)
            try await db.raw("UPDATE listings SET stock = stock - 3 WHERE id = 'listing-stock'").run()

            // act: the review is written from the row read before the sale, twice at once
            row.status = "published"
            row.reviewed_by = "staff-1"
            let reviewed = row
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await ListingStore.save(reviewed, keepingStock: true, on: db) }
                }
                try await group.waitForAll()
            }

            // check: the review landed, the sale was not undone; a merchant's own edit still sets the stock
            let stored = try #require(try await ListingStore.find(id: "listing-stock", on: db))
            #expect(stored.status == "published" && stored.reviewed_by == "staff-1")
            #expect(stored.stock == 7)
            row.stock = 20
            row.reviewed_by = nil
            try await ListingStore.save(row, on: db)
            let edited = try #require(try await ListingStore.find(id: "listing-stock", on: db))
            #expect(edited.stock == 20 && edited.reviewed_by == nil)
        }
    }
}
