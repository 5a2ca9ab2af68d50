import Domain
import Foundation
import HTTPTypes
import Marketplace
import Storage
import Testing

/// Clause 2.4.1: cart, checkout and orders; server prices, atomic stock, the state machine, timers.
@Suite("Orders: cart, checkout, stock, cancellation")
struct OrderTests {
    /// A verified merchant with a published listing; returns the listing id.
    static func merchantListing(
        _ client: Client, _ env: TestPlatform, login: String, title: String, price: Int, stock: Int
    ) async throws -> String {
        try await merchantListingAndOwner(client, env, login: login, title: title, price: price, stock: stock).listing
    }

    /// The listing id and the owner's session.
    static func merchantListingAndOwner(
        _ client: Client, _ env: TestPlatform, login: String, title: String, price: Int, stock: Int
    ) async throws -> (listing: String, owner: String) {
        let owner = try await client.newSession(kind: "merchant", login: login)
        _ = try await client.enrolTwoFactor(token: owner)
        let merchantId = try #require(
            try await client.send(.get, "/api/v1/me", token: owner).json["merchantId"] as? String)
        try await IdentityVerificationStore.save(
            IdentityVerificationRow(
                account_id: merchantId, subject_kind: "merchant", status: "verified", submitted_at: 0),
            on: env.platform.db.sql)
        let created = try await client.send(
            .post, "/api/v1/merchant/products", token: owner,
            json: Client.jsonString([
                "title": title, "description": "好物。", "imageRefs": [], "priceFen": price, "stock": stock,
                "category": "home",
            ]))
        return (try #require(created.json["id"] as? String, "\(created.body)"), owner)
    }

    static func add(_ client: Client, _ token: String, _ listingId: String, _ quantity: Int) async throws
        -> Client.Reply
    {
        try await client.send(
            .post, "/api/v1/cart/items", token: token,
            json: Client.jsonString(["listingId": listingId, "quantity": quantity]))
    }

    static func recipient(_ detail: String = "西湖区文三路 90 号 3 单元 501") -> String {
        #"{"recipient":{"name":"张小明","phone":"13912345678","address":{"province":"浙江省","city":"杭州市","district":"西湖区","detail":"\#(detail)"}}}"#
    }

    static func checkout(_ client: Client, _ token: String, key: String = UUID().uuidString, body: String? = nil)
        async throws -> Client.Reply
    {
        try await client.send(
            .post, "/api/v1/checkouts", token: token, json: body ?? recipient(), headers: ["Idempotency-Key": key])
    }

    static func stock(_ env: TestPlatform, _ listingId: String) async throws -> Int64? {
        try await ListingStore.find(id: listingId, on: env.platform.db.sql)?.stock
    }

    @Test("2.4.1: a cart across merchants checks out into one order each, at server prices, and cancels cleanly")
    func checkoutAndCancel() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup
                let tea = try await Self.merchantListing(
                    client, env, login: "tea@orders.example", title: "龙井", price: 16800, stock: 5)
                let cup = try await Self.merchantListing(
                    client, env, login: "cup@orders.example", title: "茶杯", price: 3900, stock: 5)
                let buyer = try await client.newSession(login: "13800138600")
                // check: the client cannot set a price
                let priced = try await client.send(
                    .post, "/api/v1/cart/items", token: buyer,
                    json: Client.jsonString(["listingId": tea, "quantity": 1, "priceFen": 1]))
                #expect(priced.status == 400 || priced.status == 422)
                // act
                #expect(try await Self.add(client, buyer, tea, 2).status == 200)
                #expect(try await Self.add(client, buyer, cup, 1).status == 200)
                let checkout = try await Self.checkout(client, buyer)
                // check: two orders, totals from the listings, stock taken, cart empty
                #expect(checkout.status == 201, "\(checkout.body)")
                #expect(checkout.json["totalFen"] as? Int == 2 * 16800 + 3900)
                let orders = try #require(checkout.json["orders"] as? [[String: Any]])
                #expect(orders.count == 2)
                #expect(Set(orders.compactMap { $0["status"] as? String }) == ["awaiting_payment"])
                #expect(try await Self.stock(env, tea) == 3)
                #expect(try await Self.stock(env, cup) == 4)
                let cart = try await client.send(.get, "/api/v1/cart", token: buyer)
                #expect((cart.json["items"] as? [Any])?.isEmpty == true)
                // check: strangers see nothing; the merchant sees its own order
                let teaOrder = try #require(
                    orders.first { ($0["lines"] as? [[String: Any]])?.first?["listingId"] as? String == tea })
                let orderId = try #require(teaOrder["id"] as? String)
                let stranger = try await client.newSession(login: "13800138601")
                #expect(try await client.send(.get, "/api/v1/orders/\(orderId)", token: stranger).status == 404)
                #expect(try await client.send(.post, "/api/v1/orders/\(orderId)/cancel", token: stranger).status == 404)
                // act: the buyer cancels; the stock returns; a second cancel names the state
                let cancelled = try await client.send(.post, "/api/v1/orders/\(orderId)/cancel", token: buyer)
                #expect(cancelled.json["status"] as? String == "cancelled")
                #expect(try await Self.stock(env, tea) == 5)
                let again = try await client.send(.post, "/api/v1/orders/\(orderId)/cancel", token: buyer)
                #expect(again.status == 409)
                #expect(again.body.contains("cancelled"))
                #expect(try await env.auditCount("order.create") == 2)
                #expect(try await env.auditCount("order.cancel") == 1)
                // act: the other order passes its payment window and the timer cancels it
                env.clock.advance(seconds: 16 * 60)
                #expect(try await Orders.cancelOverdue(platform: env.platform) == 1)
                #expect(try await Self.stock(env, cup) == 5)
            }
        }
    }

    @Test("2.4.1: with 10 in stock and 100 concurrent buyers, exactly 10 orders succeed", arguments: Backend.available)
    func noOversell(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: 100 buyers, each with one unit in the cart
                let listing = try await Self.merchantListing(
                    client, env, login: "scarce@orders.example", title: "限量茶饼", price: 9900, stock: 10)
                var buyers: [String] = []
                for n in 0..<100 {
                    let token = try await client.newSession(login: "1370000\(String(format: "%04d", n))")
                    #expect(try await Self.add(client, token, listing, 1).status == 200)
                    buyers.append(token)
                }
                // act: all check out at once
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for token in buyers {
                        group.addTask { try await Self.checkout(client, token).status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                // check
                #expect(statuses.filter { $0 == 201 }.count == 10)
                #expect(statuses.filter { $0 == 409 }.count == 90, "\(statuses.sorted())")
                #expect(try await Self.stock(env, listing) == 0)
                #expect(try await env.count("orders") == 10)
            }
        }
    }

    @Test("2.3.4: a checkout above the configured total needs a real-name verified consumer")
    func largeOrdersNeedVerification() async throws {
        let config = TestPlatform.config { $0.security.verifiedBuyerThresholdFen = 10_000 }
        try await TestPlatform.with(.sqlite, config: config) { env in
            try await env.withClient { client in
                let listing = try await Self.merchantListing(
                    client, env, login: "big@orders.example", title: "紫砂壶", price: 20_000, stock: 3)
                let buyer = try await client.newSession(login: "13800138610")
                _ = try await Self.add(client, buyer, listing, 1)
                let refused = try await Self.checkout(client, buyer)
                #expect(refused.status == 403 && refused.problemType == "verification-required")
                #expect(try await Self.stock(env, listing) == 3)
            }
        }
    }

    @Test(
        "2.4.1: carts holding the same listings in opposite orders check out together without a deadlock",
        arguments: Backend.available)
    func noDeadlock(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: two listings; half the buyers put A then B in the cart, the other half B then A
                let (first, owner) = try await Self.merchantListingAndOwner(
                    client, env, login: "pair@orders.example", title: "茶盘", price: 3000, stock: 100)
                let second = try #require(
                    try await client.send(
                        .post, "/api/v1/merchant/products", token: owner,
                        json: Client.jsonString([
                            "title": "茶巾", "description": "棉麻。", "imageRefs": ["demo/home.jpg"], "priceFen": 900,
                            "stock": 100, "category": "home",
                        ])
                    ).json["id"] as? String)
                var buyers: [String] = []
                for n in 0..<24 {
                    let token = try await client.newSession(login: "1371111\(String(format: "%04d", n))")
                    for listing in n % 2 == 0 ? [first, second] : [second, first] {
                        #expect(try await Self.add(client, token, listing, 1).status == 200)
                        env.clock.advance(seconds: 1)  // the cart keeps the order things were added in
                    }
                    buyers.append(token)
                }
                // act
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for token in buyers { group.addTask { try await Self.checkout(client, token).status } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                // check: every one went through
                #expect(statuses.allSatisfy { $0 == 201 }, "\(statuses.sorted())")
                #expect(try await Self.stock(env, first) == 76)
                #expect(try await Self.stock(env, second) == 76)
            }
        }
    }

    @Test("2.4.1: a retried checkout with the same Idempotency-Key orders once and replays the first response")
    func idempotentCheckout() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let listing = try await Self.merchantListing(
                    client, env, login: "idem@orders.example", title: "白茶", price: 5000, stock: 9)
                let buyer = try await client.newSession(login: "13800138620")
                _ = try await Self.add(client, buyer, listing, 1)
                // check: no key, no checkout
                let keyless = try await client.send(.post, "/api/v1/checkouts", token: buyer, json: Self.recipient())
                #expect(keyless.status == 400 && keyless.problemType == "idempotency-key-required")
                // a card number is not a key: it would be stored as sent
                for card in ["4242424242424242", "order-4242-4242-4242-4242"] {
                    let carded = try await Self.checkout(client, buyer, key: card)
                    #expect(carded.status == 422 && carded.problemType == "card-number-refused", "\(carded.body)")
                }
                // while a UUID whose digit groups happen to pass the Luhn check is a key like any other (this
                // buyer's cart is empty: the checkout itself answers)
                let emptyCart = try await client.newSession(login: "13800138621")
                let lucky = try await Self.checkout(
                    client, emptyCart, key: "retry-1-42424242-4242-4242-4242-424242424242")
                #expect(lucky.status == 409, "\(lucky.body)")
                #expect(try await env.count("idempotency_keys") == 0)
                // act: the same key twice
                let first = try await Self.checkout(client, buyer, key: "k-1")
                let second = try await Self.checkout(client, buyer, key: "k-1")
                // check: one order, the same response, marked as a replay
                #expect(first.status == 201)
                #expect(second.status == 201 && second.body == first.body)
                #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(try await env.count("orders") == 1)
                // check: the same key with another body is refused
                let other = try await Self.checkout(client, buyer, key: "k-1", body: Self.recipient("另一个地址 1 号"))
                #expect(other.status == 422)
            }
        }
    }

    @Test(
        "2.4.1: a checkout cut off by a crash after its orders were saved is resumed by a retry, not repeated",
        arguments: Backend.available)
    func checkoutRecoveredAfterCrash(_ backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: a checkout whose orders were saved, then the process died before the response was stored
                let listing = try await Self.merchantListing(
                    client, env, login: "crash@orders.example", title: "岩茶", price: 5000, stock: 9)
                let buyer = try await client.newSession(login: "13800138640")
                _ = try await Self.add(client, buyer, listing, 2)
                let first = try await Self.checkout(client, buyer, key: "k-crash")
                #expect(first.status == 201)
                try await env.platform.db.sql.raw(
                    "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL"
                ).run()

                // act and check: at first the claim looks alive (409); once abandoned, a retry resumes it
                #expect(try await Self.checkout(client, buyer, key: "k-crash").status == 409)
                env.clock.advance(seconds: 31)
                let recovered = try await Self.checkout(client, buyer, key: "k-crash")
                #expect(recovered.status == 201, "\(recovered.body)")
                #expect(recovered.json["id"] as? String == first.json["id"] as? String)
                let ids = { (reply: Client.Reply) in
                    (reply.json["orders"] as? [[String: Any]])?.map { $0["id"] as? String }
                }
                #expect(ids(recovered) == ids(first))
                #expect(try await env.count("orders") == 1)
                #expect(try await env.count("checkouts") == 1)
                #expect(try await Self.stock(env, listing) == 7, "stock taken once")
                // from now on the recovered response is the one replayed
                let replay = try await Self.checkout(client, buyer, key: "k-crash")
                #expect(replay.body == recovered.body)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")

                // a crash before anything was saved: the abandoned claim is taken over and the checkout runs once
                _ = try await Self.add(client, buyer, listing, 1)
                try await env.platform.db.sql.raw(
                    """
                    INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, created_at)
                    SELECT account_id, 'k-early', fingerprint, \(bind: env.clock.nowMillis) FROM idempotency_keys
                    """
                ).run()
                env.clock.advance(seconds: 31)
                let fresh = try await Self.checkout(client, buyer, key: "k-early")
                #expect(fresh.status == 201, "\(fresh.body)")
                #expect(try await env.count("orders") == 2)
                #expect(try await env.count("checkouts") == 2)
            }
        }
    }

    @Test("2.4.1: a duplicate arriving while the first request runs gets 409")
    func concurrentDuplicate() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let (started, signal) = AsyncStream<Void>.makeStream()
            let (release, go) = AsyncStream<Void>.makeStream()
            // A task, not `async let`: Swift 6.3 can abort an `async let` whose child finishes first
            // ("freed pointer was not the last allocation", swiftlang/swift#87481).
            let first = Task {
                try await Idempotency.run(
                    key: "same", accountId: "a1", request: "POST /x", body: Data(), platform: env.platform
                ) { _ in
                    signal.yield()
                    for await _ in release { break }
                    return (201, Data("{}".utf8))
                }
            }
            for await _ in started { break }
            await #expect(throws: Problem.conflict("A request with this Idempotency-Key is still running.")) {
                _ = try await Idempotency.run(
                    key: "same", accountId: "a1", request: "POST /x", body: Data(), platform: env.platform
                ) { _ in (201, Data()) }
            }
            go.yield()
            let firstResult = try await first.value
            #expect(firstResult.status == 201)
        }
    }

    @Test("2.3.2: merchants see the recipient masked; the waybill shows the address until 15 days after completion")
    func waybill() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: a paid order (the payment provider's callback stands here as a state change)
                let (listing, owner) = try await Self.merchantListingAndOwner(
                    client, env, login: "ship@orders.example", title: "绿茶", price: 3000, stock: 5)
                let buyer = try await client.newSession(login: "13800138630")
                _ = try await Self.add(client, buyer, listing, 1)
                let checkout = try await Self.checkout(client, buyer)
                let orderId = try #require((checkout.json["orders"] as? [[String: Any]])?.first?["id"] as? String)
                #expect(
                    try await OrderStore.transition(
                        id: orderId, from: "awaiting_payment", to: "awaiting_shipment", now: env.clock.nowMillis,
                        on: env.platform.db.sql))
                // check: everyday responses mask the recipient, even for the buyer; the buyer's export has it in full
                let mine = try await client.send(.get, "/api/v1/orders/\(orderId)", token: buyer)
                #expect((mine.json["recipient"] as? [String: Any])?["phone"] as? String == "139****5678")
                let exported = try await client.send(.get, "/api/v1/me/export", token: buyer)
                let exportedOrder = (exported.json["orders"] as? [[String: Any]])?.first
                #expect((exportedOrder?["recipient"] as? [String: Any])?["phone"] as? String == "13912345678")
                let listed = try await client.send(.get, "/api/v1/merchant/orders", token: owner)
                let seen = try #require(
                    ((listed.json["orders"] as? [[String: Any]])?.first?["recipient"]) as? [String: Any])
                #expect(seen["phone"] as? String == "139****5678")
                #expect(!listed.body.contains("文三路"))
                // act: the waybill
                let waybill = try await client.send(.post, "/api/v1/merchant/orders/\(orderId)/waybill", token: owner)
                #expect(waybill.status == 200, "\(waybill.body)")
                #expect(waybill.body.contains("文三路"))
                #expect(waybill.json["recipientPhone"] as? String == "139****5678")
                #expect(try await env.auditCount("privacy.reveal") == 1)
                // check: it keeps working after completion, and stops 15 days later
                for (from, to) in [("awaiting_shipment", "shipped"), ("shipped", "completed")] {
                    #expect(
                        try await OrderStore.transition(
                            id: orderId, from: from, to: to, now: env.clock.nowMillis, on: env.platform.db.sql))
                }
                #expect(
                    try await client.send(.post, "/api/v1/merchant/orders/\(orderId)/waybill", token: owner).status
                        == 200)
                let me = try await client.send(.get, "/api/v1/me", token: owner)
                let staff = Caller(
                    accountId: try #require(me.json["id"] as? String), role: .owner,
                    merchantId: me.json["merchantId"] as? String, sessionId: "s", twoFactorVerified: true,
                    twoFactorEnrolled: true, mustChangePassword: false)
                env.clock.advance(seconds: 15 * 86_400 + 1)
                await #expect(throws: Problem.self) {
                    _ = try await Orders.waybill(orderId: orderId, caller: staff, platform: env.platform)
                }
            }
        }
    }
}
