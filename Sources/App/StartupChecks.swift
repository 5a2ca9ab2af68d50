import Domain
import Foundation
import Logging
import Marketplace
public import Privacy
import Storage

/// Why the platform refuses to start in production; each message says exactly what to fix.
public enum StartupChecks {
    public static func productionProblems(
        config: AppConfig, keyFileExists: Bool, keys: KeyMaterial?, demo: Bool = false
    ) -> [String] {
        guard config.environment == .production else { return [] }
        var problems: [String] = []
        if demo {
            problems.append(
                "Demo data (--demo) is never seeded in production: it prints passwords and two-factor secrets.")
        }
        if !keyFileExists {
            problems.append(
                "No key file at \(config.keyFilePath). Create one with `covenant keys init --data-dir \(config.dataDir)`."
            )
        } else {
            if let mode = KeyFile.permissions(path: config.keyFilePath), mode & 0o077 != 0 {
                problems.append(
                    "The key file \(config.keyFilePath) is readable by others (mode \(String(mode, radix: 8))). "
                        + "Run `chmod 600 \(config.keyFilePath)`.")
            }
            if keys?.origin == .generated {
                problems.append(
                    "The key file \(config.keyFilePath) holds keys generated automatically for development. "
                        + "Provision keys with `covenant keys init --data-dir \(config.dataDir)` on a fresh data directory."
                )
            }
        }
        if !config.tlsEnabled {
            problems.append(
                "TLS is not configured. Pass --tls-cert and --tls-key (or COVENANT_TLS_CERT/COVENANT_TLS_KEY).")
        } else {
            for path in [config.tlsCertificatePath, config.tlsKeyPath].compactMap({ $0 })
            where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("The TLS file \(path) cannot be read.")
            }
        }
        // Notices carry what was breached about a person: they travel encrypted or not at all.
        if let smtp = config.smtpURL, smtp.hasPrefix("smtp://"), !smtp.contains("starttls") {
            problems.append("COVENANT_SMTP_URL sends e-mail in clear: use smtps:// or add ?starttls.")
        }
        if let hook = config.noticeWebhookURL, !hook.hasPrefix("https://") {
            problems.append("COVENANT_NOTICE_WEBHOOK_URL must be https:// in production.")
        }
        if config.security.passwordHashCost < 12 {
            problems.append("The bcrypt cost is \(config.security.passwordHashCost); production needs at least 12.")
        }
        return problems
    }
}
