import Foundation
import Marketplace
import Privacy
import Testing

/// Clause 2.3.5 and Cybersecurity Law Art. 21: data is kept as long as the catalog says, and no longer.
@Suite("Retention enforcement")
struct RetentionTests {
    @Test("2.3.5: every table with a retention period in the catalog has an enforcement rule")
    func everyPeriodIsEnforced() {
        #expect(RetentionEnforcement.tablesWithPeriods == RetentionEnforcement.tablesWithRules)
    }

    @Test(
        "2.3.5: an erased account's tombstone and destroyed key go three years after erasure",
        arguments: Backend.available)
    func tombstones(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: an erased consumer
                let token = try await client.newSession(login: "13800138301")
                let erased = try await client.send(
                    .delete, "/api/v1/me", token: token, json: #"{"password":"correct horse battery 42"}"#)
                #expect(erased.status == 204)
                // act: two years on the tombstone stays; three years and a bit on it goes
                env.clock.advance(seconds: 2 * 366 * 86_400)
                let early = try await RetentionEnforcement.run(platform: env.platform)
                #expect(early["accounts"] == nil && early["subject_keys"] == nil)
                env.clock.advance(seconds: 400 * 86_400)
                let late = try await RetentionEnforcement.run(platform: env.platform)
                // check
                #expect(late["accounts"] == 1)
                #expect(late["subject_keys"] == 1)
                #expect(try await env.count("accounts") == 0)
            }
        }
    }

    @Test(
        "2.3.5: retention removes exactly what outlived its period, and the audit log says so",
        arguments: Backend.available)
    func removesOnlyExpired(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: a session, sign-in attempts, a withdrawn consent
                let token = try await client.newSession(login: "13800138300")
                _ = try await client.signIn(login: "13800138300", password: "not the password at all")
                let version = PrivacyNotice.current.version
                _ = try await client.send(
                    .post, "/api/v1/me/consents", token: token,
                    json: #"{"purpose":"share_payment","noticeVersion":"\#(version)"}"#)
                _ = try await client.send(.delete, "/api/v1/me/consents/share_payment", token: token)
                let attempts = try await env.count("login_attempts")
                #expect(attempts >= 2)
                // act: 100 days on, nothing has outlived 6 months
                env.clock.advance(seconds: 100 * 86_400)
                #expect(try await RetentionEnforcement.run(platform: env.platform).isEmpty)
                #expect(try await env.auditCount("retention.purge") == 0)
                // act: 200 days on, the network logs and ended sessions go; consents stay 3 years
                env.clock.advance(seconds: 100 * 86_400)
                let removed = try await RetentionEnforcement.run(platform: env.platform)
                #expect(removed["login_attempts"] == attempts)
                #expect(removed["sessions"] == 1)
                #expect(removed["consents"] == nil)
                #expect(try await env.count("login_attempts") == 0)
                #expect(try await env.count("accounts") == 1)
                #expect(try await env.auditCount("retention.purge") == 1)
                // act: 3 years on, the withdrawn consent goes; the one in force stays
                env.clock.advance(seconds: 3 * 366 * 86_400)
                #expect(try await RetentionEnforcement.run(platform: env.platform) == ["consents": 1])
                #expect(try await env.count("consents") == 1)
                #expect(try await env.count("accounts") == 1, "a live account is never removed by retention")
            }
        }
    }
}
