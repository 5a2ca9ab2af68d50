import Domain
import Foundation
import Logging
public import Marketplace
public import Storage

/// Where the platform runs and how. Built by the CLI from flags > environment > defaults;
/// tests build it directly (DESIGN.md, example 7).
public struct AppConfig: Sendable {
    public enum Environment: String, Sendable, CaseIterable {
        case development, production, test
    }

    public var environment: Environment = .development
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDir = "./covenant-data"
    /// nil selects the embedded SQLite file in the data directory.
    public var database: DatabaseLocation?
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Largest JSON request body accepted (413 beyond).
    public var maxBodyBytes = 64 * 1024
    /// Use the last `X-Forwarded-For` address as the client address (only behind a trusted proxy).
    public var trustForwardedFor = false
    /// Scheduled backups of the embedded database: every this many hours (0: off), keeping this many.
    public var backupIntervalHours = 24
    public var backupKeep = 7
    /// The intrusion shield's limits and allow-list (clause 2.2).
    public var shield = ShieldSettings()
    public var security = SecuritySettings()
    /// Share the risk engine's counters with other instances through the database (always on PostgreSQL).
    public var shareRiskSignals = false
    /// The identity-verification provider (real-name checks): its base URL and the base64 HMAC secret that
    /// signs requests to it. Without them, identity checks answer 503 (`serve --demo` runs a sandbox).
    public var identityProviderURL: String?
    public var identityProviderSecret: String?
    /// The payment institution: base URL, API key, and the base64 HMAC secret its callbacks are signed with.
    /// Without them, payments answer 503 (`serve --demo` runs the payment sandbox).
    public var paymentProviderURL: String?
    public var paymentProviderAPIKey: String?
    public var paymentProviderSecret: String?
    /// The SMTP relay for e-mail notices (`smtp://user:password@host:587?starttls` or `smtps://host:465`), the
    /// sender address, and an optional PEM file of extra trust roots; without a relay e-mail stays in the outbox.
    public var smtpURL: String?
    public var smtpFrom = "security@covenant.example"
    public var smtpTrustRootsPath: String?
    /// A provider that relays notices by webhook, and the base64 HMAC secret (≥ 32 bytes) that signs them.
    public var noticeWebhookURL: String?
    public var noticeWebhookSecret: String?
    /// The address consumers and providers reach the platform at (callbacks); defaults to http://host:port.
    public var publicURL: String?

    public init() {}

    public var keyFilePath: String { dataDir + "/keys.json" }
    public var databaseLocation: DatabaseLocation { database ?? .sqliteFile(dataDir + "/covenant.sqlite") }
    public var tlsEnabled: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }
    public var publicBaseURL: String { publicURL ?? "\(tlsEnabled ? "https" : "http")://\(host):\(port)" }

    /// Reads `COVENANT_*` environment variables over the defaults; flags are applied by the CLI afterwards.
    public static func fromEnvironment(_ env: [String: String]) -> AppConfig {
        var config = AppConfig()
        if let value = env["COVENANT_ENVIRONMENT"], let parsed = Environment(rawValue: value) {
            config.environment = parsed
        }
        if let value = env["COVENANT_HOST"] { config.host = value }
        if let value = env["COVENANT_PORT"], let port = Int(value) { config.port = port }
        if let value = env["COVENANT_DATA_DIR"] { config.dataDir = value }
        if let value = env["COVENANT_DATABASE_URL"], !value.isEmpty { config.database = .parse(value) }
        if let value = env["COVENANT_TLS_CERT"] { config.tlsCertificatePath = value }
        if let value = env["COVENANT_TLS_KEY"] { config.tlsKeyPath = value }
        if let value = env["COVENANT_IDENTITY_URL"], !value.isEmpty { config.identityProviderURL = value }
        if let value = env["COVENANT_IDENTITY_SECRET"], !value.isEmpty { config.identityProviderSecret = value }
        if let value = env["COVENANT_PAYMENT_URL"], !value.isEmpty { config.paymentProviderURL = value }
        if let value = env["COVENANT_PAYMENT_API_KEY"], !value.isEmpty { config.paymentProviderAPIKey = value }
        if let value = env["COVENANT_PAYMENT_SECRET"], !value.isEmpty { config.paymentProviderSecret = value }
        if let value = env["COVENANT_PUBLIC_URL"], !value.isEmpty { config.publicURL = value }
        if let value = env["COVENANT_SMTP_URL"], !value.isEmpty { config.smtpURL = value }
        if let value = env["COVENANT_SMTP_FROM"], !value.isEmpty { config.smtpFrom = value }
        if let value = env["COVENANT_SMTP_CA"], !value.isEmpty { config.smtpTrustRootsPath = value }
        if let value = env["COVENANT_NOTICE_WEBHOOK_URL"], !value.isEmpty { config.noticeWebhookURL = value }
        if let value = env["COVENANT_NOTICE_WEBHOOK_SECRET"], !value.isEmpty { config.noticeWebhookSecret = value }
        if let value = env["COVENANT_TRUST_FORWARDED_FOR"] {
            config.trustForwardedFor = value == "1" || value == "true"
        }
        if let value = env["COVENANT_BACKUP_INTERVAL_HOURS"], let n = Int(value), n >= 0 {
            config.backupIntervalHours = n
        }
        if let value = env["COVENANT_BACKUP_KEEP"], let n = Int(value), n >= 1 { config.backupKeep = n }
        if let value = env["COVENANT_SHIELD_ALLOW"] {
            config.shield.allow = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = env["COVENANT_SHIELD_RATE_LIMITS"] {
            config.shield.rateLimits = value != "0" && value != "false"
        }
        if let value = env["COVENANT_SESSION_IDLE_SECONDS"], let n = Int64(value) {
            config.security.sessionIdleSeconds = n
        }
        if let value = env["COVENANT_LOCKOUT_THRESHOLD"], let n = Int(value) { config.security.lockoutThreshold = n }
        if let value = env["COVENANT_LOCKOUT_SECONDS"], let n = Int64(value) {
            config.security.lockoutDurationSeconds = n
        }
        if env["COVENANT_RISK_SHARE_SIGNALS"] == "1" { config.shareRiskSignals = true }
        // Dispute deadlines (clause 2.4.4); a value that is not a positive whole number keeps the default.
        func positive(_ name: String) -> Int64? { env[name].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil } }
        if let n = positive("COVENANT_DISPUTE_RESPONSE_HOURS") { config.security.disputes.merchantResponseHours = n }
        if let n = positive("COVENANT_DISPUTE_ESCALATE_DAYS") { config.security.disputes.escalateAfterDays = n }
        if let n = positive("COVENANT_DISPUTE_ARBITRATION_DAYS") { config.security.disputes.arbitrationDays = n }
        if let n = positive("COVENANT_DISPUTE_APPEAL_DAYS") { config.security.disputes.appealDays = n }
        return config
    }
}
