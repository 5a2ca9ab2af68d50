import Domain
import Foundation
import Marketplace
import Privacy
import Testing

/// Clause 2.3.1 (collect with consent): versioned notices, consent per purpose, withdrawal stops processing.
@Suite("Consent: notices, purposes, withdrawal")
struct ConsentTests {
    @Test("2.3.1: consent is given per purpose to the current notice, withdrawn at will, and enforced")
    func consentLifecycle() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup: the notice is public, versioned, and lists every purpose
                let notice = try await client.send(.get, "/api/v1/privacy-notice")
                #expect(notice.status == 200)
                let version = try #require(notice.json["version"] as? String)
                #expect(version == PrivacyNotice.current.version)
                #expect((notice.json["purposes"] as? [Any])?.count == ConsentPurpose.allCases.count)
                #expect((notice.json["text"] as? String)?.contains("accounts.login_cipher") == true)
                let token = try await client.newSession(login: "13800138200")
                let id = try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
                // check: registration recorded the account consent, nothing else
                let initial = try await client.send(.get, "/api/v1/me/consents", token: token)
                #expect((initial.json["consents"] as? [[String: Any]])?.map { $0["purpose"] as? String } == ["account"])
                await #expect(throws: Problem.self) {
                    try await Consents.require(.sensitiveIdentity, accountId: id, on: env.platform.db.sql)
                }
                // act: a stale notice version is refused; the current one is recorded and audited
                let stale = try await client.send(
                    .post, "/api/v1/me/consents", token: token,
                    json: #"{"purpose":"sensitive_identity","noticeVersion":"000000000000"}"#)
                #expect(stale.status == 422)
                let given = try await client.send(
                    .post, "/api/v1/me/consents", token: token,
                    json: #"{"purpose":"sensitive_identity","noticeVersion":"\#(version)"}"#)
                #expect(given.status == 201, "\(given.body)")
                #expect(given.json["current"] as? Bool == true)
                try await Consents.require(.sensitiveIdentity, accountId: id, on: env.platform.db.sql)
                #expect(try await env.auditCount("consent.grant") == 2)
                // act: withdrawal stops the processing that relied on it
                #expect(
                    try await client.send(.delete, "/api/v1/me/consents/sensitive_identity", token: token).status == 204
                )
                await #expect(throws: Problem.self) {
                    try await Consents.require(.sensitiveIdentity, accountId: id, on: env.platform.db.sql)
                }
                #expect(try await env.auditCount("consent.withdraw") == 1)
                // check: withdrawn records stay as evidence; the account consent cannot be withdrawn alone
                #expect(try await env.count("consents") == 2)
                #expect(try await client.send(.delete, "/api/v1/me/consents/account", token: token).status == 422)
                #expect(
                    try await client.send(.delete, "/api/v1/me/consents/sensitive_identity", token: token).status == 404
                )
                #expect(try await client.send(.delete, "/api/v1/me/consents/marketing", token: token).status == 422)
            }
        }
    }
}
