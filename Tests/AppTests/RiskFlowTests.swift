import Domain
import Foundation
import Marketplace
import Risk
import SQLKit
import Storage
import Testing

/// Clause 2.4.3: checkout calls the risk engine and obeys it; reviews reach the analysts' queue; a fraud label
/// blocks the account; challenges need a two-factor session; shadow decisions are recorded.
@Suite("Risk: decisions at checkout and the review queue")
struct RiskFlowTests {
    static func analyst(_ client: Client, _ env: TestPlatform) async throws -> String {
        let created = try await TeamAccounts.addPlatformStaff(
            role: .riskAnalyst, login: "analyst@platform.example", displayName: "风控", password: nil,
            platform: env.platform)
        return try await RouteAuthorizationTests.signInWithTwoFactor(
            client: client, login: "analyst@platform.example", password: created.oneTimePassword)
    }

    @Test("2.4.3: velocity sends a checkout to review; the analyst labels it fraud; the account is then blocked")
    func reviewQueueEndToEnd() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup
                let listing = try await OrderTests.merchantListing(
                    client, env, login: "risk@shop.example", title: "茶叶", price: 1_000, stock: 100)
                let buyer = try await client.newSession(login: "13800138951")
                func checkout() async throws -> Client.Reply {
                    _ = try await OrderTests.add(client, buyer, listing, 1)
                    return try await OrderTests.checkout(client, buyer)
                }
                // act: ten checkouts within the hour pass; the eleventh is held for review (but placed)
                for _ in 0..<10 { #expect(try await checkout().status == 201) }
                #expect(try await checkout().status == 201)
                #expect(try await env.count("risk_decisions") == 11)
                #expect(try await env.count("risk_cases") == 1)

                // act: the analyst sees the queue, claims the case, labels it fraud
                let analyst = try await Self.analyst(client, env)
                let queue = try await client.send(.get, "/api/v1/staff/risk-cases", token: analyst)
                let cases = try #require(queue.json["cases"] as? [[String: Any]], "\(queue.body)")
                let caseId = try #require(cases.first?["id"] as? String)
                let early = try await client.send(
                    .post, "/api/v1/staff/risk-cases/\(caseId)/decision", token: analyst,
                    json: #"{"fraud":true,"note":"十一单一小时"}"#)
                #expect(early.status == 409, "claim first")
                let claimed = try await client.send(.post, "/api/v1/staff/risk-cases/\(caseId)/claim", token: analyst)
                #expect(claimed.status == 200, "\(claimed.body)")
                let decision = try #require(claimed.json["decision"] as? [String: Any])
                let reasons = try #require(decision["reasons"] as? [[String: Any]])
                #expect(reasons.first?["code"] as? String == "velocity.checkouts_1h")
                #expect((claimed.json["history"] as? [Any])?.count == 11)
                // a note naming someone's number is refused: notes are kept in clear
                let identifying = try await client.send(
                    .post, "/api/v1/staff/risk-cases/\(caseId)/decision", token: analyst,
                    json: #"{"fraud":true,"note":"买家电话 13800138000"}"#)
                #expect(identifying.status == 422, "\(identifying.body)")
                let decided = try await client.send(
                    .post, "/api/v1/staff/risk-cases/\(caseId)/decision", token: analyst,
                    json: #"{"fraud":true,"note":"十一单一小时"}"#)
                #expect(decided.json["label"] as? String == "fraud", "\(decided.body)")
                // the note is about the account: sealed under its key, not kept in clear
                let stored = try await env.platform.db.sql.raw("SELECT note FROM risk_cases WHERE id = \(bind: caseId)")
                    .first()?.decode(column: "note", as: String.self)
                #expect(stored?.hasPrefix("sealed:") == true && stored?.contains("十一单") == false)

                // check: the next checkout is declined without naming a rule, and nothing is written
                let orders = try await env.count("orders")
                let blocked = try await checkout()
                #expect(blocked.status == 403 && blocked.problemType == "risk-declined")
                #expect(!blocked.body.contains("list") && !blocked.body.contains("velocity"))
                #expect(try await env.count("orders") == orders)
                #expect(try await env.auditCount("risk.decision") == 12)
                #expect(try await env.auditCount("risk.case.decide") == 1)
            }
        }
    }

    @Test("2.4.3: a challenge needs a two-factor session; a shadow rule set's decision is recorded beside")
    func challengeAndShadow() async throws {
        let strict = """
            {"version": "test-challenge", "thresholds": {"review": 1000, "challenge": 1000, "block": 1000},
             "rules": [{"id": "large", "events": ["checkout"], "score": 1, "outcome": "challenge",
                        "reason": "amount.large", "condition": {"feature": "amount_fen", "op": ">=", "value": 5000}}]}
            """
        let shadow = strict.replacingOccurrences(of: "\"outcome\": \"challenge\"", with: "\"outcome\": \"block\"")
            .replacingOccurrences(of: "test-challenge", with: "test-shadow")
        try await TestPlatform.with(.sqlite) { base in
            var platform = base.platform
            platform.risk = RiskEngine(
                live: try RiskRuleSet.load(json: Data(strict.utf8)),
                shadow: try RiskRuleSet.load(json: Data(shadow.utf8)))
            let env = TestPlatform(platform: platform, clock: base.clock, config: base.config)
            try await env.withClient { client in
                let listing = try await OrderTests.merchantListing(
                    client, env, login: "challenge@shop.example", title: "茶具", price: 6_000, stock: 10)
                let buyer = try await client.newSession(login: "13800138961")
                _ = try await OrderTests.add(client, buyer, listing, 1)

                // act + check: without two-factor the checkout asks for it
                let refused = try await OrderTests.checkout(client, buyer)
                #expect(refused.status == 403 && refused.problemType == "step-up-required", "\(refused.body)")
                #expect(try await env.count("orders") == 0)

                // act: enrol, sign in again with a code, retry
                let secret = try await client.enrolTwoFactor(token: buyer)
                let stepped = try await client.token(login: "13800138961", otp: client.nextCode(secret: secret))
                _ = try await OrderTests.add(client, stepped, listing, 1)
                let placed = try await OrderTests.checkout(client, stepped)

                // check
                #expect(placed.status == 201, "\(placed.body)")
                let rows = try await env.platform.db.sql.raw(
                    "SELECT outcome, shadow_outcome, rule_set_version FROM risk_decisions ORDER BY created_at"
                ).all()
                #expect(rows.count == 2)
                #expect(
                    try rows.map { try $0.decode(column: "shadow_outcome", as: String.self) } == ["block", "block"])
                #expect(
                    try rows.map { try $0.decode(column: "rule_set_version", as: String.self) }.allSatisfy {
                        $0 == "test-challenge"
                    })
            }
        }
    }

    @Test("2.4.3: payouts call the engine: a merchant on the deny list is declined and nothing moves")
    func payoutDeclined() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: a verified merchant an analyst has put on the deny list
                let (_, owner) = try await OrderTests.merchantListingAndOwner(
                    client, env, login: "denied@shop.example", title: "茶叶", price: 1_000, stock: 1)
                let merchantId = try #require(
                    try await client.send(.get, "/api/v1/me", token: owner).json["merchantId"] as? String)
                try await RiskStore.addToList(
                    list: "deny", kind: "account", valueIndex: merchantId, addedBy: "analyst", now: 0,
                    on: env.platform.db.sql)

                // act
                let payout = try await client.send(
                    .post, "/api/v1/merchant/payouts", token: owner, json: #"{"amountFen":100}"#,
                    headers: ["Idempotency-Key": UUID().uuidString])

                // check
                #expect(payout.status == 403 && payout.problemType == "risk-declined", "\(payout.body)")
                #expect(try await env.count("payouts") == 0)
                let decision = try #require(
                    try await env.platform.db.sql.raw("SELECT event, outcome FROM risk_decisions").first())
                #expect(try decision.decode(column: "event", as: String.self) == "payout")
                #expect(try decision.decode(column: "outcome", as: String.self) == "block")
            }
        }
    }

    @Test("2.4.4, 2.4.3: a consumer with many claims in 90 days is flagged for the risk analysts")
    func manyClaimsFlagged() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let listing = try await OrderTests.merchantListing(
                client, stack.env, login: "claims@shop.example", title: "茶叶", price: 1_000, stock: 20)
            let buyer = try await client.newSession(login: "13800138971")
            var orders: [String] = []
            for _ in 0..<5 {
                _ = try await OrderTests.add(client, buyer, listing, 1)
                let checkout = try await stack.checkout(buyer)
                let payment = try #require(checkout["payment"] as? [String: Any])
                _ = try await stack.payOnHostedPage(try #require(payment["payURL"] as? String))
                _ = try await stack.waitForPayment(try #require(checkout["id"] as? String), token: buyer)
                orders.append(try #require((checkout["orders"] as? [[String: Any]])?.first?["id"] as? String))
            }
            // act: five refunds before shipment; the fifth comes after four claims in 90 days
            for order in orders {
                let reply = try await client.send(
                    .post, "/api/v1/orders/\(order)/refund", token: buyer, json: #"{"reason":"不想要了"}"#,
                    headers: ["Idempotency-Key": UUID().uuidString])
                #expect(reply.status == 200, "\(reply.body)")
            }
            // check: the refunds went through (a review does not block) and one case waits for an analyst
            let cases = try await stack.env.platform.db.sql.raw(
                "SELECT d.reasons AS reasons FROM risk_cases c JOIN risk_decisions d ON d.id = c.decision_id"
            ).all()
            #expect(cases.count == 1)
            #expect(try cases.first?.decode(column: "reasons", as: String.self).contains("claims.many_90d") == true)
            try await stack.expectLedgerBalanced("refunds")
        }
    }

    @Test(
        "2.4.3, 3.2: a sign-in from a device and network new to an established account is challenged; without two-factor a code sent to the login confirms it"
    )
    func newDeviceSignIn() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: an account the engine has seen, two days old
                #expect(try await client.register(login: "13800138961").status == 201)
                #expect(try await client.signIn(login: "13800138961").status == 201)
                env.clock.advance(seconds: 2 * 86_400)

                // another account already uses the other device
                let strangerDevice = "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"
                #expect(try await client.register(login: "13800138962").status == 201)
                #expect(
                    try await client.signIn(login: "13800138962", userAgent: strangerDevice, ip: "198.51.100.77")
                        .status == 201)

                // act: the usual device and network, then another device on another network
                #expect(try await client.signIn(login: "13800138961").status == 201)
                #expect(try await env.count("risk_decisions") == 0, "allowed sign-ins are not stored")
                func stranger(otp: String? = nil) async throws -> Client.Reply {
                    try await client.signIn(
                        login: "13800138961", otp: otp, userAgent: strangerDevice, ip: "198.51.100.77")
                }
                let challenged = try await stranger()

                // check: no session; a code went to the phone, and the problem names no rule
                #expect(challenged.status == 401 && challenged.problemType == "step-up-code-sent", "\(challenged.body)")
                #expect(challenged.json["token"] == nil)
                #expect(!challenged.body.contains("takeover") && !challenged.body.contains("13800138961"))
                let outbox = try #require(env.platform.textMessages as? MessageOutbox)
                let text = try #require(outbox.messages(to: "13800138961").last)
                let code = try #require(text.firstMatch(of: /\d{6}/)).output
                let rows = try await env.platform.db.sql.raw("SELECT event, outcome, reasons FROM risk_decisions").all()
                #expect(rows.count == 1)
                #expect(try rows.first?.decode(column: "event", as: String.self) == "login")
                #expect(try rows.first?.decode(column: "outcome", as: String.self) == "challenge")
                let reasons = try rows.first?.decode(column: "reasons", as: String.self) ?? ""
                #expect(reasons.contains("takeover.new_device_and_ip"), "\(reasons)")
                #expect(try await env.count("step_up_codes") == 1)
                #expect(
                    try await env.platform.db.sql.raw("SELECT code_mac FROM step_up_codes").all()
                        .allSatisfy { try !$0.decode(column: "code_mac", as: String.self).contains(String(code)) })

                // asking again within the minute sends no second code
                #expect(try await stranger().problemType == "step-up-code-sent")
                #expect(outbox.messages(to: "13800138961").count == 1)

                // a wrong code is a failed sign-in; the right one opens the session, once
                let wrong = code == "000000" ? "000001" : "000000"
                #expect(try await stranger(otp: wrong).problemType == "invalid-credentials")
                let confirmed = try await stranger(otp: String(code))
                #expect(confirmed.status == 201, "\(confirmed.body)")
                #expect(try await env.count("step_up_codes") == 0)
                #expect(try await stranger(otp: String(code)).problemType == "invalid-credentials", "used up")
                let audited = try await env.platform.db.sql.raw(
                    "SELECT event_type, outcome FROM audit_events WHERE event_type LIKE 'risk.step_up.%' ORDER BY id"
                ).all().map {
                    "\(try $0.decode(column: "event_type", as: String.self)):\(try $0.decode(column: "outcome", as: String.self))"
                }
                #expect(
                    audited == [
                        "risk.step_up.sent:success", "risk.step_up.verify:failure", "risk.step_up.verify:success",
                    ], "\(audited)")
                #expect(try await env.count("risk_cases") == 0, "a confirmed challenge needs no analyst")

            }
        }
    }

    @Test("2.4.3: a sign-in sent to review opens a case whose analyst sees the accounts sharing the device")
    func reviewShowsLinkedAccounts() async throws {
        let rules = """
            {"version": "test-ring", "thresholds": {"review": 1000, "challenge": 1000, "block": 1000},
             "rules": [{"id": "shared", "events": ["login"], "score": 1, "outcome": "review",
                        "reason": "ring.shared_device", "condition": {"feature": "device_accounts_24h", "op": ">=", "value": 2}}]}
            """
        try await TestPlatform.with(.sqlite) { base in
            var platform = base.platform
            platform.risk = RiskEngine(live: try RiskRuleSet.load(json: Data(rules.utf8)))
            let env = TestPlatform(platform: platform, clock: base.clock, config: base.config)
            try await env.withClient { client in
                // setup: two accounts on one device
                let device = "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"
                #expect(try await client.register(login: "13800138961").status == 201)
                #expect(try await client.register(login: "13800138962").status == 201)
                let other = try #require(
                    try await client.signIn(login: "13800138962", userAgent: device).json["token"] as? String)
                let otherId = try #require(
                    try await client.send(.get, "/api/v1/me", token: other).json["id"] as? String)

                // act: the second account on the device is signed in and sent to the analysts
                #expect(try await client.signIn(login: "13800138961", userAgent: device).status == 201)
                #expect(try await env.count("risk_cases") == 1)

                // check: the analyst who claims the case sees the account that shares the device
                let analyst = try await Self.analyst(client, env)
                let queue = try await client.send(.get, "/api/v1/staff/risk-cases", token: analyst)
                let caseId = try #require((queue.json["cases"] as? [[String: Any]])?.first?["id"] as? String)
                let claimed = try await client.send(.post, "/api/v1/staff/risk-cases/\(caseId)/claim", token: analyst)
                let linked = try #require(claimed.json["linked"] as? [[String: Any]], "\(claimed.body)")
                #expect(linked.contains { $0["accountId"] as? String == otherId && $0["via"] as? String == "device" })
            }
        }
    }
}
