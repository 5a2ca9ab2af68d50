import AsyncKit  // the pool timeout the drivers throw
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Privacy
import SQLKit
import Storage
import Testing

@testable import App

@Suite("Operations: health, metrics, headers, API contract")
struct OperationsTests {
    @Test("2.2: health and readiness report the database and migrations", arguments: Backend.available)
    func health(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                #expect(try await client.send(.get, "/health/live").status == 200)
                let ready = try await client.send(.get, "/health/ready")
                #expect(ready.status == 200)
                #expect(ready.json["status"] as? String == "ready")
            }
        }
    }

    @Test("2.2: /metrics exposes request counts and latency histograms by route")
    func metrics() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                _ = try await client.send(.get, "/health/live")
                _ = try await client.send(.get, "/api/v1/me")
                let metrics = try await client.send(.get, "/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.body.contains(#"http_route="/health/live""#))
                #expect(
                    metrics.body.contains(
                        #"http_route="/api/v1/me",http_request_method="GET",http_response_status_code="401""#))
                #expect(metrics.body.contains("http_server_request_duration_bucket"))
            }
        }
    }

    @Test("2.2: every response carries the security headers, errors and unknown paths included")
    func securityHeaders() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                for path in ["/health/live", "/api/v1/me", "/no/such/path", "/api/v1/openapi.yaml"] {
                    let reply = try await client.send(.get, path)
                    let csp = try #require(reply.headers[.contentSecurityPolicy], "\(path)")
                    #expect(!csp.contains("unsafe-inline"))
                    #expect(csp.contains("frame-ancestors 'none'"))
                    #expect(reply.headers[.xContentTypeOptions] == "nosniff")
                    #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] != nil)
                    #expect(reply.headers[.strictTransportSecurity] == nil, "no HSTS over plain HTTP")
                }
                let missing = try await client.send(.get, "/no/such/path")
                #expect(missing.status == 404)
                #expect(missing.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("2.2: HSTS is sent when serving TLS")
    func hsts() async throws {
        try await TestPlatform.with(
            .sqlite,
            config: TestPlatform.config {
                $0.tlsCertificatePath = "/c"
                $0.tlsKeyPath = "/k"
            }
        ) { env in
            try await env.withClient { client in
                let reply = try await client.send(.get, "/health/live")
                #expect(reply.headers[.strictTransportSecurity]?.contains("max-age=") == true)
            }
        }
    }

    @Test("2.2: an exhausted database connection pool is 503 busy with Retry-After, not an internal error")
    func poolExhaustedIsBusy() throws {
        #expect(ProblemMiddleware.isPoolExhausted(ConnectionPoolTimeoutError.connectionRequestTimeout))
        #expect(!ProblemMiddleware.isPoolExhausted(CancellationError()))
        let reply = ProblemMiddleware.render(ProblemMiddleware.busy)
        #expect(reply.status.code == 503 && reply.headers[.retryAfter] == "1")
    }

    @Test("2.2: every operation taking JSON documents what the edge answers for a bad body (400, 413, 415, 422)")
    func openAPIBodyStatuses() {
        let operations = OpenAPIPaths.operations(OpenAPIDocument.text)
        #expect(operations.count > 100)
        #expect(operations.contains { $0.id == "registerAccount" && $0.takesJSON && $0.responses.contains("201") })
        for operation in operations where operation.takesJSON {
            let missing = ["400", "413", "415", "422"].filter { !operation.responses.contains($0) }
            #expect(missing.isEmpty, "\(operation.id) does not document \(missing)")
        }
    }

    @Test("2.2: the OpenAPI document is served and names every API route with an operationId")
    func openAPIContract() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let router = buildRouter(platform: env.platform, config: env.config)
            let spec = OpenAPIDocument.text
            #expect(!spec.isEmpty)
            // every route appears as a path with its method
            let paths = OpenAPIPaths.parse(spec)
            for route in router.routes {
                let path = "\(route.path)".split(separator: "/").map(String.init)
                let key = "/" + path.joined(separator: "/")
                // Web pages (docs/web.md) are HTML for browsers, not part of the API contract.
                guard ["api", "health", "metrics"].contains(path.first ?? "") else { continue }
                #expect(
                    paths[key]?.contains("\(route.method)".lowercased()) == true,
                    "\(route.method) \(key) is not in openapi.yaml")
            }
            // every operation has an operationId, and they are unique
            let operationCount = paths.values.map(\.count).reduce(0, +)
            let ids = spec.split(separator: "\n").filter { $0.contains("operationId:") }
            #expect(ids.count == operationCount)
            #expect(Set(ids.map { $0.trimmingCharacters(in: .whitespaces) }).count == ids.count)
            for required in ["registerAccount", "createSession", "getMe", "deleteCurrentSession"] {
                #expect(spec.contains("operationId: \(required)\n"))
            }
            // the paths section holds only paths and their methods, and every schema referenced is defined
            let methods: Set<Substring> = ["get", "post", "put", "patch", "delete"]
            let lines = spec.split(separator: "\n")
            let pathsStart = lines.firstIndex(of: "paths:") ?? lines.startIndex
            let pathsEnd = lines.firstIndex(of: "components:") ?? lines.endIndex
            for line in lines[pathsStart..<pathsEnd] where line.hasPrefix("    ") && !line.hasPrefix("     ") {
                #expect(methods.contains(line.dropFirst(4).dropLast()), "not a method under paths: \(line)")
            }
            let defined = Set(
                lines[pathsEnd...].filter { $0.hasPrefix("    ") && !$0.hasPrefix("     ") && $0.hasSuffix(":") }
                    .map { String($0.dropFirst(4).dropLast()) })
            for match in spec.matches(of: /#\/components\/(?:schemas|responses)\/(\w+)/) {
                #expect(defined.contains(String(match.output.1)), "undefined: \(match.output.0)")
            }
            try await env.withClient { client in
                let served = try await client.send(.get, "/api/v1/openapi.yaml")
                #expect(served.status == 200)
                #expect(served.body == spec)
            }
        }
    }
}

/// Reads `paths:` of our OpenAPI YAML: two-space path keys, four-space method keys.
enum OpenAPIPaths {
    static func parse(_ text: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var current: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
                result[current!] = []
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(method)) {
                    result[path]?.insert(String(method))
                }
            }
        }
        return result
    }

    struct Operation {
        var id = ""
        var takesJSON = false
        var responses: Set<String> = []
    }

    /// Each operation's id, whether it takes a JSON body, and its documented status codes
    /// (eight-space keys under `responses:`).
    static func operations(_ text: String) -> [Operation] {
        var result: [Operation] = []
        var inRequestBody = false
        var inResponses = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("components:") { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("    "), !line.hasPrefix("     ") {
                result.append(Operation())
                inRequestBody = false
                inResponses = false
            } else if line.hasPrefix("      "), !line.hasPrefix("       ") {
                inRequestBody = trimmed == "requestBody:"
                inResponses = trimmed == "responses:"
                if trimmed.hasPrefix("operationId:") {
                    result[result.count - 1].id = String(trimmed.dropFirst("operationId:".count)).trimmingCharacters(
                        in: .whitespaces)
                }
            } else if inRequestBody, trimmed == "application/json:" {
                result[result.count - 1].takesJSON = true
            } else if inResponses, line.hasPrefix("        \""), !line.hasPrefix("         ") {
                result[result.count - 1].responses.insert(String(trimmed.dropFirst().prefix(3)))
            }
        }
        return result.filter { !$0.id.isEmpty }
    }
}

@Suite("Start-up checks")
struct StartupTests {
    func dataDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("covenant-startup-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("2.2: production refuses generated keys, a readable key file and missing TLS, saying why")
    func productionRefusals() throws {
        // setup
        var config = AppConfig()
        config.environment = .production
        config.dataDir = try dataDir()
        // missing key file and TLS
        var problems = StartupChecks.productionProblems(config: config, keyFileExists: false, keys: nil)
        #expect(problems.contains { $0.contains("No key file") && $0.contains("covenant keys init") })
        #expect(problems.contains { $0.contains("TLS is not configured") })
        // generated keys, world-readable
        let generated = KeyMaterial.random(origin: .generated, nowMillis: 0)
        try KeyFile.write(generated, path: config.keyFilePath)
        #expect(KeyFile.permissions(path: config.keyFilePath) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config.keyFilePath)
        problems = StartupChecks.productionProblems(config: config, keyFileExists: true, keys: generated)
        #expect(problems.contains { $0.contains("generated automatically") })
        #expect(problems.contains { $0.contains("readable by others") && $0.contains("chmod 600") })
        // weak bcrypt
        config.security.passwordHashCost = 10
        problems = StartupChecks.productionProblems(config: config, keyFileExists: true, keys: generated)
        #expect(problems.contains { $0.contains("bcrypt cost") })
        // notices travel encrypted: a plain SMTP relay or an http:// webhook is refused
        config.smtpURL = "smtp://relay.example:25"
        config.noticeWebhookURL = "http://push.example/hook"
        problems = StartupChecks.productionProblems(config: config, keyFileExists: true, keys: generated)
        #expect(problems.contains { $0.contains("COVENANT_SMTP_URL") })
        #expect(problems.contains { $0.contains("COVENANT_NOTICE_WEBHOOK_URL") })
        config.smtpURL = "smtp://relay.example:587?starttls"
        config.noticeWebhookURL = "https://push.example/hook"
        problems = StartupChecks.productionProblems(config: config, keyFileExists: true, keys: generated)
        #expect(!problems.contains { $0.contains("COVENANT_SMTP_URL") || $0.contains("WEBHOOK") })
    }

    @Test("2.2: production starts with provisioned keys, mode 0600 and TLS files")
    func productionAccepts() throws {
        var config = AppConfig()
        config.environment = .production
        config.dataDir = try dataDir()
        let provisioned = KeyMaterial.random(origin: .provisioned, nowMillis: 0)
        try KeyFile.write(provisioned, path: config.keyFilePath)
        for name in ["cert.pem", "key.pem"] {
            _ = FileManager.default.createFile(atPath: config.dataDir + "/" + name, contents: Data("x".utf8))
        }
        config.tlsCertificatePath = config.dataDir + "/cert.pem"
        config.tlsKeyPath = config.dataDir + "/key.pem"
        #expect(StartupChecks.productionProblems(config: config, keyFileExists: true, keys: provisioned).isEmpty)
        // and development never refuses
        config.environment = .development
        #expect(StartupChecks.productionProblems(config: config, keyFileExists: false, keys: nil).isEmpty)
    }
}
