import App
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import NIOCore
import SQLKit
import Storage
import Testing

/// Bad input gets a clear 4xx problem and changes nothing (2.2; 2.4.2 for card numbers).
@Suite("Input handling")
struct InputTests {
    nonisolated(unsafe) static let valid: [String: Any] = [
        "kind": "consumer", "login": "13800000010", "password": "correct horse battery 42", "displayName": "赵六",
    ]

    static func with(_ changes: [String: Any]) -> String {
        var body = valid
        for (key, value) in changes { body[key] = value }
        return Client.jsonString(body)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: ByteBuffer
        let contentType: String
        let status: Int
        let type: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "malformed JSON", body: ByteBuffer(string: #"{"kind": "consumer","#), contentType: "application/json",
            status: 400, type: "malformed-request"),
        Case(
            name: "not an object", body: ByteBuffer(string: "[1,2]"), contentType: "application/json", status: 400,
            type: "malformed-request"),
        Case(
            name: "invalid UTF-8",
            body: ByteBuffer(bytes: Array(#"{"kind":"consumer","login":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)),
            contentType: "application/json", status: 400, type: "malformed-request"),
        Case(
            name: "deep nesting", body: ByteBuffer(string: String(repeating: "[", count: 5000)),
            contentType: "application/json", status: 400, type: "malformed-request"),
        Case(
            name: "unknown field (mass assignment)", body: ByteBuffer(string: with(["role": "admin"])),
            contentType: "application/json", status: 422, type: "unknown-field"),
        Case(
            name: "wrong type", body: ByteBuffer(string: with(["password": 12])), contentType: "application/json",
            status: 422, type: "invalid-field"),
        Case(
            name: "missing field", body: ByteBuffer(string: #"{"kind":"consumer"}"#), contentType: "application/json",
            status: 422, type: "invalid-field"),
        Case(
            name: "control characters", body: ByteBuffer(string: with(["displayName": "a\u{7}b"])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "overlong name", body: ByteBuffer(string: with(["displayName": String(repeating: "名", count: 65)])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "overlong string",
            body: ByteBuffer(string: with(["displayName": String(repeating: "x", count: 20_000)])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "card number in a text field",
            body: ByteBuffer(string: with(["displayName": "pay 4111 1111 1111 1111"])), contentType: "application/json",
            status: 422, type: "card-number-refused"),
        Case(
            name: "common password", body: ByteBuffer(string: with(["password": "password1234"])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "short password", body: ByteBuffer(string: with(["password": "short"])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "password contains login", body: ByteBuffer(string: with(["password": "x13800000010yz!"])),
            contentType: "application/json", status: 422, type: "invalid-field"),
        Case(
            name: "bad login", body: ByteBuffer(string: with(["login": "12345"])), contentType: "application/json",
            status: 422, type: "invalid-field"),
        Case(
            name: "staff kind", body: ByteBuffer(string: with(["kind": "staff"])), contentType: "application/json",
            status: 422, type: "invalid-field"),
        Case(
            name: "wrong media type", body: ByteBuffer(string: with([:])), contentType: "text/plain", status: 415,
            type: "unsupported-media-type"),
        Case(
            name: "too large", body: ByteBuffer(string: with(["displayName": String(repeating: "y", count: 70_000)])),
            contentType: "application/json", status: 413, type: "payload-too-large"),
    ]

    @Test("2.2: bad registration input is refused with a problem and changes nothing", arguments: cases)
    func refused(_ input: Case) async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // act
                let reply = try await client.send(
                    .post, "/api/v1/accounts", headers: ["Content-Type": input.contentType], rawBody: input.body)
                // check
                #expect(reply.status == input.status, "\(reply.body)")
                #expect(reply.problemType == input.type, "\(reply.body)")
                #expect(reply.headers[.contentType] == "application/problem+json")
                #expect(reply.json["title"] is String && reply.json["detail"] is String)
                #expect(try await env.count("accounts") == 0)
                // the process is alive and well
                #expect(try await client.send(.get, "/health/live").status == 200)
            }
        }
    }

    @Test("2.4.2: with duplicate keys, the value checked is the value used")
    func duplicateKeys() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let base = #""kind":"consumer","password":"correct horse battery 42""#
                let cardLast =
                    #"{\#(base),"login":"13800000011","displayName":"ok","displayName":"4111 1111 1111 1111"}"#
                #expect(
                    try await client.send(.post, "/api/v1/accounts", json: cardLast).problemType
                        == "card-number-refused")
                let cardFirst =
                    #"{\#(base),"login":"13800000012","displayName":"4111 1111 1111 1111","displayName":"ok"}"#
                #expect(try await client.send(.post, "/api/v1/accounts", json: cardFirst).status == 201)
                let token = try await client.token(login: "13800000012")
                let revealed = try await client.send(
                    .post, "/api/v1/me/reveal", token: token, json: #"{"fields":["displayName"]}"#)
                #expect((revealed.json["values"] as? [String: String])?["displayName"] == "ok")
            }
        }
    }

    @Test("2.2: the same login cannot register twice")
    func duplicate() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                #expect(try await client.register(login: "dup@example.com").status == 201)
                let again = try await client.register(login: "DUP@example.com")
                #expect(again.status == 409)
                #expect(try await env.count("accounts") == 1)
            }
        }
    }

    @Test("2.2: random bytes never crash the API")
    func fuzzed() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                var generator = SystemRandomNumberGenerator()
                for _ in 0..<200 {
                    let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in
                        UInt8.random(in: 0...255, using: &generator)
                    }
                    let reply = try await client.send(.post, "/api/v1/sessions", rawBody: ByteBuffer(bytes: bytes))
                    #expect((400..<500).contains(reply.status))
                }
                #expect(try await client.send(.get, "/health/live").status == 200)
            }
        }
    }
}
