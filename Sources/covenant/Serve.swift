import App
import ArgumentParser
import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import Providers
import Storage

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform (HTTP API and background services).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (env COVENANT_HOST).") var host: String?
    @Option(help: "Port to listen on (env COVENANT_PORT).") var port: Int?
    @Option(help: "TLS certificate chain (PEM).") var tlsCert: String?
    @Option(help: "TLS private key (PEM).") var tlsKey: String?
    @Option(
        help:
            "With TLS, also listen for plain HTTP on this port and redirect it to HTTPS (env COVENANT_HTTP_REDIRECT_PORT)."
    )
    var httpRedirectPort: Int?
    @Flag(help: "Seed demo data and print the demo logins.") var demo = false

    func run() async throws {
        var config = try common.config()
        if let host { config.host = host }
        if let port { config.port = port }
        if let tlsCert { config.tlsCertificatePath = tlsCert }
        if let tlsKey { config.tlsKeyPath = tlsKey }
        let logger = Runtime.logger()
        var platform = try await Runtime.open(config: config, logger: logger, demo: demo)
        do {
            if demo { try await DemoCommand.seedAndPrint(platform: platform, config: config) }
            let sandbox = demo && config.identityProviderURL == nil ? DemoSandbox() : nil
            if sandbox != nil { platform.textMessages = ConsoleOutbox() }
            let changed = try await ConfigurationChanges.record(config.security, platform: platform)
            if !changed.isEmpty { logger.notice("security settings recorded", metadata: ["changed": "\(changed)"]) }
            let scheme = config.tlsEnabled ? "https" : "http"
            let banner =
                "Covenant is serving at \(scheme)://\(config.host):\(config.port)/  (database: \(config.databaseLocation))"
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let sandbox {
                    platform.identityVerifier = try await sandbox.start(in: &group)
                }
                if demo && config.paymentProviderURL == nil {
                    platform.payments = try await DemoPayments.start(
                        in: &group, storage: config.dataDir + "/payment-sandbox.json")
                }
                let redirectPort =
                    httpRedirectPort
                    ?? ProcessInfo.processInfo.environment["COVENANT_HTTP_REDIRECT_PORT"].flatMap(Int.init)
                if let redirectPort {
                    guard config.tlsEnabled else {
                        throw CLIFailure("--http-redirect-port needs TLS (--tls-cert, --tls-key).")
                    }
                    let redirect = Application(
                        router: buildRedirectRouter(httpsPort: config.port, fallbackHost: config.host),
                        configuration: .init(
                            address: .hostname(config.host, port: redirectPort), serverName: "covenant"),
                        logger: logger)
                    group.addTask { try await redirect.runService() }
                    say("Plain HTTP on port \(redirectPort) redirects to HTTPS.")
                }
                let app = try buildApplication(platform: platform, config: config, logger: logger) { say(banner) }
                // runService handles SIGTERM/SIGINT: it stops accepting, finishes in-flight requests, then returns.
                try await app.runService()
                group.cancelAll()
            }
        } catch {
            await platform.db.shutdown()
            throw error
        }
        await platform.db.shutdown()
    }
}

enum DemoCommand {
    /// Seeds once; prints the demo logins kept (0600) in the data directory.
    static func seedAndPrint(platform: Platform, config: AppConfig) async throws {
        let path = config.dataDir + "/demo-logins.json"
        if let logins = try await Demo.seed(platform: platform) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            _ = FileManager.default.createFile(
                atPath: path, contents: try encoder.encode(logins), attributes: [.posixPermissions: 0o600])
        }
        guard let data = FileManager.default.contents(atPath: path),
            let logins = try? JSONDecoder().decode([DemoLogin].self, from: data)
        else {
            say("Demo data exists but \(path) is missing; create staff with `covenant staff add`.")
            return
        }
        say("Demo logins (generated for this install; kept in \(path)):")
        for login in logins {
            var line =
                "  \(login.role.padding(toLength: 28, withPad: " ", startingAt: 0)) \(login.login)  password: \(login.password)"
            if let secret = login.totpSecret {
                line += "  TOTP secret: \(secret)  (current code: covenant totp \(secret))"
            }
            say(line)
        }
    }
}

/// `serve --demo` without a configured provider: the identity sandbox in the same process, on a free port, with
/// two test identities, so real-name verification works end to end.
struct DemoSandbox {
    let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255) })

    func start(in group: inout ThrowingTaskGroup<Void, any Error>) async throws -> HTTPIdentityVerifier {
        let sandbox = IdentitySandbox(secret: secret)
        var lines = ["Identity sandbox (demo): test identities for real-name verification:"]
        for (name, first17) in [("张三", "11010519491231002"), ("李四", "44030619900101123")] {
            guard let check = ResidentID.checkCharacter(for: first17) else { continue }
            sandbox.register(name: name, idNumber: first17 + String(check))
            lines.append("  \(name)  \(first17)\(check)")
        }
        var quiet = Logger(label: "identity-sandbox")
        quiet.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = sandbox.application(logger: quiet) { port in continuation.yield(port) }
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIFailure("The identity sandbox did not start.") }
        lines.forEach(say)
        return HTTPIdentityVerifier(baseURL: "http://127.0.0.1:\(port)", secret: secret)
    }
}

/// `serve --demo` without a configured payment provider: the payment sandbox in the same process, on a free port,
/// keeping its records next to the demo database.
enum DemoPayments {
    static func start(in group: inout ThrowingTaskGroup<Void, any Error>, storage: String) async throws
        -> HTTPPaymentProvider
    {
        let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        let apiKey = Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var quiet = Logger(label: "payment-sandbox")
        quiet.logLevel = .warning
        var options = PaymentSandbox.Options()
        options.storagePath = storage
        let sandbox = try PaymentSandbox(apiKey: apiKey, callbackSecret: secret, options: options, logger: quiet)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = sandbox.application { port in continuation.yield(port) }
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CLIFailure("The payment sandbox did not start.") }
        say(
            "Payment sandbox (demo) at http://127.0.0.1:\(port): pay with test card \(PaymentSandbox.succeedingCard) "
                + "(\(PaymentSandbox.decliningCard) is declined; \(PaymentSandbox.challengeCard) asks for code "
                + "\(PaymentSandbox.challengeCode)).")
        return HTTPPaymentProvider(baseURL: "http://127.0.0.1:\(port)", apiKey: apiKey, callbackSecret: secret)
    }
}

/// Demo only: one-time codes are printed on the console (masked number) instead of sent.
struct ConsoleOutbox: TextMessageSender {
    func send(to phone: String, text: String) async throws {
        say("[text message to \(Masking.mask(phone: phone))] \(text)")
    }
}
