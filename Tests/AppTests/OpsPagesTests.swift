import Domain
import Foundation
import Marketplace
import Storage
import Testing

@testable import App

/// The operations console's rule-enforcement and provider pages (issue 10): each renders for the role that has the
/// permission, every form carries the CSRF token, its forms change the state through the use cases, a role without
/// the permission is refused, and bad input changes nothing.
@Suite("Operations console pages")
struct OpsPagesTests {
    static let password = "correct horse battery 42"

    /// A member of platform staff signed in through the sign-in page with a two-factor code.
    static func staff(_ role: Role, login: String, client: Client, env: TestPlatform) async throws -> (
        browser: WebTests.Browser, id: String
    ) {
        let created = try await TeamAccounts.addPlatformStaff(
            role: role, login: login, displayName: "员工", password: password, platform: env.platform)
        let secret = try await client.enrolTwoFactor(token: try await client.token(login: login))
        var browser = WebTests.Browser(client: client)
        _ = try await browser.get("/signin")
        let signedIn = try await browser.post(
            "/signin", ["login": login, "password": password, "otp": client.nextCode(secret: secret), "next": "/ops"])
        #expect(signedIn.status == 303 && signedIn.headers[.location] == "/ops", "\(signedIn.body)")
        return (browser, created.id)
    }

    static func consumer(_ client: Client, login: String) async throws -> (token: String, id: String) {
        let token = try await client.newSession(login: login)
        let id = try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
        return (token, id)
    }

    /// Every POST form on the page carries the browser's CSRF token.
    static func expectTokens(_ page: Client.Reply, _ browser: WebTests.Browser, _ path: String) throws {
        let token = try #require(browser.cookies["covenant_csrf"])
        let forms = page.body.components(separatedBy: "<form method=\"post\"").dropFirst()
        #expect(!forms.isEmpty, "\(path) has no form")
        for form in forms {
            #expect(
                form.components(separatedBy: "</form>")[0].contains("name=\"_csrf\" value=\"\(token)\""),
                "\(path): a form without the token")
        }
        #expect(!page.body.contains("<script") && !page.body.contains("style=\""), "\(path): script or inline style")
    }

    /// Sends every route as `role` (GET or an empty form POST, `{id}` a random id) and expects 403 exactly where
    /// the table's permission is one the role lacks; a nil permission is open to every role of the console.
    static func expectRouteTable(
        _ routes: [String], _ permissions: [String: Permission?], role: Role, browser: inout WebTests.Browser,
        placeholders: [String: String]
    ) async throws {
        for route in routes.sorted() {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            var path = parts[1].replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
            for (placeholder, value) in placeholders { path = path.replacingOccurrences(of: placeholder, with: value) }
            let reply = parts[0] == "GET" ? try await browser.get(path) : try await browser.post(path, [:])
            let allowed = (permissions[route] ?? nil).map { role.permissions.contains($0) } ?? true
            #expect(
                (reply.status == 403) != allowed,
                "\(route) as \(role.rawValue): got \(reply.status), expected \(allowed ? "allow" : "deny")")
        }
    }

    @Test("2.5: support confirms a reported violation and records a finding from the violations page")
    func violations() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: one consumer reports another
                let reporter = try await Self.consumer(client, login: "13800138601")
                let reported = try await Self.consumer(client, login: "13800138602")
                let report = try await client.send(
                    .post, "/api/v1/reports", token: reporter.token,
                    json: Client.jsonString([
                        "partyId": reported.id, "ruleRef": "platform-rules/orders.abuse", "description": "恶意下单后拒收。",
                    ]))
                #expect(report.status == 201, "\(report.body)")
                let violationId = try #require(report.json["id"] as? String)
                var (support, _) = try await Self.staff(
                    .support, login: "support@platform.example", client: client, env: env)
                var (arbitrator, _) = try await Self.staff(
                    .arbitrator, login: "arbitrator@platform.example", client: client, env: env)
                func status() async throws -> String? {
                    try await ViolationStore.find(id: violationId, on: env.platform.db.sql)?.status
                }

                // the page: the report with its decide form, the finding form, and the link in the navigation
                let page = try await support.get("/ops/violations")
                #expect(page.status == 200)
                #expect(
                    page.body.contains("platform-rules/orders.abuse")
                        && page.body.contains(String(reported.id.prefix(8))))
                #expect(page.body.contains("/ops/violations/\(violationId)/decision"))
                #expect(page.body.contains("href=\"/ops/violations\"") && page.body.contains("href=\"/ops/sanctions\""))
                #expect(!page.body.contains("13800138602"), "no login or phone on the page")
                try Self.expectTokens(page, support, "/ops/violations")

                // bad input and a forged form change nothing
                #expect(
                    try await support.post("/ops/violations/\(violationId)/decision", ["confirm": "maybe"]).status
                        == 422)
                #expect(
                    try await support.post(
                        "/ops/violations/\(violationId)/decision", ["confirm": "yes"], csrf: "forged"
                    ).status == 403)
                // without the permission: refused, and the navigation does not offer it
                #expect(try await arbitrator.get("/ops/violations").status == 403)
                #expect(
                    try await arbitrator.post("/ops/violations/\(violationId)/decision", ["confirm": "yes"]).status
                        == 403)
                #expect(!(try await arbitrator.get("/ops").body.contains("/ops/violations")))
                #expect(try await status() == "reported")

                // act: confirm it
                let decided = try await support.post("/ops/violations/\(violationId)/decision", ["confirm": "yes"])
                #expect(decided.status == 303 && decided.headers[.location] == "/ops/violations?done=violation_decided")
                #expect(try await status() == "confirmed")
                #expect(try await env.auditCount("violation.decide") == 1)

                // a finding: a bad rule reference is refused, a good one is recorded confirmed
                let before = try await env.count("violations")
                let bad = try await support.post(
                    "/ops/violations", ["partyId": reported.id, "ruleRef": "no rule", "evidence": "核实。"])
                #expect(bad.status == 422)
                #expect(try await env.count("violations") == before)
                let finding = try await support.post(
                    "/ops/violations",
                    ["partyId": reported.id, "ruleRef": "platform-rules/orders.abuse", "evidence": "客服核实属实。"])
                #expect(finding.status == 303 && finding.headers[.location] == "/ops/violations?done=finding_recorded")
                let rows = try await ViolationStore.list(
                    party: reported.id, status: "confirmed", on: env.platform.db.sql)
                #expect(rows.count == 2 && rows.contains { $0.source == "staff" })
            }
        }
    }

    @Test("2.5: support decides an appeal, then imposes and lifts a sanction from the sanctions page")
    func sanctionsAndAppeals() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: a restriction imposed by a compliance officer, appealed by the consumer
                let platform = env.platform
                let party = try await Self.consumer(client, login: "13800138611")
                let sanction = try await Sanctions.impose(
                    .init(
                        party: party.id, level: .restriction, functions: [.orders],
                        ruleRef: "platform-rules/orders.abuse", reason: "恶意下单。",
                        endsAt: platform.clock.nowMillis + 7 * 86_400_000, violationIds: []),
                    caller: GovernanceTests.compliance, platform: platform)
                let appeal = try await client.send(
                    .post, "/api/v1/me/sanctions/\(sanction.id)/appeal", token: party.token,
                    json: #"{"statement":"我只是下单后改变了主意。"}"#)
                #expect(appeal.status == 201, "\(appeal.body)")
                let appealId = try #require((appeal.json["appeal"] as? [String: Any])?["id"] as? String)
                var (support, _) = try await Self.staff(
                    .support, login: "support@platform.example", client: client, env: env)
                var (arbitrator, _) = try await Self.staff(
                    .arbitrator, login: "arbitrator@platform.example", client: client, env: env)
                func current() async throws -> SanctionView? {
                    try await Sanctions.list(party: party.id, caller: GovernanceTests.support, platform: platform)
                        .first { $0.id == sanction.id }
                }

                // the page: the pending appeal with its decide form
                let page = try await support.get("/ops/sanctions")
                #expect(page.status == 200)
                #expect(page.body.contains("/ops/sanctions/appeals/\(appealId)/decision"))
                #expect(
                    page.body.contains(String(sanction.id.prefix(8))) && page.body.contains(String(party.id.prefix(8))))
                try Self.expectTokens(page, support, "/ops/sanctions")

                // bad input and a role without the permission change nothing
                #expect(
                    try await support.post("/ops/sanctions/appeals/\(appealId)/decision", ["note": "复核"]).status == 422)
                #expect(try await arbitrator.get("/ops/sanctions").status == 403)
                #expect(
                    try await arbitrator.post(
                        "/ops/sanctions/appeals/\(appealId)/decision", ["uphold": "yes", "note": "复核"]
                    ).status == 403)
                #expect(try await current()?.appeal?.status == "pending")

                // act: uphold it, which lifts the restriction
                let decided = try await support.post(
                    "/ops/sanctions/appeals/\(appealId)/decision", ["uphold": "yes", "note": "证据不足，撤销。"])
                #expect(decided.status == 303 && decided.headers[.location] == "/ops/sanctions?done=appeal_decided")
                let upheld = try await current()
                #expect(upheld?.appeal?.status == "upheld" && upheld?.inForce == false)

                // a new finding; the party's page proposes a sanction and offers the violation to answer
                let finding = try await Violations.recordFinding(
                    party: party.id, ruleRef: "platform-rules/orders.abuse", evidence: "又一次恶意下单。",
                    caller: GovernanceTests.support, platform: platform)
                let lookup = try await support.get("/ops/sanctions?party=\(party.id)")
                #expect(lookup.status == 200)
                #expect(lookup.body.contains("name=\"violation_\(finding.id)\""))
                try Self.expectTokens(lookup, support, "/ops/sanctions?party")

                // a restriction without functions is refused and imposes nothing
                let count = try await env.count("sanctions")
                let bad = try await support.post(
                    "/ops/sanctions",
                    [
                        "partyId": party.id, "level": "restriction", "ruleRef": "platform-rules/orders.abuse",
                        "reason": "再次恶意下单。", "endsAt": WebFormat.day(platform.clock.nowMillis + 3 * 86_400_000),
                    ])
                #expect(bad.status == 422)
                #expect(try await env.count("sanctions") == count)

                // impose a warning answering the finding, then lift it
                let imposed = try await support.post(
                    "/ops/sanctions",
                    [
                        "partyId": party.id, "level": "warning", "ruleRef": "platform-rules/orders.abuse",
                        "reason": "再次恶意下单。", "endsAt": "", "violation_\(finding.id)": "yes",
                    ])
                #expect(imposed.status == 303, "\(imposed.body)")
                #expect(imposed.headers[.location] == "/ops/sanctions?party=\(party.id)&done=sanction_imposed")
                let warning = try #require(
                    try await Sanctions.list(party: party.id, caller: GovernanceTests.support, platform: platform)
                        .first { $0.level == "warning" })
                #expect(warning.inForce && warning.imposedBy != sanction.imposedBy)
                #expect(
                    try await ViolationStore.find(id: finding.id, on: platform.db.sql)?.sanction_id == warning.id)
                let lifted = try await support.post("/ops/sanctions/\(warning.id)/lift", ["reason": "已整改。"])
                #expect(lifted.status == 303)
                #expect(try await SanctionStore.find(id: warning.id, on: platform.db.sql)?.lifted_at != nil)
            }
        }
    }

    @Test("2.6: an administrator registers, assesses and suspends a provider from the providers page")
    func providers() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let platform = env.platform
                var (admin, _) = try await Self.staff(.admin, login: "admin@platform.example", client: client, env: env)
                var (support, _) = try await Self.staff(
                    .support, login: "support@platform.example", client: client, env: env)
                let empty = try await admin.get("/ops/providers")
                #expect(empty.status == 200 && empty.body.contains("href=\"/ops/providers\""))
                try Self.expectTokens(empty, admin, "/ops/providers")
                let fields = [
                    "kind": "logistics", "legalName": "顺达物流有限公司", "licenceCode": ProviderTests.licence(7),
                    "qualification": "快递业务经营许可证 123", "contractRef": "C-7", "dpaRef": "DPA-7",
                    "contactName": "赵六", "contactPhone": "13912340000", "contactRole": "安全负责人",
                ]
                let valid = ProviderTests.licence(7)
                let wrongLicence = String(valid.dropLast()) + (valid.last == "0" ? "1" : "0")
                func all() async throws -> [ProviderView] {
                    try await ServiceProviders.list(caller: ProviderTests.officer, platform: platform)
                }

                // bad input and a role without the permission register nothing
                #expect(
                    try await admin.post("/ops/providers", fields.merging(["licenceCode": wrongLicence]) { $1 }).status
                        == 422)
                #expect(try await support.get("/ops/providers").status == 403)
                #expect(try await support.post("/ops/providers", fields).status == 403)
                #expect(try await admin.get("/ops/violations").status == 403, "providers do not bring rule enforcement")
                #expect(try await all().isEmpty)

                // act: register
                let registered = try await admin.post("/ops/providers", fields)
                #expect(
                    registered.status == 303
                        && registered.headers[.location] == "/ops/providers?done=provider_registered")
                let provider = try #require(try await all().first)
                #expect(provider.legalName == "顺达物流有限公司" && provider.status == "active" && !provider.assessmentCurrent)
                let page = try await admin.get("/ops/providers")
                #expect(
                    page.body.contains("顺达物流有限公司") && page.body.contains("/ops/providers/\(provider.id)/assessments"))
                #expect(!page.body.contains("13912340000") && !page.body.contains("赵六"), "contacts are masked")
                try Self.expectTokens(page, admin, "/ops/providers")

                // an assessment whose review comes before it is refused; a passing one makes it current
                let now = platform.clock.nowMillis
                let assessment = [
                    "assessedOn": WebFormat.day(now - 86_400_000), "assessor": "第三方测评机构",
                    "questionnaire": "加密：是\n访问控制: 是", "findings": "无重大问题。", "result": "pass",
                    "nextReviewAt": WebFormat.day(now + 300 * 86_400_000),
                ]
                let backwards = assessment.merging(["nextReviewAt": WebFormat.day(now - 5 * 86_400_000)]) { $1 }
                #expect(try await admin.post("/ops/providers/\(provider.id)/assessments", backwards).status == 422)
                #expect(try await all().first?.assessments.isEmpty == true)
                let assessed = try await admin.post("/ops/providers/\(provider.id)/assessments", assessment)
                #expect(assessed.status == 303, "\(assessed.body)")
                let current = try #require(try await all().first)
                #expect(
                    current.assessmentCurrent && current.assessments.first?.questionnaire == ["加密": "是", "访问控制": "是"])

                // suspend it; an unknown status is refused
                #expect(
                    try await admin.post("/ops/providers/\(provider.id)/status", ["status": "paused", "reason": "x"])
                        .status
                        == 422)
                let suspended = try await admin.post(
                    "/ops/providers/\(provider.id)/status", ["status": "suspended", "reason": "复评发现问题"])
                #expect(suspended.status == 303)
                #expect(try await all().first?.status == "suspended")
                #expect(try await env.auditCount("provider.status") == 1)
            }
        }
    }

    /// Every operations page and form, with the permission it needs (a route without a row fails the test).
    static let permissions: [String: Permission?] = [
        "GET /ops": nil, "GET /ops/risk": .reviewRisk, "GET /ops/risk/backtests": .reviewRisk,
        "POST /ops/risk/backtests": .reviewRisk, "POST /ops/risk/{id}/claim": .reviewRisk,
        "POST /ops/risk/{id}/decision": .reviewRisk, "GET /ops/disputes": .arbitrate,
        "GET /ops/listings": .reviewListings, "POST /ops/listings/{id}/decision": .reviewListings,
        "GET /ops/incidents": .handleIncidents, "GET /ops/rights": .handlePrivacyRequests, "GET /ops/audit": .readAudit,
        "GET /ops/keys": .maintainKeys, "POST /ops/keys/jobs/{kind}": .maintainKeys,
        "GET /ops/violations": .enforceRules, "POST /ops/violations": .enforceRules,
        "POST /ops/violations/{id}/decision": .enforceRules, "GET /ops/sanctions": .enforceRules,
        "POST /ops/sanctions": .enforceRules, "POST /ops/sanctions/{id}/lift": .enforceRules,
        "POST /ops/sanctions/appeals/{id}/decision": .enforceRules, "GET /ops/providers": .manageProviders,
        "POST /ops/providers": .manageProviders, "POST /ops/providers/{id}/assessments": .manageProviders,
        "POST /ops/providers/{id}/status": .manageProviders,
    ]

    @Test("2.3.3: every operations page and form refuses exactly the staff roles without its permission")
    func everyOpsRouteAgainstEveryRole() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let routes = buildRouter(platform: env.platform, config: env.config).routes
                .map { "\($0.method) \($0.path)" }.filter { $0.contains(" /ops") }
            #expect(
                Set(routes) == Set(Self.permissions.keys),
                "routes without a row: \(Set(routes).subtracting(Self.permissions.keys))")
            try await env.withClient { client in
                let roles: [Role] = [.admin, .support, .riskAnalyst, .arbitrator, .complianceOfficer, .securityOfficer]
                for role in roles {
                    var (browser, _) = try await Self.staff(
                        role, login: "\(role.rawValue.replacingOccurrences(of: "_", with: "-"))@table.example",
                        client: client, env: env)
                    try await Self.expectRouteTable(
                        routes, Self.permissions, role: role, browser: &browser,
                        placeholders: ["{kind}": "no-such-kind"])
                }
            }
        }
    }
}
