import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// What a piece of evidence is: a live `check` that can fail, a live `figure` shown for the record (it cannot
/// fail: the clause's duty is met by the control itself), or the `definition` that implements a definitional
/// clause (1.1.x).
public enum EvidenceKind: String, Sendable, Codable {
    case check, figure, definition
}

/// One item of evidence: counts and times only, never a person's data.
public struct ComplianceEvidence: Sendable, Codable, Equatable {
    public let kind: EvidenceKind
    public let figure: String
    public let passed: Bool
}

/// A control that implements a clause: where it lives, the tests that prove it, and its evidence now.
public struct ComplianceControl: Sendable, Codable, Equatable {
    public let name: String
    public let implementedIn: [String]
    public let tests: [String]
    public let evidence: ComplianceEvidence
}

public struct ComplianceClause: Sendable, Codable, Equatable {
    public let id: String
    public let title: String
    public let controls: [ComplianceControl]
    /// A clause passes when it has a control and none of its controls' evidence fails.
    public let passed: Bool

    init(id: String, title: String, controls: [ComplianceControl]) {
        self.id = id
        self.title = title
        self.controls = controls
        self.passed = !controls.isEmpty && controls.allSatisfy(\.evidence.passed)
    }
}

/// `covenant compliance report` (issue 11): every clause of the agreement with the controls that implement it and
/// live evidence from the running platform. Generating it is audited.
public struct ComplianceReport: Sendable, Codable, Equatable {
    public let generatedAt: Int64
    public let clauses: [ComplianceClause]
    public let passed: Bool

    public var failedClauses: [String] { clauses.filter { !$0.passed }.map(\.id) }

    /// Facts from outside the database, gathered by the caller (the command line reads the data directory).
    public struct Facts: Sendable {
        /// Modification time (ms) of the newest file in the backups directory, if any.
        public let newestBackupFileAt: Int64?
        /// Whether that newest backup passed `covenant backup verify` (a restore, checked) since it was written.
        public let newestBackupVerified: Bool
        public let tlsEnabled: Bool

        public init(newestBackupFileAt: Int64?, newestBackupVerified: Bool, tlsEnabled: Bool) {
            self.newestBackupFileAt = newestBackupFileAt
            self.newestBackupVerified = newestBackupVerified
            self.tlsEnabled = tlsEnabled
        }
    }

    static let hour: Int64 = 3_600_000
    /// A backup older than this fails 2.2 (the default schedule is daily).
    static let backupMaxAge: Int64 = 24 * hour

    /// Gathers the evidence, maps it to the clauses, and records `compliance.report` in the audit log.
    public static func build(platform: Platform, facts: Facts) async throws -> ComplianceReport {
        let evidence = try await Evidence.gather(platform: platform, facts: facts)
        var clauses = AgreementClauses.all.map { clause in
            ComplianceClause(id: clause.id, title: clause.title, controls: controls(for: clause.id, evidence))
        }
        // 2.1 is the umbrella over all of 2.x: it holds when the clauses under it do.
        if let umbrella = clauses.firstIndex(where: { $0.id == "2.1" }) {
            let under = clauses.filter { $0.id.hasPrefix("2.") && $0.id != "2.1" }
            let holding = under.filter(\.passed).count
            let control = ComplianceControl(
                name: "Technical and management measures of clauses 2.2 to 2.6",
                implementedIn: ["docs/compliance.md"], tests: ["ComplianceReportTests.swift"],
                evidence: ComplianceEvidence(
                    kind: .check, figure: "\(holding)/\(under.count) clauses under 2.x pass",
                    passed: holding == under.count))
            clauses[umbrella] = ComplianceClause(
                id: clauses[umbrella].id, title: clauses[umbrella].title, controls: [control])
        }
        let report = ComplianceReport(
            generatedAt: platform.now, clauses: clauses, passed: clauses.allSatisfy(\.passed))
        try await AuditTrail.recordAlone(
            AuditEvent(
                "compliance.report", actor: nil, object: "compliance-report",
                outcome: report.passed ? .success : .failure,
                details: [
                    "clauses": String(clauses.count), "passed": String(clauses.filter(\.passed).count),
                    "failed": report.failedClauses.joined(separator: " "),
                ]), platform: platform)
        return report
    }

    /// Clause → controls. Source paths and test files are what a reviewer opens to check the control.
    static func controls(for clause: String, _ e: Evidence) -> [ComplianceControl] {
        func control(_ name: String, _ sources: [String], _ tests: [String], _ evidence: ComplianceEvidence)
            -> ComplianceControl
        {
            ComplianceControl(name: name, implementedIn: sources, tests: tests, evidence: evidence)
        }
        switch clause {
        case "1.1.1":
            return [
                control(
                    "Data catalog names every personal field with its category and grade",
                    ["Sources/Privacy/DataCatalog.swift", "docs/data-catalog.md"], ["DataCatalogTests.swift"],
                    e.personalDefinition)
            ]
        case "1.1.2":
            return [
                control(
                    "Data catalog covers transaction information",
                    ["Sources/Privacy/DataCatalog.swift", "docs/data-catalog.md"], ["DataCatalogTests.swift"],
                    e.transactionDefinition)
            ]
        case "1.1.3":
            return [
                control(
                    "Incident types of the register follow the definition",
                    ["Sources/Domain/Incidents.swift", "Sources/Marketplace/Incidents/Incidents.swift"],
                    ["IncidentTests.swift", "ComplianceReportTests.swift"], e.incidentTypes)
            ]
        case "1.1.4":
            return [
                control(
                    "Force-majeure periods pause the deadlines they cover",
                    ["Sources/Marketplace/ForceMajeure.swift", "docs/disputes.md"], ["ForceMajeureTests.swift"],
                    e.forceMajeure)
            ]
        case "2.2":
            return [
                control(
                    "Tamper-evident security audit log (RFC 9162 Merkle tree, signed heads)",
                    ["Sources/AuditLog", "Sources/Marketplace/Audit/AuditVerification.swift", "docs/audit-log.md"],
                    ["AuditLogTests.swift", "MerkleProofTests.swift", "SignedTreeHeadTests.swift"], e.auditLog),
                control(
                    "Encrypted backups with an authenticated manifest, verifiable by restore",
                    ["Sources/App/Backups.swift", "docs/backups.md"],
                    ["BackupTests.swift"], e.backup),
                control(
                    "TLS", ["Sources/App/Application+build.swift", "Sources/App/HTTPRedirect.swift"],
                    ["RedirectTests.swift"], e.tls),
                control(
                    "Intrusion detection and prevention (shield)",
                    [
                        "Sources/App/Middleware/ShieldMiddleware.swift", "Sources/Marketplace/Shield.swift",
                        "docs/shield.md",
                    ],
                    ["ShieldTests.swift"], e.shield),
                control(
                    "Vulnerability register with fix-by dates",
                    ["Sources/Marketplace/Incidents/Vulnerabilities.swift", "Sources/App/SelfAssessment.swift"],
                    ["SelfAssessmentTests.swift"], e.vulnerabilities),
            ]
        case "2.3.1":
            return [
                control(
                    "Consent per purpose and notice version; no account without a recorded basis",
                    ["Sources/Marketplace/Privacy/Consents.swift", "Sources/Domain/ConsentPurpose.swift"],
                    ["ConsentTests.swift"], e.consents)
            ]
        case "2.3.2":
            return [
                control(
                    "Every column classified and graded; personal values encrypted",
                    ["Sources/Privacy/DataCatalog.swift", "Sources/Privacy", "docs/data-catalog.md"],
                    ["DataCatalogTests.swift", "PrivacyTests.swift", "KeyRingTests.swift"], e.catalogCoverage)
            ]
        case "2.3.3":
            return [
                control(
                    "Unmasked access only with a purpose and current confidentiality training, logged",
                    ["Sources/Marketplace/Privacy/Reveal.swift", "Sources/Domain/Roles.swift"],
                    ["PrivacyTests.swift", "RouteAuthorizationTests.swift"], e.training)
            ]
        case "2.3.4":
            return [
                control(
                    "Real-name verification (ID and licence check digits, phone code, identity provider)",
                    ["Sources/Marketplace/Verification/RealName.swift", "Sources/Domain/ResidentID.swift"],
                    ["VerificationTests.swift", "ResidentIDTests.swift", "SocialCreditCodeTests.swift"],
                    e.verification)
            ]
        case "2.3.5":
            return [
                control(
                    "Export, correction and deletion requests answered within their deadline",
                    ["Sources/Marketplace/Privacy/Rights.swift", "Sources/Marketplace/Accounts/Corrections.swift"],
                    ["PrivacyTests.swift", "CorrectionTests.swift", "RetentionTests.swift"], e.rights)
            ]
        case "2.3.6":
            return [
                control(
                    "Affected people notified within the clock; regulator within 4 hours",
                    ["Sources/Marketplace/Incidents", "docs/incidents.md"],
                    ["IncidentTests.swift", "NoticeChannelTests.swift"], e.incidents)
            ]
        case "2.4.1":
            return [
                control(
                    "Listings screened before publication",
                    ["Sources/Marketplace/Catalog/Listings.swift", "Sources/Domain/ListingScreening.swift"],
                    ["CatalogTests.swift", "ListingScreeningTests.swift"], e.listings),
                control(
                    "Order state machine, escrow and shipping deadlines",
                    ["Sources/Domain/OrderStateMachine.swift", "Sources/Marketplace/Orders"],
                    ["OrderTests.swift", "OrderStateMachineTests.swift"], e.shipping),
            ]
        case "2.4.2":
            return [
                control(
                    "Payments by hosted page with signed, replay-proof callbacks; no card numbers stored",
                    ["Sources/Marketplace/Payments", "docs/payments.md"],
                    ["PaymentFlowTests.swift", "PaymentRulesTests.swift", "CardNumberDetectorTests.swift"],
                    e.payments),
                control(
                    "Double-entry ledger invariants", ["Sources/Marketplace/Payments/Settlement.swift"],
                    ["PaymentRulesTests.swift"], e.ledger),
            ]
        case "2.4.3":
            return [
                control(
                    "Real-time risk engine deciding allow / review / challenge / block",
                    ["Sources/Risk", "Sources/Marketplace/Risk/RiskChecks.swift", "docs/risk.md"],
                    ["RiskFlowTests.swift", "RiskEngineTests.swift"], e.risk)
            ]
        case "2.4.4":
            return [
                control(
                    "Disputes with deadlines and default outcomes, arbitration, complaints",
                    ["Sources/Marketplace/Disputes", "Sources/Domain/DisputeStateMachine.swift", "docs/disputes.md"],
                    ["DisputeTests.swift", "DisputeStateMachineTests.swift"], e.disputes)
            ]
        case "2.5":
            return [
                control(
                    "Versioned rulebook, violations, sanctions enforced by authorization, reports",
                    ["Sources/Marketplace/Governance", "docs/governance.md"],
                    ["GovernanceTests.swift", "SanctionTests.swift"], e.governance)
            ]
        case "2.6":
            return [
                control(
                    "Provider registry with current security assessments",
                    ["Sources/Marketplace/Supervision/ServiceProviders.swift", "docs/providers.md"],
                    ["ProviderTests.swift"], e.providers),
                control(
                    "Every disclosure of personal information to a provider recorded",
                    ["Sources/Marketplace/Supervision/ProviderAccess.swift"], ["ProviderTests.swift"], e.disclosures),
            ]
        case "3.1":
            return [
                control(
                    "Merchants accept the rulebook version before doing business",
                    ["Sources/Marketplace/Governance/Rulebook.swift"], ["GovernanceTests.swift"], e.acceptances)
            ]
        case "3.2":
            return [
                control(
                    "Mandatory two-factor authentication for merchant and staff accounts",
                    ["Sources/Marketplace/Accounts/TwoFactor.swift", "Sources/Marketplace/Accounts/SignIn.swift"],
                    ["TwoFactorTests.swift", "SignInTests.swift", "SessionTests.swift"], e.twoFactor)
            ]
        case "3.3":
            return [
                control(
                    "Listing screening; violations feed the enforcement ladder",
                    ["Sources/Marketplace/Catalog/Listings.swift", "Sources/Marketplace/Governance/Violations.swift"],
                    ["CatalogTests.swift", "GovernanceTests.swift"], e.listings)
            ]
        case "3.4":
            return [
                control(
                    "Buyer contact masked for merchants; waybill reveals purpose-bound and expiring",
                    ["Sources/Marketplace/Orders/Recipients.swift", "Sources/Domain/Masking.swift"],
                    ["OrderTests.swift", "RouteAuthorizationTests.swift"], e.waybills)
            ]
        case "3.5":
            return [
                control(
                    "Merchant dispute responses within their deadlines",
                    ["Sources/Marketplace/Disputes/Disputes.swift", "docs/disputes.md"], ["DisputeTests.swift"],
                    e.disputes)
            ]
        default:
            return []
        }
    }
}

/// The live evidence, gathered once and shared by the clauses that rely on it.
struct Evidence {
    var auditLog, twoFactor, rights, incidents, incidentTypes, backup, tls, shield, vulnerabilities: ComplianceEvidence
    var risk, providers, disclosures, catalogCoverage, personalDefinition, transactionDefinition: ComplianceEvidence
    var consents, training, verification, listings, shipping, payments, ledger, disputes: ComplianceEvidence
    var governance, acceptances, waybills, forceMajeure: ComplianceEvidence

    static func check(_ passed: Bool, _ figure: String) -> ComplianceEvidence {
        ComplianceEvidence(kind: .check, figure: figure, passed: passed)
    }
    static func figure(_ figure: String) -> ComplianceEvidence {
        ComplianceEvidence(kind: .figure, figure: figure, passed: true)
    }

    static func gather(platform: Platform, facts: ComplianceReport.Facts) async throws -> Evidence {
        let db = platform.db.sql
        let now = platform.now
        let day = 24 * ComplianceReport.hour
        func count(_ query: SQLQueryString) async throws -> Int {
            try await db.raw(query).first()?.decode(column: "n", as: Int?.self) ?? 0
        }

        // 2.2: integrate what is pending so the verdict covers every event written so far.
        while try await AuditIntegration.integrate(platform: platform) > 0 {}
        let auditLog: ComplianceEvidence
        switch try await AuditVerification.verifyStored(platform: platform) {
        case .intact(let size, let heads):
            auditLog = check(true, "verified intact at \(iso(now)): tree size \(size), \(heads) signed tree heads")
        case .broken(let position, _):
            auditLog = check(false, "verification at \(iso(now)) FAILED: the log breaks at position \(position)")
        }

        let coverage = try await TwoFactorCoverage.measure(platform: platform)
        let twoFactor = check(
            coverage.complete,
            coverage.total == 0
                ? "no active merchant or staff accounts"
                : "\(coverage.enrolled)/\(coverage.total) active merchant and staff accounts use two-factor "
                    + "(\(coverage.enrolled * 100 / coverage.total)%, 100% required)")

        let rightsRow = try await db.raw(
            """
            SELECT COUNT(*) AS total,
            COALESCE(SUM(CASE WHEN completed_at IS NOT NULL AND completed_at <= due_at THEN 1 ELSE 0 END), 0)
            AS on_time,
            COALESCE(SUM(CASE WHEN completed_at IS NULL AND due_at >= \(bind: now) THEN 1 ELSE 0 END), 0) AS pending
            FROM privacy_requests
            """
        ).first()
        let rightsTotal = try rightsRow?.decode(column: "total", as: Int.self) ?? 0
        let rightsOnTime = try rightsRow?.decode(column: "on_time", as: Int.self) ?? 0
        let rightsPending = try rightsRow?.decode(column: "pending", as: Int.self) ?? 0
        let rightsLate = rightsTotal - rightsOnTime - rightsPending
        let rights = check(
            rightsLate == 0,
            "\(rightsOnTime)/\(rightsTotal - rightsPending) rights requests (export, correction, deletion) answered "
                + "within the deadline; \(rightsPending) open within it; \(rightsLate) late")

        // 2.3.6: the incident register's own clocks (the same view staff see), counted.
        var withPeople = 0
        var notifiedInTime = 0
        var clockRunning = 0
        var notifyLate = 0
        var regulatorLate = 0
        var types: [String: Int] = [:]
        // Every incident ever registered (the register's own listing stops at the newest 200).
        for row in try await db.select().column("*").from("incidents").all(decoding: IncidentRow.self) {
            types[row.type, default: 0] += 1
            let view = try await Incidents.view(row, platform: platform)
            if view.regulatorOverdue { regulatorLate += 1 }
            let people = view.consumers + view.merchants
            guard people > 0 else { continue }
            withPeople += 1
            if view.notifyOverdue {
                notifyLate += 1
            } else if view.notificationsDelivered >= people {
                notifiedInTime += 1
            } else {
                clockRunning += 1
            }
        }
        let incidents = check(
            notifyLate == 0 && regulatorLate == 0,
            "\(notifiedInTime)/\(withPeople - clockRunning) incidents with affected people notified within the "
                + "deadline; \(clockRunning) with the clock still running; \(notifyLate) past it; "
                + "\(regulatorLate) regulator reports late")
        let known = Set(IncidentType.allCases.map(\.rawValue))
        let strays = types.keys.filter { !known.contains($0) }.count
        let typeNames = IncidentType.allCases.map(\.rawValue).joined(separator: ", ")
        let incidentTypes = check(
            strays == 0,
            "\(IncidentType.allCases.count) incident types defined (\(typeNames)); "
                + "\(types.values.reduce(0, +)) incidents registered, \(strays) types outside the definition")

        // 2.2 backups: the audit log's scheduled backups and the newest file in the backups directory.
        let backupRow = try await db.raw(
            "SELECT MAX(occurred_at) AS at, COUNT(*) AS n FROM audit_events WHERE event_type = 'backup.create'"
        ).first()
        let auditedBackupAt = try backupRow?.decode(column: "at", as: Int64?.self)
        let auditedBackups = try backupRow?.decode(column: "n", as: Int.self) ?? 0
        let newestBackup = [auditedBackupAt, facts.newestBackupFileAt].compactMap { $0 }.max()
        // A backup counts once it is recent and a restore of the newest file was verified (as `assess` demands).
        let verified =
            facts.newestBackupVerified
            ? "the newest file in the backups directory passed `covenant backup verify`"
            : "the newest file in the backups directory has not passed `covenant backup verify`"
        let backup = check(
            newestBackup.map { now - $0 <= ComplianceReport.backupMaxAge } ?? false && facts.newestBackupVerified,
            newestBackup.map {
                "newest backup created \(iso($0)) (\((now - $0) / ComplianceReport.hour) h ago, at most 24 h allowed); "
                    + "\(verified); \(auditedBackups) scheduled backups in the audit log"
            } ?? "no backup found (neither in the audit log nor in the backups directory)")
        let tls = check(facts.tlsEnabled, facts.tlsEnabled ? "TLS is configured" : "TLS is not configured")
        let banned = try await count("SELECT COUNT(*) AS n FROM shield_bans WHERE until > \(bind: now)")
        let detections = try await count("SELECT COUNT(*) AS n FROM shield_events WHERE at >= \(bind: now - day)")
        let shield = figure("\(banned) addresses banned now; \(detections) detections in the last 24 h")
        let openFindings = try await VulnerabilityStore.all(on: db).filter { $0.status == "open" }.count
        let lateFixes = try await Vulnerabilities.overdue(platform: platform).count
        let vulnerabilities = check(
            lateFixes == 0, "\(openFindings) open vulnerabilities, \(lateFixes) past their fix-by date")

        let outcomes = try await DashboardStore.riskOutcomes(since: now - day, on: db)
        let risk = figure(
            outcomes.isEmpty
                ? "no risk decisions in the last 24 h"
                : "risk decisions in the last 24 h: "
                    + outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))

        let activeProviders = try await count("SELECT COUNT(*) AS n FROM providers WHERE status = 'active'")
        let overdueProviders = try await ServiceProviders.overdueReviews(platform: platform).count
        let providers = check(
            overdueProviders == 0,
            "\(activeProviders - overdueProviders)/\(activeProviders) active providers with a passing, current "
                + "security assessment")
        let disclosures = figure(
            "\(try await count("SELECT COUNT(*) AS n FROM disclosures")) disclosures to providers recorded")

        // 2.3.2 and 1.1.x: the catalog against the live schema (what DataCatalogTests checks in CI).
        let catalogued = Set(DataCatalog.entries.map { "\($0.table).\($0.column)" })
        let live = try await liveColumns(db)
        let missing = live.subtracting(catalogued).count
        let clearPersonal = DataCatalog.entries.filter {
            [.personal, .sensitivePersonal].contains($0.category) && $0.form == .value && !$0.encrypted
        }.count
        let catalogCoverage = check(
            missing == 0 && clearPersonal == 0 && !live.isEmpty,
            "data catalog covers \(live.count - missing)/\(live.count) live columns, each with category and grade; "
                + "\(clearPersonal) personal values stored in clear")
        func columns(in categories: [DataCategory]) -> Int {
            DataCatalog.entries.filter { categories.contains($0.category) }.count
        }
        let personalDefinition = ComplianceEvidence(
            kind: .definition,
            figure: "data catalog classifies \(columns(in: [.personal])) personal and "
                + "\(columns(in: [.sensitivePersonal])) sensitive personal columns",
            passed: missing == 0 && columns(in: [.personal, .sensitivePersonal]) > 0)
        let transactionDefinition = ComplianceEvidence(
            kind: .definition,
            figure: "data catalog classifies \(columns(in: [.transaction])) transaction columns",
            passed: missing == 0 && columns(in: [.transaction]) > 0)

        let consumers = try await count(
            "SELECT COUNT(*) AS n FROM accounts WHERE kind = 'consumer' AND status = 'active'")
        let withoutBasis = try await count(
            """
            SELECT COUNT(*) AS n FROM accounts a WHERE a.kind = 'consumer' AND a.status = 'active'
            AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.account_id = a.id)
            """)
        let consents = check(
            withoutBasis == 0,
            "\(consumers - withoutBasis)/\(consumers) active consumer accounts with recorded consent; "
                + "\(try await count("SELECT COUNT(*) AS n FROM consents WHERE withdrawn_at IS NULL")) consents in "
                + "force, \(try await count("SELECT COUNT(*) AS n FROM consents WHERE withdrawn_at IS NOT NULL")) "
                + "withdrawn")
        let staff = try await count("SELECT COUNT(*) AS n FROM accounts WHERE kind = 'staff' AND status = 'active'")
        let trained = try await count(
            """
            SELECT COUNT(DISTINCT t.staff_id) AS n FROM staff_training t JOIN accounts a ON a.id = t.staff_id
            WHERE a.status = 'active' AND t.expires_at > \(bind: now)
            """)
        let training = figure(
            "\(trained)/\(staff) active staff with current confidentiality training (required to reveal)")
        let verificationCounts = try await grouped(
            "SELECT status AS k, COUNT(*) AS n FROM identity_verifications GROUP BY status", db)
        let verification = figure(
            verificationCounts.isEmpty
                ? "no real-name verifications yet" : "real-name verifications: \(verificationCounts)")
        let listingCounts = try await grouped("SELECT status AS k, COUNT(*) AS n FROM listings GROUP BY status", db)
        let listings = figure(
            "\(try await count("SELECT COUNT(*) AS n FROM listings")) listings screened"
                + (listingCounts.isEmpty ? "" : ": \(listingCounts)"))
        let shipping = figure(
            "\(try await count("SELECT COUNT(*) AS n FROM orders")) orders; "
                + "\(try await count("SELECT COUNT(*) AS n FROM orders WHERE shipping_late_at IS NOT NULL")) "
                + "flagged late for shipping")
        // Only a brand and the last four digits may be kept; anything longer in that column would be a card number.
        let longCardFields = try await count(
            "SELECT COUNT(*) AS n FROM payments WHERE card_last4 IS NOT NULL AND LENGTH(card_last4) > 4")
        let payments = check(
            longCardFields == 0,
            "\(try await count("SELECT COUNT(*) AS n FROM payments")) payments; "
                + "\(try await count("SELECT COUNT(*) AS n FROM payment_events")) signed callbacks verified and "
                + "recorded once; \(longCardFields) card fields longer than the last four digits")
        let ledgerProblem = try await Settlement.check(platform: platform, reconcile: false)
        let ledger = check(
            ledgerProblem == nil, ledgerProblem == nil ? "every ledger invariant holds" : "a ledger invariant fails")
        let disputeFigures = try await DashboardStore.openDisputes(now: now, on: db)
        let disputes = check(
            disputeFigures.overdue == 0,
            "\(disputeFigures.byStatus.values.reduce(0, +)) open disputes, \(disputeFigures.overdue) past their "
                + "deadline; \(try await count("SELECT COUNT(*) AS n FROM complaints WHERE decided_at IS NULL")) "
                + "open complaints")
        let rulebooks = try await count("SELECT COUNT(*) AS n FROM rulebook_versions")
        let violations = try await count("SELECT COUNT(*) AS n FROM violations")
        let sanctionsInForce = try await count(
            """
            SELECT COUNT(*) AS n FROM sanctions WHERE lifted_at IS NULL AND starts_at <= \(bind: now)
            AND (ends_at IS NULL OR ends_at > \(bind: now))
            """)
        let governance = check(
            rulebooks > 0,
            "\(rulebooks) rulebook versions published; \(violations) violations recorded; "
                + "\(sanctionsInForce) sanctions in force")
        let merchants = try await count(
            "SELECT COUNT(DISTINCT merchant_id) AS n FROM accounts WHERE kind = 'merchant' AND merchant_id IS NOT NULL")
        let accepted = try await count(
            """
            SELECT COUNT(DISTINCT r.party_id) AS n FROM rule_acceptances r
            WHERE r.party_id IN (SELECT merchant_id FROM accounts WHERE kind = 'merchant')
            """)
        let acceptances = figure("\(accepted)/\(merchants) merchants accepted a version of the rulebook")
        let waybills = figure(
            "\(try await count("SELECT COUNT(*) AS n FROM waybill_grants WHERE expires_at > \(bind: now)")) waybill "
                + "reveals open now, \(try await count("SELECT COUNT(*) AS n FROM waybill_grants")) granted in all, "
                + "each expiring")
        let periods = try await count("SELECT COUNT(*) AS n FROM force_majeure")
        let periodsInForce = try await count(
            "SELECT COUNT(*) AS n FROM force_majeure WHERE starts_at <= \(bind: now) AND ends_at > \(bind: now)")
        let forceMajeure = ComplianceEvidence(
            kind: .definition,
            figure: "\(periods) force-majeure periods declared (cause, scope, start, end), \(periodsInForce) in force "
                + "now; the deadlines they cover pause",
            passed: true)

        return Evidence(
            auditLog: auditLog, twoFactor: twoFactor, rights: rights, incidents: incidents,
            incidentTypes: incidentTypes, backup: backup, tls: tls, shield: shield, vulnerabilities: vulnerabilities,
            risk: risk, providers: providers, disclosures: disclosures, catalogCoverage: catalogCoverage,
            personalDefinition: personalDefinition, transactionDefinition: transactionDefinition, consents: consents,
            training: training, verification: verification, listings: listings, shipping: shipping,
            payments: payments, ledger: ledger, disputes: disputes, governance: governance, acceptances: acceptances,
            waybills: waybills, forceMajeure: forceMajeure)
    }

    /// Every `table.column` of the database, from its own dictionary.
    static func liveColumns(_ db: any SQLDatabase) async throws -> Set<String> {
        var columns: Set<String> = []
        if db.dialect.name == "sqlite" {
            let tables = try await db.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).all().map { try $0.decode(column: "name", as: String.self) }
            for table in tables {
                for row in try await db.raw("PRAGMA table_info(\(ident: table))").all() {
                    columns.insert("\(table).\(try row.decode(column: "name", as: String.self))")
                }
            }
        } else {
            for row in try await db.raw(
                """
                SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
                WHERE table_schema = current_schema()
                """
            ).all() {
                columns.insert(
                    "\(try row.decode(column: "t", as: String.self)).\(try row.decode(column: "c", as: String.self))")
            }
        }
        return columns
    }

    /// "a 1, b 2" from a `k`, `n` grouping.
    static func grouped(_ query: SQLQueryString, _ db: any SQLDatabase) async throws -> String {
        try await db.raw(query).all().map {
            ("\(try $0.decode(column: "k", as: String.self))", try $0.decode(column: "n", as: Int.self))
        }.sorted { $0.0 < $1.0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    }

    static func iso(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).ISO8601Format()
    }
}
