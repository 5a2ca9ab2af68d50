import App
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Marketplace
import Providers

/// `covenant payment-sandbox`: the stand-in payment institution, as its own process with its own storage.
struct PaymentSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment-sandbox",
        abstract: "Run the payment sandbox (a stand-in licensed payment institution) as its own HTTP service.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the chosen port is printed).") var port = 8090
    @Option(help: "File the sandbox keeps its records in (default: in memory).") var storage: String?
    @Option(help: "API key the platform authenticates with (env COVENANT_PAYMENT_API_KEY).") var apiKey: String?
    @Option(help: "Base64 secret (32+ bytes) that signs callbacks (env COVENANT_PAYMENT_SECRET).")
    var callbackSecret: String?
    @Option(help: "Chance (0 to 1) that a delivered callback is delivered a second time.") var duplicateRate = 0.2
    @Option(help: "First callback retry delay in milliseconds (doubles per attempt).") var retryBaseMillis: Int64 = 500

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? env["COVENANT_PAYMENT_API_KEY"], !key.isEmpty,
            let secret = (callbackSecret ?? env["COVENANT_PAYMENT_SECRET"]).flatMap({ Data(base64Encoded: $0) }),
            secret.count >= 32
        else {
            throw ValidationError(
                "Give --api-key and --callback-secret (base64, at least 32 bytes), or set COVENANT_PAYMENT_API_KEY "
                    + "and COVENANT_PAYMENT_SECRET.")
        }
        guard (0...1).contains(duplicateRate) else { throw ValidationError("--duplicate-rate is between 0 and 1.") }
        var options = PaymentSandbox.Options()
        options.duplicateRate = duplicateRate
        options.retryBaseMillis = retryBaseMillis
        options.storagePath = storage
        let sandbox = try PaymentSandbox(
            apiKey: key, callbackSecret: secret, options: options, logger: Logger(label: "payment-sandbox"))
        let app = sandbox.application(host: host, port: port) { [host] chosen in
            say("Payment sandbox listening on http://\(host):\(chosen)")
        }
        try await app.runService()
    }
}

/// `covenant ledger check`: every ledger invariant, reconciled with the payment institution when one is set.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Check the double-entry ledger.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every ledger invariant; exits non-zero naming the first violation.")

        @OptionGroup var common: CommonOptions
        @Flag(help: "Skip reconciling with the payment provider (when none is configured or reachable).")
        var offline = false

        func run() async throws {
            let config = try common.config()
            let reconcile = !offline && config.paymentProviderURL != nil
            let violation = try await Runtime.withPlatform(config: config) { platform in
                try await Settlement.check(platform: platform, reconcile: reconcile)
            }
            if let violation { throw CLIFailure("Ledger check failed: \(violation)") }
            say("Ledger check passed" + (reconcile ? " (reconciled with the payment provider)." : "."))
        }
    }
}
