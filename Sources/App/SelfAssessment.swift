import Domain
import Foundation
public import Marketplace
import Privacy
import SQLKit
import Storage

/// `covenant assess` (clause 2.2: regular risk assessment): the running configuration and state checked item by
/// item, each with the clause it serves and how to fix it.
public enum SelfAssessment {
    public struct Finding: Sendable, Codable, Equatable {
        public let item: String
        public let passed: Bool
        public let clause: String
        public let detail: String
        public let fix: String
    }

    /// Facts from outside the database: the key file and the backups directory.
    public struct Facts: Sendable {
        public let keysGenerated: Bool
        public let keyFileMode: Int?
        /// Newest backup file's modification time (ms), if any.
        public let newestBackupAt: Int64?
        /// Whether that backup passed `covenant backup verify` as it is now (`Backups.isVerified`).
        public let newestBackupVerified: Bool

        public init(keysGenerated: Bool, keyFileMode: Int?, newestBackupAt: Int64?, newestBackupVerified: Bool) {
            self.keysGenerated = keysGenerated
            self.keyFileMode = keyFileMode
            self.newestBackupAt = newestBackupAt
            self.newestBackupVerified = newestBackupVerified
        }
    }

    /// Master keys older than this should be rotated.
    static let keyRotationDays: Int64 = 365
    static let backupMaxAgeDays: Int64 = 1

    public static func run(platform: Platform, config: AppConfig, facts: Facts) async throws -> [Finding] {
        let now = platform.clock.nowMillis
        var findings: [Finding] = []
        func check(_ item: String, _ passed: Bool, _ clause: String, _ detail: String, _ fix: String) {
            findings.append(Finding(item: item, passed: passed, clause: clause, detail: detail, fix: fix))
        }
        check(
            "tls", config.tlsEnabled, "2.2", config.tlsEnabled ? "TLS is on" : "TLS is off",
            "Set --tls-cert and --tls-key (or COVENANT_TLS_CERT / COVENANT_TLS_KEY).")
        check(
            "keys-provisioned", !facts.keysGenerated, "2.3.2",
            facts.keysGenerated ? "the keys were generated automatically" : "the keys were provisioned",
            "Provision keys with `covenant keys init` and keep the key file off the database host's backups.")
        let keyAgeDays = (now - platform.keys.currentMasterCreatedAt) / 86_400_000
        check(
            "key-age", keyAgeDays <= keyRotationDays, "2.3.2", "the master key is \(keyAgeDays) days old",
            "Rotate with `covenant keys rotate`, then `covenant keys rewrap`.")
        check(
            "key-file-mode", facts.keyFileMode.map { $0 & 0o077 == 0 } ?? false, "2.2",
            facts.keyFileMode.map { String(format: "the key file's mode is %o", $0) } ?? "no key file",
            "chmod 600 the key file.")
        let coverage = try await TwoFactorCoverage.measure(platform: platform)
        let uncovered = coverage.total - coverage.enrolled
        check(
            "two-factor-coverage", uncovered == 0, "3.2",
            uncovered == 0
                ? "every merchant and staff account uses two-factor"
                : "\(uncovered) merchant or staff "
                    + "accounts without two-factor",
            "They are asked to enrol at their next sign-in; find them with GET /api/v1/staff/accounts.")
        let overdue = try await ServiceProviders.overdueReviews(platform: platform)
        check(
            "provider-assessments", overdue.isEmpty, "2.6",
            overdue.isEmpty
                ? "every active provider has a passing, current security assessment"
                : "\(overdue.count) active provider(s) without a passing, current assessment: "
                    + overdue.joined(separator: ", "),
            "Assess them (POST /api/v1/staff/providers/{id}/assessments) or suspend them.")
        let lateFixes = try await Vulnerabilities.overdue(platform: platform)
        check(
            "vulnerabilities", lateFixes.isEmpty, "2.2",
            lateFixes.isEmpty
                ? "no open vulnerability is past its fix-by date"
                : "\(lateFixes.count) open vulnerabilities past their fix-by date: "
                    + lateFixes.joined(separator: "; "),
            "Fix them, or record an accepted risk with its reason (POST /api/v1/staff/vulnerabilities/{id}/close).")
        let backupAge = facts.newestBackupAt.map { (now - $0) / 3_600_000 }
        check(
            "backups", (backupAge.map { $0 <= backupMaxAgeDays * 24 } ?? false) && facts.newestBackupVerified, "2.2",
            backupAge.map {
                "the newest backup is \($0) hours old and "
                    + (facts.newestBackupVerified ? "verified" : "was never verified")
            } ?? "no backup in the backups directory",
            "Run `covenant backup create` daily and `covenant backup verify` on the result.")
        let verdict = try await AuditVerification.verifyStored(platform: platform)
        if case .intact = verdict {
            check("audit-log", true, "2.2", verdict.description, "")
        } else {
            check("audit-log", false, "2.2", verdict.description, "Investigate: the log was modified (an incident).")
        }
        let ledger = try await Settlement.check(platform: platform, reconcile: false)
        check("ledger", ledger == nil, "2.4.2", ledger ?? "every invariant holds", "Investigate the named entry.")
        let settings = config.security
        check(
            "password-hashing", settings.passwordHashCost >= 12, "3.2", "bcrypt cost \(settings.passwordHashCost)",
            "Use a bcrypt cost of 12 or more.")
        check(
            "session-timeouts",
            settings.sessionIdleSeconds <= 15 * 60
                && settings.privilegedSessionLifetimeSeconds
                    <= 12 * 3600,
            "3.2",
            "idle \(settings.sessionIdleSeconds) s, privileged lifetime \(settings.privilegedSessionLifetimeSeconds) s",
            "Idle timeout at most 15 minutes; merchant and staff sessions at most 12 hours.")
        check(
            "lockout", settings.lockoutThreshold <= 10, "3.2", "lockout after \(settings.lockoutThreshold) failures",
            "Lock accounts after at most 10 failed sign-ins.")
        return findings
    }
}
