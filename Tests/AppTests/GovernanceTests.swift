import App
import Crypto
import Domain
import Foundation
import Marketplace
import Storage
import Testing

/// Clause 2.5: the rulebook, violations, the sanction ladder enforced by the authorization layer, appeals to a
/// different person, and the signed report for authorities.
@Suite("Governance: rules, sanctions, appeals")
struct GovernanceTests {
    static let compliance = Caller(
        accountId: "compliance-1", role: .complianceOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)
    static let support = Caller(
        accountId: "support-1", role: .support, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)

    struct Merchant {
        let id: String
        let token: String
        let secret: String
        let login: String
        let listing: String
    }

    /// A verified merchant with two-factor and one published listing.
    static func merchant(_ client: Client, _ env: TestPlatform, login: String) async throws -> Merchant {
        let token = try await client.newSession(kind: "merchant", login: login)
        let secret = try await client.enrolTwoFactor(token: token)
        let id = try #require(try await client.send(.get, "/api/v1/me", token: token).json["merchantId"] as? String)
        try await IdentityVerificationStore.save(
            IdentityVerificationRow(account_id: id, subject_kind: "merchant", status: "verified", submitted_at: 0),
            on: env.platform.db.sql)
        let listing = try await createListing(client, token, title: "青瓷茶杯")
        #expect(listing.status == 201, "\(listing.body)")
        return Merchant(
            id: id, token: token, secret: secret, login: login, listing: try #require(listing.json["id"] as? String))
    }

    static func createListing(_ client: Client, _ token: String, title: String) async throws -> Client.Reply {
        try await client.send(
            .post, "/api/v1/merchant/products", token: token,
            json: Client.jsonString([
                "title": title, "description": "好物。", "imageRefs": [], "priceFen": 1_000, "stock": 5,
                "category": "home",
            ]))
    }

    static func impose(
        _ party: String, _ level: SanctionLevel, functions: [RestrictedFunction] = [], endsAt: Int64? = nil,
        platform: Platform
    ) async throws -> SanctionView {
        try await Sanctions.impose(
            .init(
                party: party, level: level, functions: functions, ruleRef: "platform-rules/listings.misleading",
                reason: "商品描述与实物不符。", endsAt: endsAt, violationIds: []),
            caller: compliance, platform: platform)
    }

    /// The merchant's attempts at one route of each use; true where a sanction refused it.
    static func refusals(_ client: Client, _ m: Merchant, staffLogin: String) async throws -> [String: Bool] {
        let random = UUID().uuidString.lowercased()
        let probes: [(String, Client.Reply)] = [
            ("listings", try await createListing(client, m.token, title: "新品茶盘")),
            (
                "payouts",
                try await client.send(.post, "/api/v1/merchant/payouts", token: m.token, json: #"{"amountFen":100}"#)
            ),
            (
                "reviews",
                try await client.send(
                    .post, "/api/v1/merchant/reviews/\(random)/reply", token: m.token, json: #"{"text":"谢谢"}"#)
            ),
            (
                "existingOrders",
                try await client.send(
                    .post, "/api/v1/merchant/orders/\(random)/ship", token: m.token,
                    json: #"{"carrier":"EMS","trackingNumber":"E1"}"#)
            ),
            (
                "business",
                try await client.send(
                    .post, "/api/v1/merchant/staff", token: m.token,
                    json: Client.jsonString(["login": staffLogin, "displayName": "店员", "role": "catalog"]))
            ),
            ("selfCare", try await client.send(.delete, "/api/v1/me/sessions/\(random)", token: m.token)),
            (
                "governance",
                try await client.send(
                    .post, "/api/v1/me/sanctions/\(random)/appeal", token: m.token, json: #"{"statement":"我们已整改。"}"#)
            ),
        ]
        var refused: [String: Bool] = [:]
        for (name, reply) in probes {
            #expect(reply.status < 500, "\(name): \(reply.body)")
            refused[name] = reply.problemType == "sanctioned"
            if reply.problemType == "sanctioned" {
                #expect(reply.status == 403)
                #expect(reply.body.contains("/appeal"), "the refusal says how to appeal")
            }
        }
        return refused
    }

    @Test(
        "2.5: each rung blocks exactly what it names through the API; sales stop while suspended",
        arguments: Backend.available)
    func ladderThroughTheAPI(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                let platform = env.platform
                let m = try await Self.merchant(client, env, login: "ladder@shop.example")
                let buyer = try await client.newSession(login: "13800138501")
                let hour: Int64 = 3_600_000
                let expectations: [(SanctionLevel, [RestrictedFunction], Set<String>)] = [
                    (.warning, [], []),
                    (.restriction, [.listings], ["listings"]),
                    (.restriction, [.payouts, .reviews], ["payouts", "reviews"]),
                    (.suspension, [], ["listings", "payouts", "reviews", "business"]),
                    (.termination, [], ["listings", "payouts", "reviews", "business"]),
                ]
                for (n, (level, functions, blocked)) in expectations.enumerated() {
                    let sanction = try await Self.impose(
                        m.id, level, functions: functions,
                        endsAt: level.isTemporary ? platform.clock.nowMillis + hour : nil,
                        platform: platform)
                    let refused = try await Self.refusals(client, m, staffLogin: "member\(n)@ladder.example")
                    #expect(Set(refused.filter(\.value).keys) == blocked, "\(level) \(functions)")
                    // the storefront: a merchant that may not sell is not shown and cannot be bought from
                    let sells = !SanctionEffect(level: level, functions: Set(functions)).blocksSales
                    let browse = try await client.send(.get, "/api/v1/products?limit=50")
                    #expect(browse.body.contains(m.listing) == sells, "\(level)")
                    _ = try await OrderTests.add(client, buyer, m.listing, 1)
                    let checkout = try await client.send(
                        .post, "/api/v1/checkouts", token: buyer, json: OrderTests.recipient(),
                        headers: ["Idempotency-Key": UUID().uuidString])
                    if !sells { #expect(checkout.problemType == "merchant-not-selling", "\(checkout.body)") }
                    _ = try await client.send(.delete, "/api/v1/cart/items/\(m.listing)", token: buyer)
                    _ = try await Sanctions.lift(
                        id: sanction.id, reason: "next rung", caller: Self.compliance, platform: platform)
                }
                // a ban ends every session at once; only self-care, rights and appeals remain
                _ = try await Self.impose(m.id, .ban, platform: platform)
                #expect(try await client.send(.get, "/api/v1/me", token: m.token).status == 401)
                let token = try await client.token(login: m.login, otp: client.nextCode(secret: m.secret))
                let banned = Merchant(id: m.id, token: token, secret: m.secret, login: m.login, listing: m.listing)
                let refused = try await Self.refusals(client, banned, staffLogin: "member9@ladder.example")
                #expect(
                    Set(refused.filter(\.value).keys) == [
                        "listings", "payouts", "reviews", "existingOrders", "business",
                    ])
                // every refusal was an authorization denial in the audit log
                #expect(try await env.auditCount("authz.denied") >= 14)
                #expect(try await env.auditCount("sanction.impose") == 6)
            }
        }
    }

    @Test("2.5: a restriction lifts by itself at its end, recorded in the audit log")
    func liftsOnTime() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let m = try await Self.merchant(client, env, login: "timed@shop.example")
                let end = env.platform.clock.nowMillis + 3_600_000
                _ = try await Self.impose(
                    m.id, .restriction, functions: [.listings], endsAt: end, platform: env.platform)
                #expect(try await Self.createListing(client, m.token, title: "茶盘").problemType == "sanctioned")
                env.clock.advance(seconds: 3_500)
                #expect(try await Sanctions.liftEnded(platform: env.platform) == 0)
                let before = try await client.token(login: m.login, otp: client.nextCode(secret: m.secret))
                #expect(try await Self.createListing(client, before, title: "茶盘").problemType == "sanctioned")
                env.clock.advance(seconds: 100)  // past the end
                let after = try await client.token(login: m.login, otp: client.nextCode(secret: m.secret))
                #expect(try await Self.createListing(client, after, title: "茶盘").status == 201)
                #expect(try await Sanctions.liftEnded(platform: env.platform) == 1)
                #expect(try await env.auditCount("sanction.lift") == 1)
                let mine = try await client.send(.get, "/api/v1/me/sanctions", token: after)
                let first = try #require((mine.json["sanctions"] as? [[String: Any]])?.first)
                #expect(first["inForce"] as? Bool == false)
                #expect(first["liftReason"] as? String == "ended")
            }
        }
    }

    @Test("2.5: one appeal per sanction, decided by someone other than who imposed it; upheld lifts it")
    func appeals() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let platform = env.platform
                let consumer = try await client.newSession(login: "13800138502")
                let consumerId = try #require(
                    try await client.send(.get, "/api/v1/me", token: consumer).json["id"] as? String)
                let sanction = try await Sanctions.impose(
                    .init(
                        party: consumerId, level: .restriction, functions: [.orders],
                        ruleRef: "platform-rules/orders.abuse", reason: "恶意下单。",
                        endsAt: platform.clock.nowMillis + 86_400_000, violationIds: []),
                    caller: Self.compliance, platform: platform)
                let add = try await client.send(
                    .post, "/api/v1/cart/items", token: consumer,
                    json: Client.jsonString(["listingId": "x", "quantity": 1]))
                #expect(add.problemType == "sanctioned" && add.body.contains(sanction.id))
                // the consumer still reviews, disputes and exercises their rights
                #expect(
                    try await client.send(.post, "/api/v1/orders/nope/reviews", token: consumer, json: "{}")
                        .problemType != "sanctioned")

                let appeal = try await client.send(
                    .post, "/api/v1/me/sanctions/\(sanction.id)/appeal", token: consumer,
                    json: #"{"statement":"我只是下单后改变了主意。"}"#)
                #expect(appeal.status == 201, "\(appeal.body)")
                let again = try await client.send(
                    .post, "/api/v1/me/sanctions/\(sanction.id)/appeal", token: consumer,
                    json: #"{"statement":"再次申诉。"}"#)
                #expect(again.status == 409)
                let appealId = try #require((appeal.json["appeal"] as? [String: Any])?["id"] as? String)

                await #expect(throws: Problem.self) {
                    _ = try await Sanctions.decideAppeal(
                        id: appealId, uphold: true, note: "自己复核", caller: Self.compliance, platform: platform)
                }
                let queue = try await Sanctions.pendingAppeals(caller: Self.support, platform: platform)
                #expect(queue.map(\.id) == [sanction.id])
                #expect(queue.first?.appeal?.statement == "我只是下单后改变了主意。")
                #expect(try await env.auditCount("sanction.read") == 1, "staff reading the statement is audited")
                let decided = try await Sanctions.decideAppeal(
                    id: appealId, uphold: true, note: "证据不足，撤销。", caller: Self.support, platform: platform)
                #expect(decided.inForce == false && decided.liftReason == "appeal upheld")
                #expect(decided.appeal?.decidedBy == "support-1")
                #expect(decided.appeal?.note == "证据不足，撤销。")
                let storedNote = try await env.platform.db.sql.raw("SELECT decision_note FROM sanction_appeals")
                    .first()?
                    .decode(column: "decision_note", as: String.self)
                #expect(storedNote?.hasPrefix("sealed:") == true && storedNote?.contains("证据") == false)
                let retry = try await client.send(
                    .post, "/api/v1/cart/items", token: consumer,
                    json: Client.jsonString(["listingId": "x", "quantity": 1]))
                #expect(retry.problemType != "sanctioned")
                // an overturned sanction does not count towards the next rung
                _ = try await Violations.recordFinding(
                    party: consumerId, ruleRef: "platform-rules/orders.abuse", evidence: "又一次恶意下单。",
                    caller: Self.support, platform: platform)
                let proposal = try await Sanctions.proposal(
                    party: consumerId, caller: Self.compliance, platform: platform)
                #expect(proposal?.level == .warning)
                #expect(try await env.auditCount("sanction.appeal") == 1)
                #expect(try await env.auditCount("sanction.appeal.decide") == 1)
            }
        }
    }

    @Test("2.5: a new rulebook version must be accepted at the next sign-in before doing business")
    func rulebookAcceptance() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let consumer = try await client.newSession(login: "13800138503")
                let cart = Client.jsonString(["listingId": "x", "quantity": 1])
                let book = try await client.send(.get, "/api/v1/rulebook")
                #expect((book.json["versions"] as? [[String: Any]])?.count == 3)
                let published = try await Rulebook.publish(
                    document: "platform_rules", version: "2026-12-01", effectiveAt: env.platform.clock.nowMillis,
                    text: "# 平台规则 2026-12-01\n- 新增：禁止虚假发货。", caller: Self.compliance, platform: env.platform)
                #expect(published.current)
                // the session that was open before goes on; the next sign-in must accept first
                #expect(
                    try await client.send(.post, "/api/v1/cart/items", token: consumer, json: cart).problemType
                        != "rules-acceptance-required")
                let next = try await client.token(login: "13800138503")
                let refused = try await client.send(.post, "/api/v1/cart/items", token: next, json: cart)
                #expect(refused.problemType == "rules-acceptance-required", "\(refused.body)")
                #expect(try await client.send(.get, "/api/v1/me", token: next).status == 200, "reading goes on")
                let accepted = try await client.send(.post, "/api/v1/me/rulebook-acceptance", token: next)
                #expect((accepted.json["accepted"] as? [String]) == ["platform_rules@2026-12-01"])
                #expect(
                    try await client.send(.post, "/api/v1/cart/items", token: next, json: cart).problemType
                        != "rules-acceptance-required")
                #expect(try await env.auditCount("rulebook.accept") == 1)
                #expect(try await env.auditCount("rulebook.publish") == 1, "the bundled versions are not events")
                // rules are never back-dated
                await #expect(throws: Problem.self) {
                    _ = try await Rulebook.publish(
                        document: "user_agreement", version: "old", effectiveAt: 0, text: "x",
                        caller: Self.compliance, platform: env.platform)
                }
            }
        }
    }

    @Test(
        "2.5: violations from reports and staff; the report for a period is complete and its signature verifies",
        arguments: Backend.available)
    func reportForAuthorities(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                let platform = env.platform
                let m = try await Self.merchant(client, env, login: "report@shop.example")
                let consumer = try await client.newSession(login: "13800138504")
                let start = platform.clock.nowMillis
                // a user's report waits for staff; a finding is confirmed at once
                let reported = try await client.send(
                    .post, "/api/v1/reports", token: consumer,
                    json: Client.jsonString([
                        "partyId": m.id, "ruleRef": "platform-rules/listings.misleading",
                        "description": "茶杯实物是塑料的。",
                    ]))
                #expect(reported.status == 201 && reported.json["status"] as? String == "reported", "\(reported.body)")
                let confirmed = try await Violations.decide(
                    id: try #require(reported.json["id"] as? String), confirm: true, caller: Self.support,
                    platform: platform)
                #expect(confirmed.status == "confirmed")
                let finding = try await Violations.recordFinding(
                    party: m.id, ruleRef: "platform-rules/listings.prohibited-goods", evidence: "售卖违禁品。",
                    caller: Self.compliance, platform: platform)
                // the policy proposes from the history: a severe rule skips the warning
                let proposal = try #require(
                    try await Sanctions.proposal(party: m.id, caller: Self.compliance, platform: platform))
                #expect(proposal.level == .restriction && proposal.functions == [.listings])
                let sanction = try await Sanctions.impose(
                    .init(
                        party: m.id, level: proposal.level, functions: proposal.functions, ruleRef: proposal.ruleRef,
                        reason: "违禁商品。", endsAt: proposal.endsAt, violationIds: [confirmed.id, finding.id]),
                    caller: Self.compliance, platform: platform)
                #expect(try await Sanctions.proposal(party: m.id, caller: Self.compliance, platform: platform) == nil)
                env.clock.advance(seconds: 10)
                // outside the period: not in the report
                _ = try await Violations.recordFinding(
                    party: m.id, ruleRef: "platform-rules/reviews.fake", evidence: "刷单。", caller: Self.compliance,
                    platform: platform)

                let files = try await GovernanceReport.build(from: start, to: start + 10_000, platform: platform)
                #expect(files.violations == 2 && files.sanctions == 1)
                let report = try JSONSerialization.jsonObject(with: files.json) as? [String: Any]
                let ids = ((report?["violations"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                #expect(Set(ids) == [confirmed.id, finding.id])
                #expect(((report?["sanctions"] as? [[String: Any]])?.first?["id"] as? String) == sanction.id)
                let csv = String(decoding: files.csv, as: UTF8.self)
                #expect(csv.split(separator: "\r\n").count == 4, "a header and three records")
                #expect(!csv.contains("塑料") && !String(decoding: files.json, as: UTF8.self).contains("塑料"))

                let key = platform.keys.auditSigningKey
                for file in [files.json, files.csv] {
                    let signature = try GovernanceReport.signature(for: file, name: "r", key: key)
                    #expect(GovernanceReport.verify(file: file, signatureDocument: signature, publicKey: key.publicKey))
                    var altered = file
                    altered[altered.count / 2] ^= 1
                    #expect(
                        !GovernanceReport.verify(file: altered, signatureDocument: signature, publicKey: key.publicKey))
                    #expect(
                        !GovernanceReport.verify(
                            file: file, signatureDocument: signature,
                            publicKey: Curve25519.Signing.PrivateKey().publicKey))
                }
                #expect(try await env.auditCount("governance.report") == 1)
            }
        }
    }

    @Test("2.5: every state-changing route has a use for the sanction gate")
    func everyWriteRouteIsClassified() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let router = buildRouter(platform: env.platform, config: env.config)
            let writes = router.routes.filter { $0.method != .get && $0.method != .head }
                .map { "\($0.method) \($0.path)" }.filter { !$0.contains(" /api/v1/staff/") && !$0.contains(" /ops/") }
            let missing = Set(writes).subtracting(RouteUses.table.keys)
            #expect(missing.isEmpty, "routes without a use: \(missing.sorted())")
            #expect(Set(RouteUses.table.keys).subtracting(writes).isEmpty, "stale rows")
        }
    }
}
