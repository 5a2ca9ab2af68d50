import App
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Marketplace
import NIOCore
import Privacy
import SQLKit
import Storage
import Testing

/// The databases every storage test runs on: SQLite always; PostgreSQL when
/// `COVENANT_TEST_POSTGRES_URL` names a local server (CI sets it).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    static var available: [Backend] {
        ProcessInfo.processInfo.environment["COVENANT_TEST_POSTGRES_URL"].map { _ in [.sqlite, .postgres] } ?? [.sqlite]
    }

    var testDescription: String { rawValue }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// A fresh, migrated database for one test, removed afterwards.
enum TestDatabase {
    /// Refuses any PostgreSQL that is not on this machine: tests drop databases.
    static func guardLocal(_ url: String) throws {
        guard let host = URLComponents(string: url)?.host, ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        else { throw TestFailure(description: "COVENANT_TEST_POSTGRES_URL must point at a local server") }
    }

    static func with<T: Sendable>(_ backend: Backend, _ body: (DatabaseStack) async throws -> T) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        switch backend {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("covenant-test-\(UUID()).sqlite")
                .path
            let stack = try DatabaseStack(location: .sqliteFile(path), logger: logger)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            do {
                try await stack.migrate()
                let result = try await body(stack)
                await stack.shutdown()
                return result
            } catch {
                await stack.shutdown()
                throw error
            }
        case .postgres:
            guard let base = ProcessInfo.processInfo.environment["COVENANT_TEST_POSTGRES_URL"] else {
                throw TestFailure(description: "no PostgreSQL configured")
            }
            try guardLocal(base)
            let name = "covenant_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let admin = try DatabaseStack(location: .postgres(url: base), logger: logger, poolSize: 1)
            try await admin.sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
            var parts = URLComponents(string: base)!
            parts.path = "/" + name
            let stack = try DatabaseStack(location: .postgres(url: parts.string!), logger: logger, poolSize: 4)
            func cleanUp() async {
                await stack.shutdown()
                try? await admin.sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
                await admin.shutdown()
            }
            do {
                try await stack.migrate()
                let result = try await body(stack)
                await cleanUp()
                return result
            } catch {
                await cleanUp()
                throw error
            }
        }
    }
}

/// A platform on a fresh database with a frozen clock and fast (test-only) bcrypt.
struct TestPlatform: Sendable {
    let platform: Platform
    let clock: ManualClock
    let config: AppConfig

    /// Test defaults: frozen clock, fast bcrypt (cost 4, test only), trusted `X-Forwarded-For`.
    /// A platform over `db` with the given key material, so a test can rotate keys and open the platform again.
    static func platform(_ db: DatabaseStack, keys material: KeyMaterial, clock: ManualClock) throws -> Platform {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try Platform(
            db: db, keys: try KeyRing(material: material), clock: clock, settings: defaultConfig.security,
            logger: logger)
    }

    static var defaultConfig: AppConfig {
        var config = AppConfig()
        config.environment = .test
        config.security.passwordHashCost = 4
        config.trustForwardedFor = true
        // Tests send bursts and many 404s from one address on purpose; ShieldTests turn these back on.
        config.shield.rateLimits = false
        config.shield.probing = false
        return config
    }

    static func with<T: Sendable>(
        _ backend: Backend, config: AppConfig = defaultConfig, _ body: (TestPlatform) async throws -> T
    ) async throws -> T {
        try await TestDatabase.with(backend) { db in
            let clock = ManualClock()
            let keys = try KeyRing(material: .random(origin: .generated, nowMillis: clock.nowMillis))
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            var platform = try Platform(db: db, keys: keys, clock: clock, settings: config.security, logger: logger)
            platform.shield = Shield(settings: config.shield)
            try await Rulebook.ensureBundled(platform: platform)
            return try await body(TestPlatform(platform: platform, clock: clock, config: config))
        }
    }

    /// The default test configuration with `change` applied.
    static func config(_ change: (inout AppConfig) -> Void) -> AppConfig {
        var config = defaultConfig
        change(&config)
        return config
    }

    /// Runs `body` with an in-process HTTP client for this platform's router.
    func withClient<T: Sendable>(_ body: @Sendable (Client) async throws -> T) async throws -> T {
        let app = Application(router: buildRouter(platform: platform, config: config))
        let clock = self.clock
        return try await app.test(.router) { client in try await body(Client(inner: client, clock: clock)) }
    }
}

/// Thin helpers over the test client: JSON in, status and JSON out.
struct Client: Sendable {
    let inner: any TestClientProtocol
    let clock: ManualClock

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: String

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var problemType: String? {
            (json["type"] as? String)?.replacingOccurrences(of: "https://covenant.dev/problems/", with: "")
        }
    }

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
        headers extra: [String: String] = [:], rawBody: ByteBuffer? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil || rawBody != nil { headers[.contentType] = "application/json" }
        headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.7"
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let body = rawBody ?? json.map { ByteBuffer(string: $0) }
        return try await inner.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
        }
    }

    static func jsonString(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func register(
        kind: String = "consumer", login: String, password: String = "correct horse battery 42",
        name: String = "王小明"
    ) async throws -> Reply {
        try await send(
            .post, "/api/v1/accounts",
            json: Self.jsonString(["kind": kind, "login": login, "password": password, "displayName": name]))
    }

    func signIn(
        login: String, password: String = "correct horse battery 42", otp: String? = nil,
        userAgent: String = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", ip: String = "203.0.113.7"
    )
        async throws -> Reply
    {
        var body: [String: Any] = ["login": login, "password": password]
        if let otp { body["otp"] = otp }
        return try await send(
            .post, "/api/v1/sessions", json: Self.jsonString(body),
            headers: ["User-Agent": userAgent, "X-Forwarded-For": ip])
    }

    /// Registers and signs in; returns the session token.
    func newSession(kind: String = "consumer", login: String) async throws -> String {
        let registered = try await register(kind: kind, login: login)
        guard registered.status == 201 else { throw TestFailure(description: "register: \(registered.body)") }
        return try await token(login: login)
    }

    func token(login: String, password: String = "correct horse battery 42", otp: String? = nil) async throws -> String
    {
        let reply = try await signIn(login: login, password: password, otp: otp)
        guard reply.status == 201, let token = reply.json["token"] as? String else {
            throw TestFailure(description: "sign-in: \(reply.status) \(reply.body)")
        }
        return token
    }

    /// Enrols the session's account in TOTP; returns the base32 secret.
    func enrolTwoFactor(token: String) async throws -> String {
        let begin = try await send(.post, "/api/v1/me/two-factor", token: token)
        guard begin.status == 201, let secret = begin.json["secret"] as? String else {
            throw TestFailure(description: "enrol: \(begin.body)")
        }
        let code = TwoFactor.code(secretBase32: secret, at: clock.nowMillis)!
        let confirm = try await send(.post, "/api/v1/me/two-factor/confirm", token: token, json: #"{"otp":"\#(code)"}"#)
        guard confirm.status == 200 else { throw TestFailure(description: "confirm: \(confirm.body)") }
        return secret
    }

    /// A code for the next TOTP step (codes cannot be reused), advancing the clock past the current one.
    func nextCode(secret: String) -> String {
        clock.advance(seconds: 30)
        return TwoFactor.code(secretBase32: secret, at: clock.nowMillis)!
    }
}

extension TestPlatform {
    func count(_ table: String) async throws -> Int {
        let row = try await platform.db.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()
        return try row!.decode(column: "n", as: Int.self)
    }

    func auditCount(_ type: String) async throws -> Int {
        try await AuditStore.events(type: type, on: platform.db.sql).count
    }
}
