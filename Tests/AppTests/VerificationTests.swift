import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import Privacy
import Providers
import Testing

/// Clause 2.3.4 (real-name verification), against the sandbox provider over real HTTP.
@Suite("Real-name verification")
struct VerificationTests {
    static let secret = Data(repeating: 7, count: 32)

    static func residentId(_ first17: String) -> String {
        first17 + String(ResidentID.checkCharacter(for: first17)!)
    }

    /// Runs `body` with a platform whose identity provider is the sandbox, listening on a free port.
    static func withSandbox(
        secret: Data = secret, _ body: @Sendable (TestPlatform, IdentitySandbox) async throws -> Void
    ) async throws {
        let sandbox = IdentitySandbox(secret: Self.secret)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = Logger(label: "identity-sandbox")
        quiet.logLevel = .critical
        let app = sandbox.application(logger: quiet) { port in continuation.yield(port) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await TestPlatform.with(.sqlite) { base in
                var platform = base.platform
                platform.identityVerifier = HTTPIdentityVerifier(baseURL: "http://127.0.0.1:\(port)", secret: secret)
                try await body(TestPlatform(platform: platform, clock: base.clock, config: base.config), sandbox)
            }
            group.cancelAll()
        }
    }

    static func consent(_ client: Client, _ token: String) async throws {
        let reply = try await client.send(
            .post, "/api/v1/me/consents", token: token,
            json: #"{"purpose":"sensitive_identity","noticeVersion":"\#(PrivacyNotice.current.version)"}"#)
        #expect(reply.status == 201)
    }

    static func lastCode(_ env: TestPlatform, phone: String) throws -> String {
        let outbox = try #require(env.platform.textMessages as? MessageOutbox)
        let text = try #require(outbox.messages(to: phone).last)
        return String(try #require(text.firstMatch(of: /\d{6}/)).output)
    }

    @Test("2.3.4: a consumer proves the number by code and the provider matches name and ID number")
    func consumer() async throws {
        try await Self.withSandbox { env, sandbox in
            let id = Self.residentId("11010519491231002")
            sandbox.register(name: "张三", idNumber: id)
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800138500")
                let body = #"{"name":"张三","residentId":"\#(id)"}"#
                // check: no consent to the sensitive ID number, no processing
                let refused = try await client.send(.post, "/api/v1/me/verification", token: token, json: body)
                #expect(refused.status == 403 && refused.problemType == "consent-required")
                try await Self.consent(client, token)
                // check: a wrong check digit and a future birth date are refused before anything is sent
                let badDigit = try await client.send(
                    .post, "/api/v1/me/verification", token: token,
                    json: #"{"name":"张三","residentId":"110105194912310021"}"#)
                #expect(badDigit.status == 422)
                // act: start, a wrong code, then the right one
                let started = try await client.send(.post, "/api/v1/me/verification", token: token, json: body)
                #expect(started.status == 202, "\(started.body)")
                #expect(started.json["status"] as? String == "pending")
                let flood = try await client.send(.post, "/api/v1/me/verification", token: token, json: body)
                #expect(flood.status == 429, "one code a minute")
                let wrong = try await client.send(
                    .post, "/api/v1/me/verification/code", token: token, json: #"{"code":"000000x"}"#)
                #expect(wrong.status == 422)
                let code = try Self.lastCode(env, phone: "13800138500")
                let done = try await client.send(
                    .post, "/api/v1/me/verification/code", token: token, json: #"{"code":"\#(code)"}"#)
                // check
                #expect(done.status == 200, "\(done.body)")
                #expect(done.json["status"] as? String == "verified")
                #expect(!done.body.contains(id), "the ID number is never sent back")
                let exported = try await client.send(.get, "/api/v1/me/export", token: token)
                #expect(
                    (exported.json["verification"] as? [String: Any])?["residentId"] as? String == id,
                    "except in the holder's own export")
                let me = try await client.send(.get, "/api/v1/me", token: token)
                let accountId = try #require(me.json["id"] as? String)
                try await RealName.requireVerified(accountId: accountId, on: env.platform.db.sql)
                #expect(try await env.auditCount("verification.decide") == 1)
                // check: what went to the identity provider is on the person's record of disclosures (2.6)
                let disclosed = try await client.send(.get, "/api/v1/me/disclosures", token: token)
                let records = try #require(disclosed.json["disclosures"] as? [[String: Any]])
                #expect(records.count == 1)
                #expect(records.first?["fields"] as? [String] == ["name", "resident_id"])
                #expect(records.first?["providerKind"] as? String == "identity")
                // check: the same ID number cannot verify a second account
                let other = try await client.newSession(login: "13800138501")
                try await Self.consent(client, other)
                let duplicate = try await client.send(.post, "/api/v1/me/verification", token: other, json: body)
                #expect(duplicate.status == 409)
                // check: a name that does not match is rejected with a reason
                let third = try await client.newSession(login: "13800138502")
                try await Self.consent(client, third)
                let stranger = Self.residentId("44030619900101123")
                sandbox.register(name: "李四", idNumber: stranger)
                _ = try await client.send(
                    .post, "/api/v1/me/verification", token: third,
                    json: #"{"name":"王五","residentId":"\#(stranger)"}"#)
                let thirdCode = try Self.lastCode(env, phone: "13800138502")
                let rejected = try await client.send(
                    .post, "/api/v1/me/verification/code", token: third, json: #"{"code":"\#(thirdCode)"}"#)
                #expect(rejected.json["status"] as? String == "rejected")
                #expect((rejected.json["reason"] as? String)?.isEmpty == false)
                // check: a new mobile number takes the verification back to unverified
                let moved = try await client.send(
                    .patch, "/api/v1/me", token: token,
                    json: #"{"login":"13800138599","currentPassword":"correct horse battery 42"}"#)
                #expect(moved.status == 200)
                let after = try await client.send(.get, "/api/v1/me/verification", token: token)
                #expect(after.json["status"] as? String == "unverified")
            }
        }
    }

    @Test("2.3.4: five wrong codes, even sent at once, end the attempt; the right code no longer works")
    func codeAttempts() async throws {
        try await Self.withSandbox { env, sandbox in
            let id = Self.residentId("11010519800101001")
            sandbox.register(name: "赵六", idNumber: id)
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800138520")
                try await Self.consent(client, token)
                _ = try await client.send(
                    .post, "/api/v1/me/verification", token: token, json: #"{"name":"赵六","residentId":"\#(id)"}"#)
                let code = try Self.lastCode(env, phone: "13800138520")
                let wrong = code == "000000" ? "111111" : "000000"
                // act: eight wrong guesses at once, then the right code
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            try await client.send(
                                .post, "/api/v1/me/verification/code", token: token,
                                json: #"{"code":"\#(wrong)"}"#
                            ).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                // each guess is refused as a guess (422) or as too late (409), never a server error
                #expect(statuses.allSatisfy { $0 == 422 || $0 == 409 }, "\(statuses)")
                let late = try await client.send(
                    .post, "/api/v1/me/verification/code", token: token, json: #"{"code":"\#(code)"}"#)
                // check
                #expect(late.status == 422 || late.status == 409, "\(late.body)")
                let status = try await client.send(.get, "/api/v1/me/verification", token: token)
                #expect(status.json["status"] as? String != "verified")
            }
        }
    }

    @Test("2.3.4: a provider that cannot answer, or refuses our signature, leaves the check pending (503)")
    func providerDown() async throws {
        try await Self.withSandbox(secret: Data(repeating: 9, count: 32)) { env, sandbox in
            let id = Self.residentId("11010519800101001")
            sandbox.register(name: "赵六", idNumber: id)
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800138510")
                try await Self.consent(client, token)
                _ = try await client.send(
                    .post, "/api/v1/me/verification", token: token, json: #"{"name":"赵六","residentId":"\#(id)"}"#)
                let code = try Self.lastCode(env, phone: "13800138510")
                let reply = try await client.send(
                    .post, "/api/v1/me/verification/code", token: token, json: #"{"code":"\#(code)"}"#)
                #expect(reply.status == 503)
                let status = try await client.send(.get, "/api/v1/me/verification", token: token)
                #expect(status.json["status"] as? String == "pending")
            }
        }
    }

    @Test("2.3.4: a licence code failing its check digit goes to manual review, and a reviewer decides")
    func merchantReview() async throws {
        try await Self.withSandbox { env, sandbox in
            let id = Self.residentId("31010419750505002")
            sandbox.register(name: "钱七", idNumber: id)
            let first17 = "91310000MA1FL0000"
            let good = first17 + String(SocialCreditCode.checkCharacter(for: first17)!)
            let badCheck = first17 + (good.last == "0" ? "1" : "0")
            try await env.withClient { client in
                let owner = try await client.newSession(kind: "merchant", login: "owner@verify.example")
                _ = try await client.enrolTwoFactor(token: owner)
                try await Self.consent(client, owner)
                // act: a licence code whose check character does not match
                let submitted = try await client.send(
                    .post, "/api/v1/merchant/verification", token: owner,
                    json: #"{"licenceCode":"\#(badCheck)","representativeName":"钱七","representativeId":"\#(id)"}"#)
                #expect(submitted.status == 200, "\(submitted.body)")
                #expect(submitted.json["status"] as? String == "review")
                // act: a reviewer approves it
                let created = try await TeamAccounts.addPlatformStaff(
                    role: .support, login: "reviewer@platform.example", displayName: "审核员", password: nil,
                    platform: env.platform)
                let reviewer = try await RouteAuthorizationTests.signInWithTwoFactor(
                    client: client, login: "reviewer@platform.example", password: created.oneTimePassword)
                let queue = try await client.send(.get, "/api/v1/staff/verifications", token: reviewer)
                let waiting = try #require((queue.json["verifications"] as? [[String: Any]])?.first)
                let accountId = try #require(waiting["accountId"] as? String)
                let decided = try await client.send(
                    .post, "/api/v1/staff/verifications/\(accountId)/decision", token: reviewer,
                    json: #"{"approve":true,"reason":"Compared with the scanned licence."}"#)
                // check
                #expect(decided.json["status"] as? String == "verified", "\(decided.body)")
                try await RealName.requireVerified(accountId: accountId, on: env.platform.db.sql)
                // check: a valid code with a matching representative is verified at once
                let other = try await client.newSession(kind: "merchant", login: "owner2@verify.example")
                _ = try await client.enrolTwoFactor(token: other)
                try await Self.consent(client, other)
                let direct = try await client.send(
                    .post, "/api/v1/merchant/verification", token: other,
                    json: #"{"licenceCode":"\#(good)","representativeName":"钱七","representativeId":"\#(id)"}"#)
                #expect(direct.json["status"] as? String == "verified", "\(direct.body)")
            }
        }
    }
}
