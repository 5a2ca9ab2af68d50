import Foundation
import Marketplace
import Testing

/// Clause 2.3.5 (right to correct): the holder corrects their own fields; the login needs the password.
@Suite("Correction of personal data")
struct CorrectionTests {
    @Test("2.3.5: a holder corrects their name and login; the old login stops working; values stay encrypted")
    func correct() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // setup
                let token = try await client.newSession(login: "13800138400")
                _ = try await client.newSession(login: "13800138401")
                // act: the name alone
                let named = try await client.send(.patch, "/api/v1/me", token: token, json: #"{"displayName":"王小明"}"#)
                #expect(named.status == 200, "\(named.body)")
                #expect(named.json["displayName"] as? String == "王*明")
                // check: changing the login needs the right password, and a free login
                let noPassword = try await client.send(
                    .patch, "/api/v1/me", token: token, json: #"{"login":"13900139400"}"#)
                #expect(noPassword.status == 422)
                let wrong = try await client.send(
                    .patch, "/api/v1/me", token: token,
                    json: #"{"login":"13900139400","currentPassword":"not my password!!"}"#)
                #expect(wrong.status == 422)
                let taken = try await client.send(
                    .patch, "/api/v1/me", token: token,
                    json: #"{"login":"13800138401","currentPassword":"correct horse battery 42"}"#)
                #expect(taken.status == 409)
                let empty = try await client.send(.patch, "/api/v1/me", token: token, json: "{}")
                #expect(empty.status == 400)
                let moved = try await client.send(
                    .patch, "/api/v1/me", token: token,
                    json: #"{"login":"13900139400","currentPassword":"correct horse battery 42"}"#)
                #expect(moved.status == 200, "\(moved.body)")
                // check: sign-in follows the new login; the revealed values are the corrected ones
                #expect(try await client.signIn(login: "13800138400").status == 401)
                #expect(try await client.signIn(login: "13900139400").status == 201)
                let revealed = try await client.send(
                    .post, "/api/v1/me/reveal", token: token, json: #"{"fields":["login","displayName"]}"#)
                let values = revealed.json["values"] as? [String: String]
                #expect(values == ["login": "13900139400", "displayName": "王小明"])
                #expect(try await env.auditCount("privacy.correct") == 2)
                let clear = try await env.platform.db.sql.raw(
                    "SELECT id FROM accounts WHERE CAST(display_name_cipher AS TEXT) LIKE '%王小明%'"
                ).all()
                #expect(clear.isEmpty)
            }
        }
    }
}
