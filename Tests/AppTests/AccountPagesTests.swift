import Domain
import Foundation
import Marketplace
import Privacy
import Storage
import Testing

@testable import App

/// The privacy and security centre's forms (issue 10): correcting my data (2.3.5), setting up two-factor
/// (2.2, 3.2), and real-name verification (2.3.4), driven as a browser would, with the cookie jar and CSRF token.
@Suite("Privacy and security centre pages")
struct AccountPagesTests {
    static func text(_ body: String, id: String) -> String? {
        guard let start = body.range(of: "id=\"\(id)\">") else { return nil }
        return body[start.upperBound...].components(separatedBy: "<")[0]
    }

    @Test("2.3.5: the holder corrects their display name and login; a login change needs the password")
    func correctMyData() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                _ = try await client.register(login: "13800000301")
                var browser = WebTests.Browser(client: client)
                _ = try await browser.signIn("13800000301")
                let centre = try await browser.get("/account")
                #expect(centre.body.contains("action=\"/account/correct\""))

                // act: a new display name; a login change without the password is refused and changes nothing
                let named = try await browser.post("/account/correct", ["displayName": "李四"])
                #expect(named.status == 303 && named.headers[.location] == "/account?done=corrected#profile")
                let refused = try await browser.post("/account/correct", ["login": "13800000302"])
                #expect(refused.status == 422, "\(refused.status)")
                let moved = try await browser.post(
                    "/account/correct", ["login": "13800000302", "currentPassword": "correct horse battery 42"])
                #expect(moved.status == 303)

                // check: the page shows the new name, and the login masked; the old login no longer signs in
                let after = try await browser.get("/account?done=corrected")
                #expect(after.body.contains("李*"), "the name is shown masked, even to its owner")
                #expect(Self.text(after.body, id: "profile-login") == "138****0302")
                #expect(try await client.signIn(login: "13800000301").status == 401)
                #expect(try await client.signIn(login: "13800000302").status == 201)
                #expect(try await env.auditCount("privacy.correct") == 2)
            }
        }
    }

    @Test("2.2, 3.2: two-factor set-up from the centre: the key, a code, ten recovery codes once; then off again")
    func twoFactorSetUp() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let registered = try await client.register(login: "13800000303")
                let accountId = try #require(registered.json["id"] as? String)
                var browser = WebTests.Browser(client: client)
                _ = try await browser.signIn("13800000303")
                #expect(Self.text(try await browser.get("/account").body, id: "two-factor-state") == "未开启")

                // act: begin, then a wrong code, then the right one
                let begun = try await browser.post("/account/two-factor", [:])
                #expect(begun.status == 200)
                let secret = try #require(Self.text(begun.body, id: "two-factor-secret"))
                    .replacingOccurrences(of: " ", with: "")
                #expect(secret.count >= 16)
                #expect(begun.body.contains("otpauth://totp/"))
                let wrong = try await browser.post("/account/two-factor/confirm", ["code": "000000"])
                #expect(wrong.status == 422)
                let code = try #require(TwoFactor.code(secretBase32: secret, at: env.platform.clock.nowMillis))
                let confirmed = try await browser.post("/account/two-factor/confirm", ["code": code])

                // check: ten recovery codes on the page, two-factor on for the account
                #expect(confirmed.status == 200)
                let codes = try #require(confirmed.body.components(separatedBy: "id=\"recovery-codes\">").last)
                #expect(codes.components(separatedBy: "</ol>")[0].components(separatedBy: "<li>").count - 1 == 10)
                let account = try #require(try await AccountStore.find(id: accountId, on: env.platform.db.sql))
                #expect(account.totp_enabled)
                #expect(Self.text(try await browser.get("/account").body, id: "two-factor-state") == "已开启")

                // a consumer may turn it off again with a fresh code
                env.clock.advance(seconds: 31)
                let next = try #require(TwoFactor.code(secretBase32: secret, at: env.platform.clock.nowMillis))
                let off = try await browser.post("/account/two-factor/disable", ["code": next])
                #expect(off.status == 303, "\(off.body)")
                #expect(try await AccountStore.find(id: account.id, on: env.platform.db.sql)?.totp_enabled == false)
                #expect(try await env.auditCount("account.2fa.enrol") == 1)
                #expect(try await env.auditCount("account.2fa.reset") == 1)
            }
        }
    }

    @Test("2.3.4: real-name verification from the centre: consent first, then name and ID, then the code")
    func realNameVerification() async throws {
        try await VerificationTests.withSandbox { env, sandbox in
            let id = VerificationTests.residentId("11010519491231002")
            sandbox.register(name: "张三", idNumber: id)
            try await env.withClient { client in
                _ = try await client.register(login: "13800000304")
                var browser = WebTests.Browser(client: client)
                _ = try await browser.signIn("13800000304")
                let centre = try await browser.get("/account")
                #expect(Self.text(centre.body, id: "verification-status") == "未认证")
                #expect(centre.body.contains("action=\"/account/verification\""))

                // check: without the separate consent to the ID number nothing is processed
                let noConsent = try await browser.post("/account/verification", ["name": "张三", "residentId": id])
                #expect(noConsent.status == 403)
                _ = try await browser.post(
                    "/account/consents",
                    ["purpose": "sensitive_identity", "noticeVersion": PrivacyNotice.current.version])
                // a wrong check digit is refused before anything is sent
                let bad = try await browser.post(
                    "/account/verification", ["name": "张三", "residentId": "110105194912310021"])
                #expect(bad.status == 422)

                // act
                let started = try await browser.post("/account/verification", ["name": "张三", "residentId": id])
                #expect(started.headers[.location] == "/account?done=verification_code_sent#verification")
                let pending = try await browser.get("/account")
                #expect(Self.text(pending.body, id: "verification-status") == "等待验证码")
                #expect(pending.body.contains("action=\"/account/verification/code\""))
                let code = try VerificationTests.lastCode(env, phone: "13800000304")
                let confirmed = try await browser.post("/account/verification/code", ["code": code])

                // check: verified; the page no longer offers to start; the ID number is nowhere on it
                #expect(confirmed.headers[.location] == "/account?done=verification_verified#verification")
                let done = try await browser.get("/account?done=verification_verified")
                #expect(Self.text(done.body, id: "verification-status") == "已认证")
                #expect(!done.body.contains("action=\"/account/verification\""))
                #expect(!done.body.contains(id))
            }
        }
    }
}
