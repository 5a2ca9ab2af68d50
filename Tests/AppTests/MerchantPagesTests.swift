import Domain
import Foundation
import HTTPTypes
import Marketplace
import Storage
import Testing

@testable import App

/// The merchant console's staff (3.2), sanctions and appeals (2.5) and security settings (2.2), through the web
/// pages as a browser uses them.
@Suite("Merchant console pages")
struct MerchantPagesTests {
    struct Owner {
        var browser: WebTests.Browser
        let merchantId: String
        let token: String
    }

    /// A merchant owner with two-factor, signed in through the sign-in form, reading English.
    static func owner(_ client: Client, login: String = "owner@shop.example") async throws -> Owner {
        let token = try await client.newSession(kind: "merchant", login: login)
        let secret = try await client.enrolTwoFactor(token: token)
        let merchantId = try #require(
            try await client.send(.get, "/api/v1/me", token: token).json["merchantId"] as? String)
        let browser = try await webSignIn(client, login: login, password: "correct horse battery 42", secret: secret)
        return Owner(browser: browser, merchantId: merchantId, token: token)
    }

    /// Signs in through the form with a fresh two-factor code; merchants cannot sign in without one.
    static func webSignIn(_ client: Client, login: String, password: String, secret: String) async throws
        -> WebTests.Browser
    {
        var browser = WebTests.Browser(client: client)
        browser.cookies["covenant_lang"] = "en"
        _ = try await browser.get("/signin")
        let signedIn = try await browser.post(
            "/signin",
            ["login": login, "password": password, "otp": client.nextCode(secret: secret), "next": "/merchant"])
        #expect(signedIn.status == 303 && signedIn.headers[.location] == "/merchant", "\(signedIn.body)")
        return browser
    }

    /// A staff member added through the API, past the one-time password and two-factor enrolment, signed in on
    /// the web.
    static func staffMember(_ client: Client, owner: Owner, login: String, role: Role) async throws
        -> WebTests.Browser
    {
        let added = try await client.send(
            .post, "/api/v1/merchant/staff", token: owner.token,
            json: Client.jsonString(["login": login, "displayName": "打包员", "role": role.rawValue]))
        let oneTime = try #require(added.json["oneTimePassword"] as? String, "\(added.body)")
        let first = try await client.token(login: login, password: oneTime)
        let changed = try await client.send(
            .put, "/api/v1/me/password", token: first,
            json: Client.jsonString(["currentPassword": oneTime, "newPassword": "correct horse battery 42"]))
        #expect(changed.status == 204, "\(changed.body)")
        let secret = try await client.enrolTwoFactor(token: first)
        return try await webSignIn(client, login: login, password: "correct horse battery 42", secret: secret)
    }

    /// The text of the element with `id`, up to its closing tag.
    static func element(_ id: String, in body: String) -> String? {
        guard let start = body.range(of: "id=\"\(id)\">") else { return nil }
        return body[start.upperBound...].components(separatedBy: "<").first
    }

    @Test("3.2: the staff section lists the store's staff with masked logins, roles and two-factor status")
    func staffList() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: an owner and one fulfilment member who has not signed in yet
                var owner = try await Self.owner(client)
                let added = try await client.send(
                    .post, "/api/v1/merchant/staff", token: owner.token,
                    json: Client.jsonString([
                        "login": "packer@shop.example", "displayName": "打包员", "role": "fulfilment",
                    ]))
                #expect(added.status == 201)

                // act
                let page = try await owner.browser.get("/merchant")

                // check: masked as the API's views, never in full
                #expect(page.status == 200)
                let staff = try #require(page.body.components(separatedBy: "id=\"staff\"").last)
                #expect(staff.contains(Masking.mask(email: "packer@shop.example")))
                #expect(staff.contains(Masking.mask(email: "owner@shop.example")))
                #expect(!page.body.contains("packer@shop.example") && !page.body.contains("owner@shop.example"))
                #expect(staff.contains(Masking.mask(name: "打包员")))
                #expect(staff.contains("Fulfilment staff") && staff.contains("Merchant owner"))
                #expect(staff.contains("Waiting for first sign-in"))
                #expect(staff.contains("<span class=\"badge warn\">Off</span>"), "the new member has no two-factor yet")
                #expect(page.body.contains("href=\"#staff\""), "the table of contents links the section")
            }
        }
    }

    @Test("3.2: the owner adds a staff member by the form; the one-time password is shown once and signs them in")
    func addStaffByForm() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup
                var owner = try await Self.owner(client)
                let form = try await owner.browser.get("/merchant")
                #expect(form.body.contains("action=\"/merchant/staff\""))

                // act
                let result = try await owner.browser.post(
                    "/merchant/staff", ["login": "lister@shop.example", "displayName": "上架员", "role": "catalog"])

                // check: a page (no redirect carrying the password), masked login, the hint about first sign-in
                #expect(result.status == 201, "\(result.body)")
                #expect(result.headers[.location] == nil)
                #expect(result.headers[.cacheControl] == "no-store")
                let password = try #require(Self.element("one-time-password", in: result.body))
                #expect(password.count == 23, "\(password)")
                #expect(result.body.contains(Masking.mask(email: "lister@shop.example")))
                #expect(!result.body.contains("lister@shop.example"))
                #expect(result.body.contains("must change it and enrol in two-factor"))
                // shown once: the console never repeats it
                let after = try await owner.browser.get("/merchant")
                #expect(!after.body.contains(password))
                #expect(after.body.contains(Masking.mask(email: "lister@shop.example")))
                // the new member signs in with it, and must change it before anything privileged
                let session = try await client.token(login: "lister@shop.example", password: password)
                let blocked = try await client.send(.get, "/api/v1/merchant/staff", token: session)
                #expect(blocked.problemType == "password-change-required", "\(blocked.body)")
                #expect(try await env.auditCount("account.register") == 2, "the owner and the new member")
            }
        }
    }

    @Test("3.2: the owner changes a staff member's role and removes them; removal ends their sessions at once")
    func changeRoleAndRemoveStaff() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: an owner with a packer, and a second store
                var owner = try await Self.owner(client)
                var packer = try await Self.staffMember(
                    client, owner: owner, login: "packer@shop.example", role: .fulfilment)
                let staff = try await client.send(.get, "/api/v1/merchant/staff", token: owner.token)
                let members = try #require(staff.json["staff"] as? [[String: Any]])
                let packerId = try #require(members.first { $0["role"] as? String == "fulfilment" }?["id"] as? String)
                let ownerId = try #require(
                    try await client.send(.get, "/api/v1/me", token: owner.token).json["id"] as? String)
                let console = try await owner.browser.get("/merchant")
                #expect(console.body.contains("action=\"/merchant/staff/\(packerId)/role\""))
                #expect(!console.body.contains("/merchant/staff/\(ownerId)/"), "the owner's own row has no forms")
                try OpsPagesTests.expectTokens(console, owner.browser, "/merchant")
                #expect(!(try await packer.get("/merchant").body.contains("action=\"/merchant/products\"")))

                // act: a role that is not a staff role is refused; catalog is given
                #expect(
                    try await owner.browser.post("/merchant/staff/\(packerId)/role", ["role": "admin"]).status == 422)
                let changed = try await owner.browser.post("/merchant/staff/\(packerId)/role", ["role": "catalog"])
                #expect(
                    changed.status == 303 && changed.headers[.location] == "/merchant?done=staff_role_changed#staff")

                // check: the new role applies from the packer's next request, audited with both roles
                #expect(try await packer.get("/merchant").body.contains("action=\"/merchant/products\""))
                #expect(try await env.auditCount("merchant.staff.role") == 1)

                // another store's owner reaches neither this store's staff nor anyone's owner account
                let other = try await Self.owner(client, login: "rival@shop.example")
                for id in [packerId, ownerId] {
                    let foreign = try await client.send(.delete, "/api/v1/merchant/staff/\(id)", token: other.token)
                    #expect(foreign.status == 404, "\(foreign.body)")
                }
                #expect(
                    try await client.send(.delete, "/api/v1/merchant/staff/\(ownerId)", token: owner.token).status
                        == 404)

                // removal needs the confirmation; then the account is disabled and signed out everywhere
                #expect(try await owner.browser.post("/merchant/staff/\(packerId)/remove", [:]).status == 422)
                #expect(try await packer.get("/merchant").status == 200)
                let removed = try await owner.browser.post("/merchant/staff/\(packerId)/remove", ["confirm": "yes"])
                #expect(removed.status == 303 && removed.headers[.location] == "/merchant?done=staff_removed#staff")
                #expect(try await packer.get("/merchant").status != 200)
                let signIn = try await client.send(
                    .post, "/api/v1/sessions",
                    json: Client.jsonString(["login": "packer@shop.example", "password": "correct horse battery 42"]))
                #expect(signIn.status == 401)
                let after = try await client.send(.get, "/api/v1/merchant/staff", token: owner.token)
                #expect(!(after.json["staff"] as? [[String: Any]] ?? []).contains { $0["id"] as? String == packerId })
                #expect(try await env.auditCount("merchant.staff.remove") == 1)
                // removing again finds no one
                #expect(
                    try await client.send(.delete, "/api/v1/merchant/staff/\(packerId)", token: owner.token).status
                        == 404)
            }
        }
    }

    /// Every merchant console page and form with the permission it needs (a route without a row fails the test).
    /// Appeals check for the owner rather than a permission: `verifyMerchant` stands for that, only owners hold it.
    static let permissions: [String: Permission?] = [
        "GET /merchant": nil, "GET /merchant/orders/{id}": .fulfilOrders,
        "POST /merchant/orders/{id}/waybill": .fulfilOrders, "POST /merchant/orders/{id}/{action}": .fulfilOrders,
        "POST /merchant/products": .manageListings, "POST /merchant/products/{id}/withdraw": .manageListings,
        "POST /merchant/payouts": .requestPayouts, "POST /merchant/staff": .manageMerchantStaff,
        "POST /merchant/staff/{id}/role": .manageMerchantStaff,
        "POST /merchant/staff/{id}/remove": .manageMerchantStaff,
        "POST /merchant/sanctions/{id}/appeal": .verifyMerchant,
    ]

    @Test("3.2: every merchant console page and form refuses exactly the store roles without its permission")
    func everyMerchantRouteAgainstEveryRole() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let routes = buildRouter(platform: env.platform, config: env.config).routes
                .map { "\($0.method) \($0.path)" }.filter { $0.contains(" /merchant") }
            #expect(
                Set(routes) == Set(Self.permissions.keys),
                "routes without a row: \(Set(routes).subtracting(Self.permissions.keys))")
            try await env.withClient { client in
                let owner = try await Self.owner(client)
                var browsers: [(Role, WebTests.Browser)] = [(.owner, owner.browser)]
                for role in Role.merchantStaffRoles {
                    browsers.append(
                        (
                            role,
                            try await Self.staffMember(client, owner: owner, login: "\(role)@shop.example", role: role)
                        ))
                }
                for (role, var browser) in browsers {
                    try await OpsPagesTests.expectRouteTable(
                        routes, Self.permissions, role: role, browser: &browser, placeholders: ["{action}": "ship"])
                }
            }
        }
    }

    @Test("3.2: a fulfilment staff member neither sees the staff section nor may add staff")
    func staffCannotAddStaff() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup
                let owner = try await Self.owner(client)
                var packer = try await Self.staffMember(
                    client, owner: owner, login: "packer@shop.example", role: .fulfilment)
                let accounts = try await env.count("accounts")

                // act
                let page = try await packer.get("/merchant")
                let refused = try await packer.post(
                    "/merchant/staff", ["login": "sneaky@shop.example", "displayName": "某人", "role": "finance"])

                // check
                #expect(page.status == 200)
                #expect(!page.body.contains("id=\"staff\"") && !page.body.contains("action=\"/merchant/staff\""))
                #expect(!page.body.contains("id=\"staff-two-factor\""))
                #expect(refused.status == 403, "\(refused.status)")
                #expect(try await env.count("accounts") == accounts)
            }
        }
    }

    @Test("2.5: the store's sanction is shown with its functions and end, and the owner appeals it by the form")
    func sanctionAppeal() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: a listings restriction for a day, imposed by compliance
                var owner = try await Self.owner(client)
                let ends = env.clock.nowMillis + 86_400_000
                let sanction = try await GovernanceTests.impose(
                    owner.merchantId, .restriction, functions: [.listings], endsAt: ends, platform: env.platform)
                let page = try await owner.browser.get("/merchant")
                #expect(page.body.contains("#\(sanction.id.prefix(8))"))
                #expect(page.body.contains("Restriction") && page.body.contains("In force"))
                #expect(page.body.contains("<dd>Listings</dd>"))
                #expect(page.body.contains("platform-rules/listings.misleading"))
                #expect(page.body.contains(WebFormat.time(ends)))
                #expect(page.body.contains("action=\"/merchant/sanctions/\(sanction.id)/appeal\""))

                // act
                let appealed = try await owner.browser.post(
                    "/merchant/sanctions/\(sanction.id)/appeal", ["statement": "商品描述已经更正。"])

                // check: recorded and audited once; the page says so and offers no second appeal
                #expect(appealed.status == 303, "\(appealed.body)")
                #expect(appealed.headers[.location] == "/merchant?done=sanction_appealed#sanctions")
                let appeal = try await SanctionAppealStore.find(sanction: sanction.id, on: env.platform.db.sql)
                #expect(appeal?.status == "pending")
                #expect(try await env.auditCount("sanction.appeal") == 1)
                let after = try await owner.browser.get("/merchant?done=sanction_appealed")
                #expect(after.body.contains("a member of staff who did not impose the sanction will decide"))
                #expect(!after.body.contains("action=\"/merchant/sanctions/\(sanction.id)/appeal\""))
                #expect(after.body.contains("Pending"))
                let again = try await owner.browser.post(
                    "/merchant/sanctions/\(sanction.id)/appeal", ["statement": "再次申诉。"])
                #expect(again.status == 409)
            }
        }
    }

    @Test("2.5: staff see the store's sanctions but only the owner appeals")
    func onlyOwnerAppeals() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let owner = try await Self.owner(client)
                var packer = try await Self.staffMember(
                    client, owner: owner, login: "packer@shop.example", role: .fulfilment)
                let sanction = try await GovernanceTests.impose(owner.merchantId, .warning, platform: env.platform)

                let page = try await packer.get("/merchant")
                let refused = try await packer.post(
                    "/merchant/sanctions/\(sanction.id)/appeal", ["statement": "我们不同意。"])

                #expect(page.body.contains("#\(sanction.id.prefix(8))"))
                #expect(!page.body.contains("/appeal\""))
                #expect(
                    page.body.contains("Only the store&#39;s owner") || page.body.contains("Only the store's owner"))
                #expect(refused.status == 403)
                #expect(try await SanctionAppealStore.find(sanction: sanction.id, on: env.platform.db.sql) == nil)
            }
        }
    }

    @Test("2.2: the security section shows the configured session, lockout and waybill figures")
    func securityFigures() async throws {
        let config = TestPlatform.config {
            $0.security.sessionIdleSeconds = 10 * 60
            $0.security.privilegedSessionLifetimeSeconds = 4 * 3600
            $0.security.lockoutThreshold = 7
            $0.security.lockoutWindowSeconds = 15 * 60
            $0.security.lockoutDurationSeconds = 3600
            $0.security.waybillDaysAfterCompletion = 9
        }
        try await TestPlatform.with(.sqlite, config: config) { env in
            try await env.withClient { client in
                var owner = try await Self.owner(client)
                let page = try await owner.browser.get("/merchant")

                #expect(Self.element("security-idle", in: page.body) == "10 minutes")
                #expect(Self.element("security-lifetime", in: page.body) == "4 hours")
                #expect(
                    Self.element("security-lockout", in: page.body)
                        == "After 7 failed sign-ins within 15 minutes, the account is locked for 1 hour.")
                #expect(Self.element("security-waybill", in: page.body) == "9 days after the order completes")
                #expect(page.body.contains("Required for every merchant account, owner and staff"))
                #expect(Self.element("staff-two-factor", in: page.body)?.hasPrefix("1 / 1") == true)
                #expect(page.body.contains("href=\"/account#sessions\""))
                // and in Chinese
                owner.browser.cookies["covenant_lang"] = "zh"
                let chinese = try await owner.browser.get("/merchant")
                #expect(
                    Self.element("security-lockout", in: chinese.body) == "15 分钟内登录失败 7 次，账户将被锁定 1 小时。")
            }
        }
    }

    @Test("2.2: every form of the console carries the CSRF token; a form without it changes nothing")
    func formsCarryTheToken() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                var owner = try await Self.owner(client)
                let sanction = try await GovernanceTests.impose(owner.merchantId, .warning, platform: env.platform)
                let token = try #require(owner.browser.cookies["covenant_csrf"])

                let page = try await owner.browser.get("/merchant")
                let forms = page.body.components(separatedBy: "<form method=\"post\"").dropFirst()
                #expect(forms.count >= 3, "listing, staff and appeal forms")
                for form in forms {
                    let body = form.components(separatedBy: "</form>")[0]
                    #expect(body.contains("name=\"_csrf\" value=\"\(token)\""), "a form without the token: \(body)")
                }
                #expect(!page.body.contains("<script") && !page.body.contains("style=\""))
                let accounts = try await env.count("accounts")
                let forged = try await owner.browser.post(
                    "/merchant/staff", ["login": "x@shop.example", "displayName": "某人", "role": "catalog"],
                    csrf: "forged")
                let forgedAppeal = try await owner.browser.post(
                    "/merchant/sanctions/\(sanction.id)/appeal", ["statement": "伪造"], csrf: "forged")
                #expect(forged.status == 403 && forgedAppeal.status == 403)
                #expect(try await env.count("accounts") == accounts)
                #expect(try await SanctionAppealStore.find(sanction: sanction.id, on: env.platform.db.sql) == nil)
            }
        }
    }

    @Test("3.2: an unknown or non-staff role, or a missing field, is refused with a 4xx and creates nothing")
    func badStaffInput() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                var owner = try await Self.owner(client)
                _ = try await owner.browser.get("/merchant")
                let accounts = try await env.count("accounts")
                let attempts: [[String: String]] = [
                    ["login": "a@shop.example", "displayName": "某人", "role": "wizard"],
                    ["login": "b@shop.example", "displayName": "某人", "role": "admin"],
                    ["login": "c@shop.example", "displayName": "某人", "role": "owner"],
                    ["login": "d@shop.example", "role": "catalog"],
                    ["login": "not a login", "displayName": "某人", "role": "catalog"],
                ]
                for fields in attempts {
                    let reply = try await owner.browser.post("/merchant/staff", fields)
                    #expect((400..<500).contains(reply.status), "\(fields): \(reply.status)")
                    #expect(!reply.body.contains("id=\"one-time-password\""))
                }
                #expect(try await env.count("accounts") == accounts)
                let unknown = try await owner.browser.post(
                    "/merchant/sanctions/\(UUID().uuidString.lowercased())/appeal", ["statement": "申诉"])
                #expect(unknown.status == 404)
            }
        }
    }
}
