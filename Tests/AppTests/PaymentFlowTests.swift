import Domain
import Foundation
import HTTPTypes
import Marketplace
import Providers
import SQLKit
import Storage
import Testing

/// Clauses 2.4.1, 2.4.2 and 2.6: the whole guaranteed trade over real HTTP, with the payment institution (the
/// sandbox) as a separate process, and the ledger balanced at every step.
@Suite("Payments, escrow, settlement and reviews, end to end")
struct PaymentFlowTests {
    @Test(
        "2.4.1, 2.4.2: browse, cart, checkout, hosted payment, callback, ship, confirm, settlement, payout, review",
        arguments: Backend.available)
    func endToEnd(backend: Backend) async throws {
        try await PaymentStack.with(backend, separateProcess: true, duplicateRate: 1) { stack in
            let client = stack.client
            let env = stack.env
            // setup: two verified merchants with published listings
            let (tea, teaOwner) = try await OrderTests.merchantListingAndOwner(
                client, env, login: "tea@flow.example", title: "龙井茶", price: 16_800, stock: 5)
            let cup = try await OrderTests.merchantListing(
                client, env, login: "cup@flow.example", title: "白瓷茶杯", price: 3_900, stock: 5)
            try await stack.expectLedgerBalanced("setup")

            // act: browse without signing in, then cart and checkout
            let browse = try await client.send(
                .get, "/api/v1/products?q=龙井".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)
            #expect(browse.status == 200)
            #expect(browse.body.contains(tea))
            let buyer = try await client.newSession(login: "13800138801")
            #expect(try await OrderTests.add(client, buyer, tea, 2).status == 200)
            #expect(try await OrderTests.add(client, buyer, cup, 1).status == 200)
            let checkout = try await stack.checkout(buyer)
            let checkoutId = try #require(checkout["id"] as? String)
            let orders = try #require(checkout["orders"] as? [[String: Any]])
            #expect(orders.count == 2)
            let payment = try #require(checkout["payment"] as? [String: Any], "\(checkout)")
            let payURL = try #require(payment["payURL"] as? String)
            #expect(payURL.hasPrefix(stack.sandboxURL + "/pay/"), "the consumer pays on the institution's page")
            #expect(payment["amountFen"] as? Int == 16_800 * 2 + 3_900)
            try await stack.expectLedgerBalanced("checkout")

            // act: a declined card changes nothing; the challenge card pays after its code
            let declined = try await stack.postForm(
                payURL, ["card": PaymentSandbox.decliningCard, "expiry": "12/30", "cvc": "123"])
            #expect(declined.contains("declined"))
            let paid = try await stack.payOnHostedPage(payURL, card: PaymentSandbox.challengeCard)
            #expect(paid.contains("Payment complete"))
            let settled = try await stack.waitForPayment(checkoutId, token: buyer)

            // check: the platform learned only the brand and the last four digits (2.4.2)
            #expect(settled["cardBrand"] as? String == "visa")
            #expect(settled["cardLast4"] as? String == "3220")
            let stored = try #require(try await PaymentStore.find(checkoutId: checkoutId, on: env.platform.db.sql))
            #expect(stored.token_index != nil && stored.token_index?.hasPrefix("tok_") == false)
            // the sandbox delivers every callback twice here: each event applied once (the decline, then the
            // capture), the decline recorded as a failed attempt that left the payment open
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await stack.count("payment_events") == 2)
            #expect(try await env.auditCount("payment.failed") == 1)
            #expect(try await env.auditCount("order.pay") == 2)
            try await stack.expectLedgerBalanced("payment")

            // act: the tea merchant ships; the buyer confirms receipt (an Idempotency-Key retry has one effect)
            let teaOrder = try #require(
                orders.first { ($0["lines"] as? [[String: Any]])?.first?["listingId"] as? String == tea }?["id"]
                    as? String)
            let shipped = try await client.send(
                .post, "/api/v1/merchant/orders/\(teaOrder)/ship", token: teaOwner,
                json: #"{"carrier":"顺丰速运","trackingNumber":"SF1234567890"}"#)
            #expect(shipped.status == 200, "\(shipped.body)")
            #expect(shipped.json["status"] as? String == "shipped")
            try await stack.expectLedgerBalanced("shipment")
            let key = UUID().uuidString
            let confirmed = try await client.send(
                .post, "/api/v1/orders/\(teaOrder)/confirm-receipt", token: buyer, headers: ["Idempotency-Key": key])
            #expect(confirmed.status == 200, "\(confirmed.body)")
            #expect(confirmed.json["status"] as? String == "completed")
            let retried = try await client.send(
                .post, "/api/v1/orders/\(teaOrder)/confirm-receipt", token: buyer, headers: ["Idempotency-Key": key])
            #expect(retried.status == 200)
            #expect(retried.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await env.auditCount("order.confirm") == 1)
            try await stack.expectLedgerBalanced("completion")

            // check: settlement: escrow released to the merchant less the 5% fee
            let balance = try await client.send(.get, "/api/v1/merchant/balance", token: teaOwner)
            let total = 16_800 * 2
            let fee = (total * 500 + 5_000) / 10_000
            #expect(balance.json["availableFen"] as? Int == total - fee, "\(balance.body)")
            #expect(
                try await LedgerStore.balance(account: LedgerAccount.escrow(order: teaOrder), on: env.platform.db.sql)
                    == 0, "a finished order's escrow ends at zero")

            // act: the verified merchant takes a payout through the institution
            let payout = try await client.send(
                .post, "/api/v1/merchant/payouts", token: teaOwner, json: #"{"amountFen":20000}"#,
                headers: ["Idempotency-Key": "payout-1"])
            #expect(payout.status == 201, "\(payout.body)")
            #expect(payout.json["status"] as? String == "paid")
            // a crash after the payout was reserved, before its response was stored: the retry gets that payout
            try await env.platform.db.sql.raw(
                "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL WHERE idempotency_key = 'payout-1'"
            ).run()
            env.clock.advance(seconds: 31)
            let recovered = try await client.send(
                .post, "/api/v1/merchant/payouts", token: teaOwner, json: #"{"amountFen":20000}"#,
                headers: ["Idempotency-Key": "payout-1"])
            #expect(recovered.status == 201 && recovered.json["id"] as? String == payout.json["id"] as? String)
            #expect(try await env.count("payouts") == 1)
            let tooMuch = try await client.send(
                .post, "/api/v1/merchant/payouts", token: teaOwner, json: #"{"amountFen":20000}"#,
                headers: ["Idempotency-Key": UUID().uuidString])
            #expect(tooMuch.status == 409)
            try await stack.expectLedgerBalanced("payout")

            // act: the buyer reviews the line; the merchant replies; nobody reviews twice
            let review = try await client.send(
                .post, "/api/v1/orders/\(teaOrder)/reviews", token: buyer,
                json: Client.jsonString(["listingId": tea, "rating": 5, "text": "茶香清新，包装完好。"]))
            #expect(review.status == 201, "\(review.body)")
            let again = try await client.send(
                .post, "/api/v1/orders/\(teaOrder)/reviews", token: buyer,
                json: Client.jsonString(["listingId": tea, "rating": 1, "text": "改评价"]))
            #expect(again.status == 409)
            let reviewId = try #require(review.json["id"] as? String)
            let reply = try await client.send(
                .post, "/api/v1/merchant/reviews/\(reviewId)/reply", token: teaOwner, json: #"{"text":"谢谢惠顾！"}"#)
            #expect(reply.status == 200, "\(reply.body)")
            let listed = try await client.send(.get, "/api/v1/products/\(tea)/reviews")
            #expect(listed.body.contains("茶香清新") && listed.body.contains("谢谢惠顾"))
            try await stack.expectLedgerBalanced("review")

            // check: the buyer's export holds the payment (brand and last four only) and the review (2.3.5)
            let export = try await client.send(.get, "/api/v1/me/export", token: buyer)
            let payments = try #require(export.json["payments"] as? [[String: Any]], "\(export.body)")
            #expect(payments.first?["cardLast4"] as? String == "3220")
            #expect((export.json["reviews"] as? [[String: Any]])?.first?["text"] as? String == "茶香清新，包装完好。")
        }
    }

    @Test("2.2: more than 3 failed payments from one address within 30 s is card testing, and the address is banned")
    func cardTesting() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (listing, _) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "shop@card-testing.example", title: "茶叶", price: 1_000, stock: 5)
            let buyer = try await client.newSession(login: "13800138801")
            #expect(try await OrderTests.add(client, buyer, listing, 1).status == 200)
            let checkout = try await stack.checkout(buyer)
            let payURL = try #require((checkout["payment"] as? [String: Any])?["payURL"] as? String)
            func waitForAudit(_ type: String, count: Int) async throws {
                for _ in 0..<200 {
                    if try await stack.env.auditCount(type) >= count { return }
                    try await Task.sleep(for: .milliseconds(25))
                }
                throw TestFailure(description: "never \(count) \(type) events")
            }
            func decline(_ n: Int) async throws {
                _ = try await stack.postForm(
                    payURL, ["card": PaymentSandbox.decliningCard, "expiry": "12/30", "cvc": "123"])
                try await waitForAudit("payment.failed", count: n)
            }

            // three declines are within the limit: the consumer may still be mistyping
            for n in 1...3 { try await decline(n) }
            #expect(try await client.send(.get, "/api/v1/products").status == 200)
            #expect(try await stack.env.auditCount("shield.ban") == 0)

            // the fourth within 30 seconds is card testing: a detection, then a ban of the address
            try await decline(4)
            try await waitForAudit("shield.ban", count: 1)
            let blocked = try await client.send(.get, "/api/v1/products")
            #expect(blocked.status == 403 && blocked.problemType == "address-blocked", "\(blocked.body)")
            let kinds = try await stack.env.platform.db.sql.raw(
                "SELECT kind FROM shield_events ORDER BY at"
            ).all().map { try $0.decode(column: "kind", as: String.self) }
            #expect(kinds.filter { $0 == "payment_failed" }.count == 4 && kinds.contains("card_testing"))
            #expect(try await stack.env.auditCount("shield.detect") == 1)
            // the ban names the consumer's address only: others, and the institution's callbacks, go on
            let other = try await client.send(.get, "/api/v1/products", headers: ["X-Forwarded-For": "198.51.100.9"])
            #expect(other.status == 200)
            let checkoutId = try #require(checkout["id"] as? String)
            let payment = try #require(
                try await PaymentStore.find(checkoutId: checkoutId, on: stack.env.platform.db.sql))
            #expect(payment.status == "pending", "a declined card leaves the payment open")
        }
    }

    @Test("2.4.3: after three declines from one network, its next payment is refused before the institution is asked")
    func declinesFeedTheRiskEngine() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (listing, _) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "shop@declines.example", title: "茶叶", price: 1_000, stock: 5)
            let buyer = try await client.newSession(login: "13800138802")
            #expect(try await OrderTests.add(client, buyer, listing, 1).status == 200)
            let first = try await stack.checkout(buyer)
            let payURL = try #require((first["payment"] as? [String: Any])?["payURL"] as? String)
            for n in 1...3 {
                _ = try await stack.postForm(
                    payURL, ["card": PaymentSandbox.decliningCard, "expiry": "12/30", "cvc": "123"])
                var waited = 0
                while try await stack.env.auditCount("payment.failed") < n, waited < 200 {
                    try await Task.sleep(for: .milliseconds(25))
                    waited += 1
                }
            }
            #expect(try await stack.env.auditCount("payment.failed") == 3)
            let payments = try await stack.count("payments")

            // act: another checkout from the same network
            #expect(try await OrderTests.add(client, buyer, listing, 1).status == 200)
            let second = try await stack.checkout(buyer)
            let retry = try await client.send(
                .post, "/api/v1/checkouts/\(try #require(second["id"] as? String))/payment", token: buyer)

            // check: the orders are placed without a payment, retrying is refused without naming a rule, and the
            // decision is stored with its reason
            #expect(second["payment"] == nil)
            #expect(retry.status == 403 && retry.problemType == "risk-declined", "\(retry.body)")
            #expect(!retry.body.contains("card_testing"))
            #expect(try await stack.count("payments") == payments, "the institution was not asked")
            let reasons = try await stack.env.platform.db.sql.raw(
                "SELECT reasons FROM risk_decisions WHERE event = 'payment' AND outcome = 'block'"
            ).all().map { try $0.decode(column: "reasons", as: String.self) }
            #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("card_testing.many_tokens_or_declines") })
        }
    }
}
