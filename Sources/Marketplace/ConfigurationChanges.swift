import Foundation
import Risk
import Storage

extension SecuritySettings {
    /// Every setting by name, as text: what is compared between starts and shown in the audit log.
    public var values: [String: String] {
        [
            "password_hash_cost": String(passwordHashCost),
            "lockout_threshold": String(lockoutThreshold),
            "lockout_window_seconds": String(lockoutWindowSeconds),
            "lockout_duration_seconds": String(lockoutDurationSeconds),
            "ip_failure_limit": String(ipFailureLimit),
            "ip_window_seconds": String(ipWindowSeconds),
            "session_idle_seconds": String(sessionIdleSeconds),
            "privileged_session_lifetime_seconds": String(privilegedSessionLifetimeSeconds),
            "consumer_session_lifetime_seconds": String(consumerSessionLifetimeSeconds),
            "verified_buyer_threshold_fen": String(verifiedBuyerThresholdFen),
            "payment_window_seconds": String(paymentWindowSeconds),
            "waybill_days_after_completion": String(waybillDaysAfterCompletion),
        ]
    }
}

/// Configuration changes are security events (2.2): settings come from flags and the environment, so each
/// start compares the settings in force with those last recorded and audits every difference.
public enum ConfigurationChanges {
    /// Records the settings now in force; returns the names that changed (all of them on a first start).
    @discardableResult
    public static func record(_ settings: SecuritySettings, platform: Platform) async throws -> [String] {
        try await platform.db.transaction { db in
            let previous = try await ConfigurationStore.all(on: db)
            // The risk engine's rule sets and model are configuration too: changing them is audited (2.4.3).
            let risk = [
                "risk_rules_version": platform.risk.live.version,
                "risk_shadow_rules_version": platform.risk.shadow?.version ?? "none",
                "risk_model_version": platform.risk.model?.version ?? "none",
            ]
            let current = settings.values.merging(risk) { $1 }
            let changed = current.keys.filter { previous[$0] != current[$0] }.sorted()
            guard !changed.isEmpty else { return [] }
            var details: [String: String] = [:]
            for name in changed {
                details[name] = "\(previous[name] ?? "unset") -> \(current[name] ?? "")"
                try await ConfigurationStore.set(name, to: current[name] ?? "", at: platform.now, on: db)
            }
            try await AuditTrail.record(
                AuditEvent(
                    previous.isEmpty ? "config.initialized" : "config.changed", actor: nil,
                    object: "configuration:security", details: details),
                platform: platform, on: db)
            return changed
        }
    }
}
