import App
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import SQLKit
import Storage
import Testing

@Suite("Two-factor authentication")
struct TwoFactorTests {
    @Test("3.2: merchant owners get 403 two-factor-required until they enrol", arguments: Backend.available)
    func mandatoryForMerchants(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup
                let token = try await client.newSession(kind: "merchant", login: "shop@example.com")
                // check: privileged route refused, and says why
                let refused = try await client.send(.get, "/api/v1/merchant/staff", token: token)
                #expect(refused.status == 403)
                #expect(refused.problemType == "two-factor-required")
                let denials = try await AuditStore.events(type: "authz.denied", on: env.platform.db.sql)
                let me = try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
                #expect(
                    denials.contains { $0.actor == env.platform.keys.pseudonym(me) }, "the denial names who was refused"
                )
                // act: enrol
                let secret = try await client.enrolTwoFactor(token: token)
                // check: now allowed on this session
                #expect(try await client.send(.get, "/api/v1/merchant/staff", token: token).status == 200)
                // check: next sign-in needs the code
                let noCode = try await client.signIn(login: "shop@example.com")
                #expect(noCode.status == 401)
                #expect(noCode.problemType == "otp-required")
                let wrongCode = try await client.signIn(login: "shop@example.com", otp: "000000")
                #expect(wrongCode.status == 401)
                let withCode = try await client.signIn(login: "shop@example.com", otp: client.nextCode(secret: secret))
                #expect(withCode.status == 201)
                let second = try #require(withCode.json["token"] as? String)
                #expect(try await client.send(.get, "/api/v1/merchant/staff", token: second).status == 200)
                // check: merchants cannot turn it off
                let off = try await client.send(
                    .delete, "/api/v1/me/two-factor", token: second, json: #"{"otp":"123456"}"#)
                #expect(off.status == 403)
            }
        }
    }

    @Test("3.2: a TOTP code cannot be used twice; a recovery code works once")
    func replayAndRecovery() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let token = try await client.newSession(kind: "merchant", login: "shop2@example.com")
                let begin = try await client.send(.post, "/api/v1/me/two-factor", token: token)
                let secret = try #require(begin.json["secret"] as? String)
                let code = TwoFactor.code(secretBase32: secret, at: env.clock.nowMillis)!
                let confirm = try await client.send(
                    .post, "/api/v1/me/two-factor/confirm", token: token, json: #"{"otp":"\#(code)"}"#)
                let codes = try #require(confirm.json["recoveryCodes"] as? [String])
                #expect(codes.count == 10)
                // act: the confirming code again at sign-in
                #expect(try await client.signIn(login: "shop2@example.com", otp: code).status == 401)
                // act: a recovery code, twice
                #expect(try await client.signIn(login: "shop2@example.com", otp: codes[0]).status == 201)
                #expect(try await client.signIn(login: "shop2@example.com", otp: codes[0]).status == 401)
                #expect(try await env.auditCount("account.2fa.use") == 1)
                #expect(try await env.auditCount("account.2fa.enrol") == 1)
            }
        }
    }

    @Test("4.x: consumers may turn two-factor on and off")
    func optionalForConsumers() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800000005")
                let secret = try await client.enrolTwoFactor(token: token)
                let off = try await client.send(
                    .delete, "/api/v1/me/two-factor", token: token,
                    json: #"{"otp":"\#(client.nextCode(secret: secret))"}"#)
                #expect(off.status == 204)
                #expect(try await client.signIn(login: "13800000005").status == 201)
                #expect(try await env.auditCount("account.2fa.reset") == 1)
            }
        }
    }
}
