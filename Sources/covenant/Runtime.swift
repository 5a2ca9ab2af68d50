import App
import Crypto
import Domain
import Foundation
import Logging
import Marketplace
import Privacy
import Providers
import Risk
import Storage

/// Opens the platform: data directory, keys, database, migrations.
enum Runtime {
    static func logger() -> Logger {
        var logger = Logger(label: "covenant")
        logger.logLevel =
            ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap({ Logger.Level(rawValue: $0) }) ?? .info
        return logger
    }

    /// For commands whose output is the result: only warnings and errors on the log.
    static func quietLogger() -> Logger {
        var logger = logger()
        logger.logLevel = max(logger.logLevel, .warning)
        return logger
    }

    /// Runs `body` with the platform open, and closes the database afterwards whether `body` succeeds or not.
    static func withPlatform<T>(
        config: AppConfig, logger: Logger = quietLogger(), _ body: (Platform) async throws -> T
    ) async throws -> T {
        let platform = try await open(config: config, logger: logger)
        do {
            let result = try await body(platform)
            await platform.db.shutdown()
            return result
        } catch {
            await platform.db.shutdown()
            throw error
        }
    }

    /// Prepares everything `serve` and the other commands need, refusing unsafe production set-ups.
    static func open(config: AppConfig, logger: Logger, demo: Bool = false) async throws -> Platform {
        try FileManager.default.createDirectory(
            atPath: config.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let clock = SystemClock()
        let keyFileExists = FileManager.default.fileExists(atPath: config.keyFilePath)
        let production = config.environment == .production
        let material =
            keyFileExists || !production
            ? try KeyFile.load(path: config.keyFilePath, createIfMissing: !production, nowMillis: clock.nowMillis)
            : nil
        let problems = StartupChecks.productionProblems(
            config: config, keyFileExists: keyFileExists, keys: material, demo: demo)
        if !problems.isEmpty {
            throw CLIFailure(
                "Refusing to start in production:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        guard let material else { throw CLIFailure("No key file at \(config.keyFilePath).") }
        let keys = try KeyRing(material: material)
        let db = try DatabaseStack(location: config.databaseLocation, logger: logger)
        do {
            try await db.migrate()
        } catch {
            await db.shutdown()
            throw CLIFailure("Could not open or migrate the database \(config.databaseLocation): \(error)")
        }
        var platform = try Platform(db: db, keys: keys, clock: clock, settings: config.security, logger: logger)
        if let url = config.identityProviderURL {
            guard let secret = config.identityProviderSecret.flatMap({ Data(base64Encoded: $0) }), secret.count >= 32
            else {
                await db.shutdown()
                throw CLIFailure(
                    "COVENANT_IDENTITY_SECRET must be at least 32 bytes of base64 when COVENANT_IDENTITY_URL is set.")
            }
            platform.identityVerifier = HTTPIdentityVerifier(baseURL: url, secret: secret)
        }
        platform.publicAddress.set(config.publicBaseURL)
        if let url = config.paymentProviderURL {
            guard let key = config.paymentProviderAPIKey,
                let secret = config.paymentProviderSecret.flatMap({ Data(base64Encoded: $0) }), secret.count >= 32
            else {
                await db.shutdown()
                throw CLIFailure(
                    "COVENANT_PAYMENT_URL needs COVENANT_PAYMENT_API_KEY and COVENANT_PAYMENT_SECRET (at least 32 bytes "
                        + "of base64).")
            }
            platform.payments = HTTPPaymentProvider(baseURL: url, apiKey: key, callbackSecret: secret)
        }
        do {
            try configureNotices(&platform, config: config)
        } catch {
            await db.shutdown()
            throw error
        }
        let env = ProcessInfo.processInfo.environment
        do {
            platform.risk = try riskEngine(env)
            if let path = env["COVENANT_SANCTION_POLICY"], !path.isEmpty {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CLIFailure("cannot read \(path)")
                }
                platform.sanctionPolicy = try JSONDecoder().decode(SanctionPolicy.self, from: data)
            }
        } catch {
            await db.shutdown()
            throw CLIFailure("Could not load the risk or sanction configuration: \(error)")
        }
        if let id = env["COVENANT_IDENTITY_PROVIDER_ID"], !id.isEmpty { platform.identityProviderId = id }
        guard config.shield.allow.allSatisfy(Shield.isValidAllowEntry) else {
            await db.shutdown()
            throw CLIFailure("COVENANT_SHIELD_ALLOW takes IPv4 addresses or CIDR blocks, separated by commas.")
        }
        platform.shield = Shield(settings: config.shield)
        // Outside the database, so a restored backup can re-apply erasures made after it. With several
        // instances each journals its own; `covenant backup restore --journal` reads the others' too.
        platform.erasureJournal = ErasureJournal(path: config.dataDir + "/erasures.journal")
        try await recordKeyCreation(platform: platform, material: material)
        try await Rulebook.ensureBundled(platform: platform)
        return platform
    }

    /// The SMTP relay and the notice webhook, when configured.
    static func configureNotices(_ platform: inout Platform, config: AppConfig) throws {
        if let url = config.smtpURL {
            guard var smtp = try? SMTPSender.Configuration.parse(url: url, from: config.smtpFrom),
                SMTPSender.isSafeAddress(config.smtpFrom)
            else {
                throw CLIFailure(
                    "COVENANT_SMTP_URL takes smtp://[user:password@]host[:port][?starttls] or smtps://…, and "
                        + "COVENANT_SMTP_FROM an e-mail address.")
            }
            if smtp.username != nil && smtp.security == .none {
                throw CLIFailure("COVENANT_SMTP_URL has credentials: use smtps:// or ?starttls so they are encrypted.")
            }
            if let path = config.smtpTrustRootsPath {
                guard
                    let pem = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) })
                else { throw CLIFailure("cannot read COVENANT_SMTP_CA \(path)") }
                smtp.trustRootsPEM = pem
            }
            platform.emails = SMTPSender(smtp)
        }
        if let url = config.noticeWebhookURL {
            guard let secret = config.noticeWebhookSecret.flatMap({ Data(base64Encoded: $0) }), secret.count >= 32,
                url.hasPrefix("https://") || url.hasPrefix("http://")
            else {
                throw CLIFailure(
                    "COVENANT_NOTICE_WEBHOOK_URL needs an http(s) URL and COVENANT_NOTICE_WEBHOOK_SECRET at least 32 "
                        + "bytes of base64.")
            }
            platform.noticeWebhook = HTTPNoticeWebhook(url: url, secret: secret)
        }
    }

    /// The risk engine from `COVENANT_RISK_RULES` (else the bundled rules), `COVENANT_RISK_SHADOW_RULES` and
    /// `COVENANT_RISK_MODEL` (a LightGBM text model; its version is the start of its SHA-256).
    static func riskEngine(_ env: [String: String]) throws -> RiskEngine {
        func file(_ name: String) throws -> Data? {
            guard let path = env[name], !path.isEmpty else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure("cannot read \(path)") }
            return data
        }
        let live = try file("COVENANT_RISK_RULES").map { try RiskRuleSet.load(json: $0) } ?? RiskChecks.bundledRules()
        let shadow = try file("COVENANT_RISK_SHADOW_RULES").map { try RiskRuleSet.load(json: $0) }
        let model = try file("COVENANT_RISK_MODEL").map { data in
            try riskModel(data, weight: env["COVENANT_RISK_MODEL_WEIGHT"].flatMap(Double.init) ?? 100)
        }
        return RiskEngine(live: live, shadow: shadow, model: model)
    }

    /// A LightGBM text model; its version is the start of its SHA-256.
    static func riskModel(_ data: Data, weight: Double) throws -> RiskModel {
        RiskModel(
            version: String(Hex.encode(SHA256.hash(data: data)).prefix(12)),
            model: try GradientBoostedModel(text: String(decoding: data, as: UTF8.self)), weight: weight)
    }

    /// The first start with a key file records its creation in the audit log (2.2: key events are audited).
    private static func recordKeyCreation(platform: Platform, material: KeyMaterial) async throws {
        guard try await AuditStore.events(type: "keys.create", on: platform.db.sql).isEmpty else { return }
        try await AuditTrail.recordAlone(
            AuditEvent(
                "keys.create", actor: nil, object: "keyring",
                details: ["origin": material.origin.rawValue, "masterVersion": String(keys(material))]),
            platform: platform)
    }

    private static func keys(_ material: KeyMaterial) -> Int {
        material.masterKeys.map(\.version).max() ?? 0
    }
}

/// A failure with a message meant for the operator.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
