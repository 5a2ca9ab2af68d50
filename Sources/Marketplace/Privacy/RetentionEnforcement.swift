import Foundation
import Privacy
import SQLKit
import Storage

/// Enforces the data catalog's retention periods (clause 2.3.5; Cybersecurity Law Art. 21 keeps network logs at
/// least 6 months): rows whose period has passed are deleted, and every run that removes something is audited.
public enum RetentionEnforcement {
    /// One table's rule: when a row's period starts is table-specific; how long it is comes from the catalog.
    struct Rule: Sendable {
        let table: String
        /// Rows whose retention period ended before `cutoff`.
        let expired: @Sendable (_ cutoff: Int64) -> SQLQueryString
    }

    static let rules: [Rule] = [
        // A session ends at the first of revocation, absolute expiry and idle timeout.
        Rule(table: "sessions") { cutoff in
            """
            (revoked_at IS NOT NULL AND revoked_at < \(bind: cutoff)) OR expires_at < \(bind: cutoff)
            OR last_seen_at + idle_timeout_ms < \(bind: cutoff)
            """
        },
        Rule(table: "login_attempts") { cutoff in "at < \(bind: cutoff)" },
        Rule(table: "login_locks") { cutoff in
            "reset_at < \(bind: cutoff) AND (locked_until IS NULL OR locked_until < \(bind: cutoff))"
        },
        Rule(table: "staff_training") { cutoff in "expires_at < \(bind: cutoff)" },
        Rule(table: "privacy_requests") { cutoff in "completed_at IS NOT NULL AND completed_at < \(bind: cutoff)" },
        Rule(table: "consents") { cutoff in "withdrawn_at IS NOT NULL AND withdrawn_at < \(bind: cutoff)" },
        // Tombstones of erased accounts, once nothing refers to them any more.
        Rule(table: "accounts") { cutoff in
            """
            status = 'erased' AND updated_at < \(bind: cutoff)
            AND id NOT IN (SELECT account_id FROM sessions) AND id NOT IN (SELECT staff_id FROM staff_training)
            """
        },
        Rule(table: "idempotency_keys") { cutoff in "created_at < \(bind: cutoff)" },
        Rule(table: "orders") { cutoff in
            "status IN ('completed', 'cancelled', 'refunded') AND updated_at < \(bind: cutoff)"
        },
        Rule(table: "waybill_grants") { cutoff in "granted_at < \(bind: cutoff)" },
        Rule(table: "order_lines") { _ in "order_id NOT IN (SELECT id FROM orders)" },
        Rule(table: "checkouts") { cutoff in
            "created_at < \(bind: cutoff) AND id NOT IN (SELECT checkout_id FROM orders)"
        },
        // Withdrawn and rejected listings; orders keep their own copy of what was bought.
        Rule(table: "listings") { cutoff in
            "status IN ('withdrawn', 'rejected') AND updated_at < \(bind: cutoff)"
        },
        // Payments and refunds go with their orders; event ids once no callback could be fresh.
        Rule(table: "payments") { cutoff in
            "created_at < \(bind: cutoff) AND checkout_id NOT IN (SELECT checkout_id FROM orders)"
        },
        Rule(table: "refunds") { _ in "order_id NOT IN (SELECT id FROM orders)" },
        Rule(table: "payment_events") { cutoff in "received_at < \(bind: cutoff)" },
        Rule(table: "payouts") { cutoff in "status = 'paid' AND updated_at < \(bind: cutoff)" },
        Rule(table: "reviews") { cutoff in "created_at < \(bind: cutoff)" },
        Rule(table: "review_signals") { cutoff in "created_at < \(bind: cutoff)" },
        Rule(table: "disputes") { cutoff in "status IN ('closed', 'withdrawn') AND updated_at < \(bind: cutoff)" },
        Rule(table: "dispute_events") { _ in "dispute_id NOT IN (SELECT id FROM disputes)" },
        Rule(table: "dispute_evidence") { _ in "dispute_id NOT IN (SELECT id FROM disputes)" },
        Rule(table: "complaints") { cutoff in "status <> 'open' AND created_at < \(bind: cutoff)" },
        // An acceptance is proof while it is the party's latest for its document; superseded ones age out.
        Rule(table: "rule_acceptances") { cutoff in
            """
            accepted_at < \(bind: cutoff) AND EXISTS (SELECT 1 FROM rule_acceptances n
              WHERE n.party_id = rule_acceptances.party_id AND n.document = rule_acceptances.document
                AND n.accepted_at > rule_acceptances.accepted_at)
            """
        },
        Rule(table: "violations") { cutoff in "created_at < \(bind: cutoff)" },
        Rule(table: "sanctions") { cutoff in
            "lifted_at < \(bind: cutoff) OR (level = 'warning' AND created_at < \(bind: cutoff))"
        },
        Rule(table: "sanction_appeals") { _ in "sanction_id NOT IN (SELECT id FROM sanctions)" },
        Rule(table: "providers") { cutoff in "status = 'revoked' AND updated_at < \(bind: cutoff)" },
        Rule(table: "provider_assessments") { cutoff in "assessed_on < \(bind: cutoff)" },
        Rule(table: "provider_credentials") { cutoff in "expires_at < \(bind: cutoff)" },
        Rule(table: "disclosures") { cutoff in "disclosed_at < \(bind: cutoff)" },
        Rule(table: "incidents") { cutoff in "status = 'closed' AND updated_at < \(bind: cutoff)" },
        Rule(table: "incident_events") { _ in "incident_id NOT IN (SELECT id FROM incidents)" },
        Rule(table: "incident_subjects") { _ in "incident_id NOT IN (SELECT id FROM incidents)" },
        Rule(table: "incident_tasks") { _ in "incident_id NOT IN (SELECT id FROM incidents)" },
        Rule(table: "notifications") { cutoff in "status <> 'pending' AND created_at < \(bind: cutoff)" },
        Rule(table: "vulnerabilities") { cutoff in "status <> 'open' AND closed_at < \(bind: cutoff)" },
        Rule(table: "risk_signals") { cutoff in "at < \(bind: cutoff)" },
        Rule(table: "shield_usage") { cutoff in "at < \(bind: cutoff)" },
        Rule(table: "step_up_codes") { cutoff in "issued_at < \(bind: cutoff)" },
        Rule(table: "maintenance_jobs") { cutoff in "finished_at IS NOT NULL AND finished_at < \(bind: cutoff)" },
        Rule(table: "shield_bans") { cutoff in "until < \(bind: cutoff)" },
        Rule(table: "shield_events") { cutoff in "at < \(bind: cutoff)" },
        Rule(table: "force_majeure") { cutoff in "settled_at IS NOT NULL AND ends_at < \(bind: cutoff)" },
        Rule(table: "risk_decisions") { cutoff in "created_at < \(bind: cutoff)" },
        Rule(table: "risk_cases") { cutoff in "status = 'decided' AND created_at < \(bind: cutoff)" },
        Rule(table: "risk_lists") { cutoff in "added_at < \(bind: cutoff)" },
        Rule(table: "subject_keys") { cutoff in "destroyed_at IS NOT NULL AND destroyed_at < \(bind: cutoff)" },
    ]

    /// Tables whose catalog entries have a period of time; each must have a rule (a test holds this).
    public static var tablesWithPeriods: Set<String> {
        Set(DataCatalog.entries.filter { $0.retention.minimumMillis != nil }.map(\.table))
    }

    public static var tablesWithRules: Set<String> { Set(rules.map(\.table)) }

    /// Deletes what has passed its period; returns the rows removed per table (tables with none are left out).
    @discardableResult
    public static func run(platform: Platform) async throws -> [String: Int] {
        let now = platform.now
        return try await platform.db.transaction { db in
            var removed: [String: Int] = [:]
            for rule in rules {
                guard let period = period(of: rule.table) else { continue }
                var sql: SQLQueryString = "DELETE FROM \(ident: rule.table) WHERE "
                sql.appendInterpolation(rule.expired(now - period))
                sql.appendLiteral(" RETURNING 1 AS removed")
                let count = try await db.raw(sql).all().count
                if count > 0 { removed[rule.table] = count }
            }
            if !removed.isEmpty {
                try await AuditTrail.record(
                    AuditEvent(
                        "retention.purge", actor: nil, object: "retention",
                        details: removed.mapValues(String.init)),
                    platform: platform, on: db)
            }
            return removed
        }
    }

    /// The longest period among the table's catalogued columns: a row goes only when all of it may go.
    /// Columns kept "until the account is deleted" are already cleared or crypto-shredded by erasure.
    /// A table with any permanent column is never purged.
    static func period(of table: String) -> Int64? {
        let entries = DataCatalog.entries.filter { $0.table == table }
        guard !entries.contains(where: { $0.retention == .permanent }) else { return nil }
        return entries.compactMap(\.retention.minimumMillis).max()
    }
}
