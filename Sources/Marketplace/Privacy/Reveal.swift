import Domain
import Foundation
import SQLKit
import Storage

/// Personal fields that can be revealed unmasked.
public enum RevealableField: String, Sendable, Codable, CaseIterable {
    case login
    case displayName
}

/// Why staff may look at a person's data in full (clause 2.3.3: a recorded purpose for every access).
public enum RevealPurpose: String, Sendable, Codable, CaseIterable {
    case customerSupport = "customer-support"
    case disputeHandling = "dispute-handling"
    case fraudInvestigation = "fraud-investigation"
    case legalRequest = "legal-request"
    case incidentResponse = "incident-response"
}

/// Unmasked reads of personal data: by the person themselves, or by staff with the permission, a purpose,
/// a written justification and current confidentiality training. Every reveal is an audit event naming
/// who saw whose which fields and why (2.3.2, 2.3.3).
public enum Reveal {
    public static func own(fields: [RevealableField], caller: Caller, platform: Platform) async throws
        -> [String: String]
    {
        try await reveal(
            accountId: caller.accountId, fields: fields, actor: caller.accountId, purpose: "self",
            justification: nil, platform: platform)
    }

    public static func byStaff(
        accountId: String, fields: [RevealableField], purpose: RevealPurpose, justification: String, caller: Caller,
        platform: Platform
    ) async throws -> [String: String] {
        try caller.require(.revealPersonalData)
        let text = justification.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (10...500).contains(text.count) else {
            throw Problem.invalid("justification", "Write why you need to see this data (10 to 500 characters).")
        }
        guard try await StaffTrainingStore.isCurrent(staffId: caller.accountId, now: platform.now, on: platform.db.sql)
        else {
            try await AuditTrail.recordAlone(
                AuditEvent(
                    "privacy.reveal", actor: caller.accountId, subject: accountId, object: "account",
                    outcome: .denied, details: ["reason": "training-expired", "purpose": purpose.rawValue]),
                platform: platform)
            throw Problem(
                type: "confidentiality-training-required", status: 403, title: "Confidentiality training required",
                detail: "Revealing personal data needs a current confidentiality-training record. Ask an administrator."
            )
        }
        return try await reveal(
            accountId: accountId, fields: fields, actor: caller.accountId, purpose: purpose.rawValue,
            justification: text, platform: platform)
    }

    private static func reveal(
        accountId: String, fields: [RevealableField], actor: String, purpose: String, justification: String?,
        platform: Platform
    ) async throws -> [String: String] {
        guard !fields.isEmpty else { throw Problem.invalid("fields", "Name at least one field to reveal.") }
        return try await platform.db.transaction { db in
            guard let account = try await AccountStore.find(id: accountId, on: db), account.status != "erased" else {
                throw Problem.notFound("The account")
            }
            let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
            var values: [String: String] = [:]
            for field in Set(fields) {
                switch field {
                case .login:
                    values[field.rawValue] = try AccountFields.open(
                        account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
                case .displayName:
                    values[field.rawValue] = try AccountFields.open(
                        account.display_name_cipher, column: "display_name_cipher", accountId: account.id, key: key)
                }
            }
            var details = ["fields": values.keys.sorted().joined(separator: ","), "purpose": purpose]
            if let justification { details["justification"] = justification }
            try await AuditTrail.record(
                AuditEvent(
                    "privacy.reveal", actor: actor, subject: accountId, object: "account",
                    details: details),
                platform: platform, on: db)
            return values
        }
    }
}

/// Confidentiality-training records, kept by administrators (2.3.3).
public enum StaffTraining {
    public static func record(
        staffId: String, completedAt: Int64?, validDays: Int, caller: Caller, platform: Platform
    ) async throws {
        try caller.require(.manageStaff)
        guard (1...730).contains(validDays) else {
            throw Problem.invalid("validDays", "Training is valid for 1 to 730 days.")
        }
        let completed = completedAt ?? platform.now
        try await platform.db.transaction { db in
            guard let staff = try await AccountStore.find(id: staffId, on: db), staff.kind == AccountKind.staff.rawValue
            else { throw Problem.notFound("The staff account") }
            try await StaffTrainingStore.record(
                id: Identifiers.make(), staffId: staffId, completedAt: completed,
                expiresAt: completed + Int64(validDays) * 86_400_000, recordedBy: caller.accountId, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "staff.training.record", actor: caller.accountId, subject: staffId, object: "account",
                    details: ["validDays": String(validDays)]),
                platform: platform, on: db)
        }
    }
}
