import App
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import SQLKit
import Storage
import Testing

@Suite("Sign-in: lockout, identical failures, throttling, notices")
struct SignInTests {
    @Test(
        "3.2: five failed sign-ins lock the account for 30 minutes, even for the right password",
        arguments: Backend.available)
    func lockout(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup
                #expect(try await client.register(login: "13800000002").status == 201)
                // act: five wrong passwords
                for _ in 1...5 {
                    let reply = try await client.signIn(login: "13800000002", password: "wrong password 12345")
                    #expect(reply.status == 401)
                }
                // check: the right password is refused while locked, with Retry-After
                let locked = try await client.signIn(login: "13800000002")
                #expect(locked.status == 429)
                #expect(locked.problemType == "account-locked")
                #expect(Int(locked.headers[.retryAfter] ?? "") == 30 * 60)
                env.clock.advance(seconds: 29 * 60)
                #expect(try await client.signIn(login: "13800000002").status == 429)
                // check: after 30 minutes the right password works again
                env.clock.advance(seconds: 61)
                #expect(try await client.signIn(login: "13800000002").status == 201)
                #expect(try await env.auditCount("account.lockout") == 1)
                #expect(try await env.auditCount("account.login.failure") == 5)
            }
        }
    }

    @Test("3.2: four failures, then a success, reset the count")
    func successResetsCount() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "13800000003").status == 201)
                for _ in 1...4 { _ = try await client.signIn(login: "13800000003", password: "wrong password 12345") }
                #expect(try await client.signIn(login: "13800000003").status == 201)
                for _ in 1...4 { _ = try await client.signIn(login: "13800000003", password: "wrong password 12345") }
                #expect(try await client.signIn(login: "13800000003").status == 201)
            }
        }
    }

    @Test("2.2: unknown login and wrong password get the same status, body and about the same time")
    func identicalFailures() async throws {
        try await TestPlatform.with(.sqlite, config: TestPlatform.config { $0.security.passwordHashCost = 10 }) { env in
            try await env.withClient { client in
                // setup
                #expect(try await client.register(login: "known@example.com").status == 201)
                // act
                var unknownTimes: [Double] = []
                var wrongTimes: [Double] = []
                var unknown: Client.Reply?
                var wrong: Client.Reply?
                for i in 0..<4 {
                    var start = Date()
                    unknown = try await client.signIn(login: "nobody\(i)@example.com", password: "wrong password 12345")
                    unknownTimes.append(Date().timeIntervalSince(start))
                    start = Date()
                    wrong = try await client.signIn(login: "known@example.com", password: "wrong password 12345")
                    wrongTimes.append(Date().timeIntervalSince(start))
                }
                // check
                #expect(unknown?.status == 401)
                #expect(unknown?.status == wrong?.status)
                #expect(unknown?.body == wrong?.body)
                let medianUnknown = unknownTimes.sorted()[2]
                let medianWrong = wrongTimes.sorted()[2]
                #expect(
                    medianUnknown > medianWrong / 2.5 && medianUnknown < medianWrong * 2.5,
                    "unknown \(medianUnknown)s vs wrong \(medianWrong)s")
            }
        }
    }

    @Test("2.2: one address failing on many accounts is throttled")
    func perAddressThrottle() async throws {
        try await TestPlatform.with(.sqlite, config: TestPlatform.config { $0.security.ipFailureLimit = 6 }) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "victim@example.com").status == 201)
                for i in 0..<6 {
                    let reply = try await client.signIn(
                        login: "guess\(i)@example.com", password: "wrong password 12345", ip: "198.51.100.9")
                    #expect(reply.status == 401)
                }
                // check: even a correct password from that address waits; another address is unaffected
                let throttled = try await client.signIn(login: "victim@example.com", ip: "198.51.100.9")
                #expect(throttled.status == 429)
                #expect(throttled.headers[.retryAfter] != nil)
                #expect(try await client.signIn(login: "victim@example.com", ip: "198.51.100.10").status == 201)
            }
        }
    }

    @Test("4.x: a sign-in from a new device creates a security notice for the account holder")
    func newDeviceNotice() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "13800000004").status == 201)
                let first = try await client.signIn(login: "13800000004")
                let token = try #require(first.json["token"] as? String)
                var notices = try await client.send(.get, "/api/v1/me/notices", token: token)
                #expect((notices.json["notices"] as? [Any])?.count == 0)
                // act: same device again, then a new one
                _ = try await client.signIn(login: "13800000004")
                _ = try await client.signIn(
                    login: "13800000004", userAgent: "Mozilla/5.0 (iPhone) Safari/604.1", ip: "192.0.2.44")
                // check
                notices = try await client.send(.get, "/api/v1/me/notices", token: token)
                let list = try #require(notices.json["notices"] as? [[String: Any]])
                #expect(list.count == 1)
                #expect(list.first?["kind"] as? String == "new-device")
                #expect(!(notices.body.contains("192.0.2.44")), "notices never echo the address in clear")
            }
        }
    }

    @Test("3.2: passwords are hashed with bcrypt cost 12 by default")
    func bcryptCost() async throws {
        #expect(SecuritySettings().passwordHashCost >= 12)
        try await TestPlatform.with(.sqlite, config: TestPlatform.config { $0.security = SecuritySettings() }) { env in
            _ = try await Registration.register(
                RegistrationInput(
                    kind: .consumer, login: "cost@example.com", password: "correct horse battery 42", displayName: "A"),
                platform: env.platform)
            let row = try await env.platform.db.sql.raw("SELECT password_hash FROM accounts").first()
            let hash = try #require(try row?.decode(column: "password_hash", as: String.self))
            #expect(hash.hasPrefix("$2b$12$") || hash.hasPrefix("$2a$12$") || hash.hasPrefix("$2y$12$"))
        }
    }
}
