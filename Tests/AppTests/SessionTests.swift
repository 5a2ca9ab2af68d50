import App
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import SQLKit
import Storage
import Testing

@Suite("Sessions and profile")
struct SessionTests {
    @Test("2.3.2: /me shows personal fields masked, even to the owner", arguments: Backend.available)
    func maskedProfile(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800138000")
                let me = try await client.send(.get, "/api/v1/me", token: token)
                #expect(me.status == 200)
                #expect(me.json["login"] as? String == "138****8000")
                #expect(me.json["displayName"] as? String == "王*明")
                #expect(!me.body.contains("13800138000"))
            }
        }
    }

    @Test("3.2: list, revoke and sign out of sessions", arguments: Backend.available)
    func lifecycle(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                let first = try await client.newSession(login: "13800000020")
                let second = try await client.token(login: "13800000020")
                let list = try await client.send(.get, "/api/v1/me/sessions", token: first)
                let sessions = try #require(list.json["sessions"] as? [[String: Any]])
                #expect(sessions.count == 2)
                let other = try #require(sessions.first { $0["current"] as? Bool == false }?["id"] as? String)
                // act: revoke the other session
                #expect(try await client.send(.delete, "/api/v1/me/sessions/\(other)", token: first).status == 204)
                #expect(try await client.send(.get, "/api/v1/me", token: second).status == 401)
                // act: someone else's session id is not found, not revoked
                let stranger = try await client.newSession(login: "13800000021")
                let strangerSessions = try await client.send(.get, "/api/v1/me/sessions", token: stranger)
                let strangerId = try #require(
                    (strangerSessions.json["sessions"] as? [[String: Any]])?.first?["id"] as? String)
                #expect(try await client.send(.delete, "/api/v1/me/sessions/\(strangerId)", token: first).status == 404)
                #expect(try await client.send(.get, "/api/v1/me", token: stranger).status == 200)
                // act: sign out
                #expect(try await client.send(.delete, "/api/v1/sessions/current", token: first).status == 204)
                #expect(try await client.send(.get, "/api/v1/me", token: first).status == 401)
                #expect(try await env.auditCount("account.session.revoke") == 1)
                #expect(try await env.auditCount("account.logout") == 1)
            }
        }
    }

    @Test("3.2: sessions end after 15 idle minutes and merchant sessions after their absolute lifetime")
    func timeouts() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let consumer = try await client.newSession(login: "13800000022")
                env.clock.advance(seconds: 14 * 60)
                #expect(try await client.send(.get, "/api/v1/me", token: consumer).status == 200)
                env.clock.advance(seconds: 14 * 60)
                #expect(try await client.send(.get, "/api/v1/me", token: consumer).status == 200)
                env.clock.advance(seconds: 16 * 60)
                #expect(try await client.send(.get, "/api/v1/me", token: consumer).status == 401)

                let merchant = try await client.newSession(kind: "merchant", login: "m@example.com")
                // kept busy every 10 minutes, it still ends after 8 hours
                for _ in 0..<47 {
                    env.clock.advance(seconds: 10 * 60)
                    #expect(try await client.send(.get, "/api/v1/me", token: merchant).status == 200)
                }
                env.clock.advance(seconds: 10 * 60)
                #expect(try await client.send(.get, "/api/v1/me", token: merchant).status == 401)
            }
        }
    }

    @Test("3.2: a merchant's staff list shows only its own staff")
    func merchantScopes() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let a = try await client.newSession(kind: "merchant", login: "a@shop.example")
                _ = try await client.enrolTwoFactor(token: a)
                let b = try await client.newSession(kind: "merchant", login: "b@shop.example")
                _ = try await client.enrolTwoFactor(token: b)
                let added = try await client.send(
                    .post, "/api/v1/merchant/staff", token: a,
                    json: Client.jsonString([
                        "login": "packer@shop.example", "displayName": "打包员", "role": "fulfilment",
                    ]))
                #expect(added.status == 201)
                let listA = try await client.send(.get, "/api/v1/merchant/staff", token: a)
                let listB = try await client.send(.get, "/api/v1/merchant/staff", token: b)
                #expect((listA.json["staff"] as? [Any])?.count == 2)
                #expect((listB.json["staff"] as? [Any])?.count == 1)
                // the new staff member must change the one-time password before doing anything privileged
                let oneTime = try #require(added.json["oneTimePassword"] as? String)
                let staff = try await client.token(login: "packer@shop.example", password: oneTime)
                let blocked = try await client.send(.get, "/api/v1/merchant/staff", token: staff)
                #expect(blocked.problemType == "password-change-required")
            }
        }
    }

    @Test("2.2: a failed audit write aborts the action it records (fail closed)")
    func auditFailClosed() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // The audit store refuses writes (as a full disk or a failing replica would).
                try await env.platform.db.sql.raw(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_details BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
                ).run()
                let reply = try await client.register(login: "13800000030")
                #expect(reply.status == 500)
                #expect(reply.problemType == "internal-error")
                #expect(!reply.body.contains("audit store unavailable"), "no internal detail leaks")
                #expect(try await env.count("accounts") == 0)
            }
        }
    }
}
