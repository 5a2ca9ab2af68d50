public import Crypto
import Domain
public import Foundation
import Storage

/// The report of violations and sanctions for authorities (clause 2.5), as JSON and CSV, each signed with the
/// platform's Ed25519 key (the key that signs audit tree heads), so a recipient can check nothing was changed.
/// Records carry party ids, rules, levels and times; evidence and reasons stay encrypted and are disclosed
/// separately on a lawful request.
public enum GovernanceReport {
    /// Signed bytes are this context, a newline and the file's bytes: a signature on a report means nothing else.
    static let context = "covenant governance report v1\n"

    public struct Files: Sendable {
        public let json: Data
        public let csv: Data
        public let violations: Int
        public let sanctions: Int
    }

    struct Violation: Codable {
        let id, partyId, partyKind, ruleRef, source, sourceRef, status, recordedBy: String
        let sanctionId: String?
        let recordedAt: Int64
        let decidedAt: Int64?
    }

    struct Sanction: Codable {
        let id, partyId, partyKind, level, ruleRef, imposedBy: String
        let functions: [String]
        let startsAt: Int64
        let endsAt: Int64?
        let liftedAt: Int64?
        let liftReason: String?
        let appeal: String?
    }

    struct Report: Codable {
        let report: String
        let from: Int64
        let to: Int64
        let generatedAt: Int64
        let violations: [Violation]
        let sanctions: [Sanction]
    }

    /// Every violation and sanction recorded in [from, to), milliseconds since the epoch. Audited.
    public static func build(from: Int64, to: Int64, platform: Platform) async throws -> Files {
        let db = platform.db.sql
        let violations = try await ViolationStore.between(from: from, to: to, on: db).map {
            Violation(
                id: $0.id, partyId: $0.party_id, partyKind: $0.party_kind, ruleRef: $0.rule_ref, source: $0.source,
                sourceRef: $0.source_ref, status: $0.status, recordedBy: $0.recorded_by, sanctionId: $0.sanction_id,
                recordedAt: $0.created_at, decidedAt: $0.decided_at)
        }
        var sanctions: [Sanction] = []
        for row in try await SanctionStore.between(from: from, to: to, on: db) {
            let appeal = try await SanctionAppealStore.find(sanction: row.id, on: db)
            sanctions.append(
                Sanction(
                    id: row.id, partyId: row.party_id, partyKind: row.party_kind, level: row.level,
                    ruleRef: row.rule_ref, imposedBy: row.imposed_by, functions: Sanctions.functions(row),
                    startsAt: row.starts_at, endsAt: row.ends_at, liftedAt: row.lifted_at, liftReason: row.lift_reason,
                    appeal: appeal?.status))
        }
        let report = Report(
            report: "violations and sanctions", from: from, to: to, generatedAt: platform.now,
            violations: violations, sanctions: sanctions)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(report)
        try await AuditTrail.recordAlone(
            AuditEvent(
                "governance.report", actor: nil, object: "governance-report",
                details: [
                    "from": String(from), "to": String(to), "violations": String(violations.count),
                    "sanctions": String(sanctions.count),
                ]), platform: platform)
        return Files(
            json: json, csv: Data(csv(violations: violations, sanctions: sanctions).utf8),
            violations: violations.count, sanctions: sanctions.count)
    }

    static func csv(violations: [Violation], sanctions: [Sanction]) -> String {
        var lines = [
            "record,id,party_id,party_kind,rule_ref,source_or_level,status_or_functions,recorded_or_starts_at,"
                + "ends_at,lifted_at,decided_or_appeal"
        ]
        for v in violations {
            lines.append(
                [
                    "violation", v.id, v.partyId, v.partyKind, v.ruleRef, v.source, v.status, String(v.recordedAt), "",
                    "", v.decidedAt.map(String.init) ?? "",
                ].map(field).joined(separator: ","))
        }
        for s in sanctions {
            lines.append(
                [
                    "sanction", s.id, s.partyId, s.partyKind, s.ruleRef, s.level, s.functions.joined(separator: " "),
                    String(s.startsAt), s.endsAt.map(String.init) ?? "", s.liftedAt.map(String.init) ?? "",
                    s.appeal ?? "",
                ].map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180 quoting; a leading formula character is neutralised so spreadsheets do not run it.
    static func field(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A detached signature document for `file`.
    public static func signature(for file: Data, name: String, key: Curve25519.Signing.PrivateKey) throws -> Data {
        let signed = Data(context.utf8) + file
        let document = [
            "algorithm": "Ed25519", "context": context.trimmingCharacters(in: .newlines), "file": name,
            "sha256": Hex.encode(SHA256.hash(data: file)),
            "publicKey": key.publicKey.rawRepresentation.base64EncodedString(),
            "signature": try key.signature(for: signed).base64EncodedString(),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }

    /// Whether `signatureDocument` is a valid signature on `file` by `publicKey`.
    public static func verify(file: Data, signatureDocument: Data, publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let document = try? JSONDecoder().decode([String: String].self, from: signatureDocument),
            let signature = document["signature"].flatMap({ Data(base64Encoded: $0) })
        else { return false }
        return publicKey.isValidSignature(signature, for: Data(context.utf8) + file)
    }
}
