import Domain
import Foundation
import Privacy
import SQLKit
import Storage

public struct ViolationView: Sendable, Codable, Equatable {
    public let id: String
    public let partyId: String
    public let partyKind: String
    public let ruleRef: String
    public let source: String
    public let sourceRef: String
    /// Nil when the party's data key is gone (erased).
    public let evidence: String?
    public let status: String
    public let recordedBy: String
    public let sanctionId: String?
    public let createdAt: Int64
}

/// Violations of the platform rules (clause 2.5), from every source: listing screening, the risk engine, lost
/// disputes, reports by users and staff findings. Reports wait for staff; the others are decisions already.
public enum Violations {
    public enum Source: String, Sendable, CaseIterable {
        case screening, risk, dispute, report, staff
    }

    /// Records a violation inside the caller's transaction, audited. Evidence is sealed under the party's key.
    @discardableResult
    static func record(
        party: String, ruleRef: String, source: Source, sourceRef: String, evidence: String, reported: Bool,
        recordedBy: String?, platform: Platform, on db: any SQLDatabase
    ) async throws -> ViolationRow {
        guard let partyKind = try await partyKind(of: party, on: db) else { throw Problem.notFound("The party") }
        let id = Identifiers.make()
        let key = try await SubjectKeys.keyForWriting(subject: party, platform: platform, on: db)
        let row = ViolationRow(
            id: id, party_id: party, party_kind: partyKind, rule_ref: ruleRef, source: source.rawValue,
            source_ref: sourceRef,
            evidence_cipher: try FieldCipher.seal(
                evidence, key: key, context: FieldContext(table: "violations", column: "evidence_cipher", row: id)),
            status: reported ? "reported" : "confirmed", recorded_by: recordedBy ?? "platform",
            created_at: platform.now)
        try await ViolationStore.insert(row, on: db)
        try await AuditTrail.record(
            AuditEvent(
                reported ? "violation.report" : "violation.record", actor: recordedBy, subject: party,
                object: "violation:\(id)", details: ["rule": ruleRef, "source": source.rawValue, "ref": sourceRef]),
            platform: platform, on: db)
        return row
    }

    /// A consumer or merchant reports another party; staff confirm or dismiss it.
    public static func report(
        party: String, ruleRef rawRule: String, description: String, caller: Caller, platform: Platform
    ) async throws -> ViolationView {
        try requireReporter(caller)
        guard party != caller.party else { throw Problem.invalid("partyId", "You cannot report yourself.") }
        let ruleRef = try validRule(rawRule)
        let text = try validText(description, field: "description")
        let row = try await platform.db.transaction { db in
            try await record(
                party: party, ruleRef: ruleRef, source: .report, sourceRef: "account:\(caller.accountId)",
                evidence: text, reported: true, recordedBy: caller.accountId, platform: platform, on: db)
        }
        return try await view(row, platform: platform)
    }

    /// Consumers and merchants (through two-factor) report; staff record findings instead.
    public static func requireReporter(_ caller: Caller) throws {
        if let problem = caller.privilegeProblem() { throw problem }
        guard caller.kind == .consumer || caller.kind == .merchant else {
            throw Problem.forbidden("Staff record findings instead (POST /api/v1/staff/violations).")
        }
    }

    /// A staff finding: confirmed at once.
    public static func recordFinding(
        party: String, ruleRef rawRule: String, evidence rawEvidence: String, caller: Caller, platform: Platform
    ) async throws -> ViolationView {
        try caller.require(.enforceRules)
        let ruleRef = try validRule(rawRule)
        let evidence = try validText(rawEvidence, field: "evidence")
        let row = try await platform.db.transaction { db in
            try await record(
                party: party, ruleRef: ruleRef, source: .staff, sourceRef: "staff:\(caller.accountId)",
                evidence: evidence, reported: false, recordedBy: caller.accountId, platform: platform, on: db)
        }
        return try await view(row, platform: platform)
    }

    public static func decide(id: String, confirm: Bool, caller: Caller, platform: Platform) async throws
        -> ViolationView
    {
        try caller.require(.enforceRules)
        try await platform.db.transaction { db in
            guard let row = try await ViolationStore.find(id: id, on: db) else {
                throw Problem.notFound("The violation")
            }
            guard row.recorded_by != caller.accountId else {
                throw Problem.forbidden("A different person decides a report.")
            }
            guard
                try await ViolationStore.decide(
                    id: id, confirm: confirm, by: caller.accountId, now: platform.now, on: db)
            else { throw Problem.conflict("The violation is not a report awaiting a decision.") }
            try await AuditTrail.record(
                AuditEvent(
                    "violation.decide", actor: caller.accountId, subject: row.party_id, object: "violation:\(id)",
                    details: ["confirmed": String(confirm)]), platform: platform, on: db)
        }
        guard let row = try await ViolationStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The violation")
        }
        return try await view(row, platform: platform)
    }

    /// Staff read violations (by party or status); reading evidence is an audited read.
    public static func list(party: String?, status: String?, caller: Caller, platform: Platform) async throws
        -> [ViolationView]
    {
        try caller.require(.enforceRules)
        let rows = try await ViolationStore.list(party: party, status: status, on: platform.db.sql)
        var views: [ViolationView] = []
        for row in rows { views.append(try await view(row, platform: platform)) }
        if !rows.isEmpty {
            try await AuditTrail.recordAlone(
                AuditEvent(
                    "violation.read", actor: caller.accountId, subject: party, object: "violations",
                    details: ["count": String(rows.count), "status": status ?? "any"]), platform: platform)
        }
        return views
    }

    /// "consumer" or "merchant" for a party id (a consumer account, or a merchant's owner account), else nil.
    static func partyKind(of party: String, on db: any SQLDatabase) async throws -> String? {
        guard let account = try await AccountStore.find(id: party, on: db) else { return nil }
        switch account.role {
        case Role.consumer.rawValue: return "consumer"
        case Role.owner.rawValue: return "merchant"
        default: return nil
        }
    }

    static func view(_ row: ViolationRow, platform: Platform) async throws -> ViolationView {
        let key = try? await SubjectKeys.key(subject: row.party_id, platform: platform, on: platform.db.sql)
        let evidence = key.flatMap {
            try? FieldCipher.open(
                row.evidence_cipher, key: $0,
                context: FieldContext(table: "violations", column: "evidence_cipher", row: row.id))
        }
        return ViolationView(
            id: row.id, partyId: row.party_id, partyKind: row.party_kind, ruleRef: row.rule_ref, source: row.source,
            sourceRef: row.source_ref, evidence: evidence, status: row.status, recordedBy: row.recorded_by,
            sanctionId: row.sanction_id, createdAt: row.created_at)
    }

    /// A rule reference names a document and a rule in it: "platform-rules/listings.misleading".
    static func validRule(_ raw: String) throws -> String {
        let rule = try TextInput.singleLine(maximumLength: 80).validate(raw, field: "ruleRef")
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-./_")
        guard rule.contains("/"), rule.allSatisfy({ allowed.contains($0) }) else {
            throw Problem.invalid("ruleRef", "A rule reference such as platform-rules/listings.misleading.")
        }
        return rule
    }

    static func validText(_ raw: String, field: String) throws -> String {
        let text = try TextInput.multiline(maximumLength: 2_000).validate(raw, field: field)
        if ListingScreening.screen(text).outcome == .reject {
            throw Problem.invalid(field, "No card numbers or contact details here.")
        }
        return text
    }
}
