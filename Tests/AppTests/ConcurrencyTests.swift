import App
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Storage
import Testing

/// The lockout and throttles hold under concurrent attempts, on every backend (PCI DSS 8.3.4; 2.2, 3.2).
@Suite("Sign-in under concurrency")
struct ConcurrencyTests {
    @Test("3.2: forty parallel guesses get at most five password checks", arguments: Backend.available)
    func parallelGuesses(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup
                #expect(try await client.register(login: "13800000070").status == 201)
                // act: 39 wrong passwords and the right one, all at once
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for n in 0..<40 {
                        group.addTask {
                            let password = n == 20 ? "correct horse battery 42" : "wrong password \(n) xyz"
                            return try await client.signIn(login: "13800000070", password: password).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                // check: every response is a failure, a lockout, the one success or (every database connection
                // busy on a loaded machine) 503 busy, and no more than five credentials were actually checked
                let checked = statuses.filter { $0 == 401 || $0 == 201 }.count
                #expect(checked <= 5, "\(statuses.sorted())")
                #expect(statuses.allSatisfy { [201, 401, 429, 503].contains($0) }, "\(statuses.sorted())")
                #expect(statuses.filter { $0 == 201 }.count <= 1)
            }
        }
    }

    @Test("2.2: one address spraying many known accounts is throttled", arguments: Backend.available)
    func spray(backend: Backend) async throws {
        try await TestPlatform.with(backend, config: TestPlatform.config { $0.security.ipFailureLimit = 12 }) { env in
            try await env.withClient { client in
                for n in 0..<5 { #expect(try await client.register(login: "1380000008\(n)").status == 201) }
                var statuses: [Int] = []
                for n in 0..<5 {
                    for _ in 0..<3 {
                        statuses.append(
                            try await client.signIn(
                                login: "1380000008\(n)", password: "wrong password 12345", ip: "198.51.100.20"
                            ).status)
                    }
                }
                // check: after 12 failures the address is refused, whichever account it tries
                #expect(statuses.prefix(12).allSatisfy { $0 == 401 })
                #expect(statuses.suffix(3).allSatisfy { $0 == 429 })
                #expect(try await client.signIn(login: "13800000084", ip: "198.51.100.20").status == 429)
                #expect(try await client.signIn(login: "13800000084", ip: "198.51.100.21").status == 201)
            }
        }
    }

    @Test("2.2: a lockout looks the same for a login that does not exist")
    func lockoutDoesNotRevealAccounts() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "known2@example.com").status == 201)
                var known: [Client.Reply] = []
                var unknown: [Client.Reply] = []
                for _ in 0..<6 {
                    known.append(try await client.signIn(login: "known2@example.com", password: "wrong password 12345"))
                    unknown.append(
                        try await client.signIn(login: "nobody2@example.com", password: "wrong password 12345"))
                }
                #expect(known.map(\.status) == [401, 401, 401, 401, 401, 429])
                #expect(known.map(\.status) == unknown.map(\.status))
                #expect(known.last?.body == unknown.last?.body)
                #expect(known.last?.headers[.retryAfter] == unknown.last?.headers[.retryAfter])
            }
        }
    }

    @Test("3.2: wrong current passwords and wrong codes to turn two-factor off count towards the lockout")
    func secondaryChecksCount() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800000090")
                _ = try await client.enrolTwoFactor(token: token)
                env.clock.advance(seconds: 1)
                for n in 0..<3 {
                    let reply = try await client.send(
                        .put, "/api/v1/me/password", token: token,
                        json: Client.jsonString([
                            "currentPassword": "guess number \(n)!", "newPassword": "another good passphrase 9",
                        ]))
                    #expect(reply.status == 422)
                }
                for _ in 0..<2 {
                    let reply = try await client.send(
                        .delete, "/api/v1/me/two-factor", token: token, json: #"{"otp":"000000"}"#)
                    #expect(reply.status == 422)
                }
                // check: the login is now locked, for sign-in and for further guesses
                let guess = try await client.send(
                    .delete, "/api/v1/me/two-factor", token: token, json: #"{"otp":"111111"}"#)
                #expect(guess.status == 429)
                #expect(try await client.signIn(login: "13800000090").status == 429)
            }
        }
    }

    @Test("2.2: parallel first sign-ins from new devices all succeed", arguments: Backend.available)
    func parallelNewDevices(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "13800000091").status == 201)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for n in 0..<4 {
                        group.addTask {
                            try await client.signIn(
                                login: "13800000091", userAgent: "device-\(n) Firefox", ip: "192.0.2.\(n + 1)"
                            ).status
                        }
                        group.addTask {
                            try await client.signIn(login: "unknown\(n)@example.com", password: "wrong password 12345")
                                .status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 201 }.count == 4)
                #expect(statuses.filter { $0 == 401 }.count == 4)
            }
        }
    }
}
