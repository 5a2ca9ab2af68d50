import Crypto
public import Domain
import Foundation
import Privacy
import SQLKit
import Storage

public struct ProviderContact: Sendable, Codable, Equatable {
    public let name: String
    public let phone: String
    public let role: String

    public init(name: String, phone: String, role: String) {
        self.name = name
        self.phone = phone
        self.role = role
    }
}

public struct ProviderInput: Sendable {
    public let kind: String
    public let legalName: String
    public let licenceCode: String
    public let qualification: String
    public let contractRef: String
    public let dpaRef: String
    public let contacts: [ProviderContact]

    public init(
        kind: String, legalName: String, licenceCode: String, qualification: String, contractRef: String,
        dpaRef: String, contacts: [ProviderContact]
    ) {
        self.kind = kind
        self.legalName = legalName
        self.licenceCode = licenceCode
        self.qualification = qualification
        self.contractRef = contractRef
        self.dpaRef = dpaRef
        self.contacts = contacts
    }
}

public struct ProviderAssessmentView: Sendable, Codable, Equatable {
    public let id: String
    public let assessedOn: Int64
    public let assessor: String
    public let questionnaire: [String: String]
    public let findings: String
    public let result: String
    public let nextReviewAt: Int64
}

public struct ProviderCredentialView: Sendable, Codable, Equatable {
    public let id: String
    public let scopes: [String]
    public let ipAllow: [String]
    public let expiresAt: Int64
    public let revokedAt: Int64?
    public let lastUsedAt: Int64?
    /// Shown once, when the credential is issued; never stored.
    public var token: String?
}

public struct ProviderView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: String
    public let legalName: String
    public let licenceCode: String
    public let qualification: String
    public let contractRef: String
    public let dpaRef: String
    /// Names and phones masked.
    public let contacts: [ProviderContact]
    public let status: String
    /// The latest assessment passed and its review is not yet due.
    public let assessmentCurrent: Bool
    /// The latest assessment's review date has passed.
    public let reviewOverdue: Bool
    public let assessments: [ProviderAssessmentView]
    public let credentials: [ProviderCredentialView]
}

/// The registry of third-party providers (clause 2.6): who they are, what licence they hold, their contract and
/// data-processing agreement, their security assessments, and the credentials they get only while an assessment
/// is passing and current. Suspending or revoking a provider cuts its access on its next request. Audited.
public enum ServiceProviders {
    static let results = ["pass", "conditional", "fail"]

    public static func register(_ input: ProviderInput, caller: Caller, platform: Platform) async throws
        -> ProviderView
    {
        try caller.require(.manageProviders)
        guard let kind = ProviderKind(rawValue: input.kind) else {
            throw Problem.invalid("kind", "One of \(ProviderKind.allCases.map(\.rawValue)).")
        }
        func line(_ value: String, _ field: String, _ maximum: Int = 64) throws -> String {
            try TextInput.singleLine(maximumLength: maximum).validate(value, field: field)
        }
        let legalName = try line(input.legalName, "legalName", 100)
        let check = SocialCreditCode.check(input.licenceCode)
        guard case .valid(let licence) = check else {
            throw Problem.invalid("licenceCode", "The unified social credit code is not valid (check character).")
        }
        let qualification = try line(input.qualification, "qualification")
        let contractRef = try line(input.contractRef, "contractRef")
        let dpaRef = try line(input.dpaRef, "dpaRef")
        guard (1...10).contains(input.contacts.count) else {
            throw Problem.invalid("contacts", "One to ten contact people.")
        }
        let contacts = try input.contacts.map {
            guard let phone = try? MobileNumber($0.phone) else {
                throw Problem.invalid("contacts", "Each contact has a mainland mobile number.")
            }
            return ProviderContact(
                name: try line($0.name, "contacts", 32), phone: phone.value, role: try line($0.role, "contacts", 32))
        }
        let id = Identifiers.make()
        let row = try await platform.db.transaction { db in
            let key = try await SubjectKeys.keyForWriting(subject: id, platform: platform, on: db)
            let row = ProviderRow(
                id: id, kind: kind.rawValue, legal_name: legalName, licence_code: licence.value,
                qualification: qualification, contract_ref: contractRef, dpa_ref: dpaRef,
                contacts_cipher: try FieldCipher.seal(
                    String(decoding: try JSONEncoder().encode(contacts), as: UTF8.self), key: key,
                    context: FieldContext(table: "providers", column: "contacts_cipher", row: id)),
                created_by: caller.accountId, now: platform.now)
            do {
                try await ProviderStore.insert(row, on: db)
            } catch {
                throw Problem.conflict("A \(kind.rawValue) provider with this licence code is registered already.")
            }
            try await AuditTrail.record(
                AuditEvent(
                    "provider.register", actor: caller.accountId, object: "provider:\(id)",
                    details: ["kind": kind.rawValue, "licence": licence.value, "contract": contractRef, "dpa": dpaRef]),
                platform: platform, on: db)
            return row
        }
        return try await view(row, platform: platform)
    }

    public static func list(caller: Caller, platform: Platform) async throws -> [ProviderView] {
        try caller.require(.manageProviders)
        var views: [ProviderView] = []
        for row in try await ProviderStore.all(on: platform.db.sql) {
            views.append(try await view(row, platform: platform))
        }
        return views
    }

    /// Records a security assessment (date, assessor, questionnaire, findings, result, next review).
    public static func assess(
        provider id: String, assessedOn: Int64, assessor rawAssessor: String, questionnaire: [String: String],
        findings rawFindings: String, result: String, nextReviewAt: Int64, caller: Caller, platform: Platform
    ) async throws -> ProviderView {
        try caller.require(.manageProviders)
        guard results.contains(result) else { throw Problem.invalid("result", "One of \(results).") }
        let assessor = try TextInput.singleLine(maximumLength: 100).validate(rawAssessor, field: "assessor")
        let findings = try TextInput.multiline(maximumLength: 5_000, allowsEmpty: true).validate(
            rawFindings, field: "findings")
        guard !questionnaire.isEmpty, questionnaire.count <= 200,
            questionnaire.allSatisfy({ $0.key.count <= 200 && $0.value.count <= 2_000 })
        else { throw Problem.invalid("questionnaire", "One to 200 answered questions.") }
        guard assessedOn <= platform.now, nextReviewAt > assessedOn,
            nextReviewAt - assessedOn <= 2 * 366 * 86_400_000
        else {
            throw Problem.invalid("nextReviewAt", "Assessed in the past; the next review after it, within two years.")
        }
        guard let provider = try await ProviderStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The provider")
        }
        let row = ProviderAssessmentRow(
            id: Identifiers.make(), provider_id: id, assessed_on: assessedOn, assessor: assessor,
            questionnaire: CanonicalJSON.encode(questionnaire), findings: findings, result: result,
            next_review_at: nextReviewAt, recorded_by: caller.accountId, created_at: platform.now)
        try await platform.db.transaction { db in
            try await ProviderStore.insert(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "provider.assess", actor: caller.accountId, object: "provider:\(id)",
                    details: ["result": result, "nextReviewAt": String(nextReviewAt), "assessor": assessor]),
                platform: platform, on: db)
        }
        return try await view(provider, platform: platform)
    }

    /// Suspends, reinstates or revokes a provider. Its credentials stop working on the next request; revoking
    /// also ends them for good.
    public static func setStatus(
        provider id: String, status: String, reason rawReason: String, caller: Caller, platform: Platform
    ) async throws -> ProviderView {
        try caller.require(.manageProviders)
        guard ["active", "suspended", "revoked"].contains(status) else {
            throw Problem.invalid("status", "active, suspended or revoked.")
        }
        let reason = try TextInput.singleLine(maximumLength: 200).validate(rawReason, field: "reason")
        let now = platform.now
        try await platform.db.transaction { db in
            guard try await ProviderStore.setStatus(id: id, status: status, now: now, on: db) else {
                throw Problem.conflict("The provider does not exist or was revoked.")
            }
            if status == "revoked" {
                for credential in try await ProviderStore.credentials(provider: id, on: db) {
                    _ = try await ProviderStore.endCredential(id: credential.id, at: now, now: now, on: db)
                }
            }
            try await AuditTrail.record(
                AuditEvent(
                    "provider.status", actor: caller.accountId, object: "provider:\(id)",
                    details: ["status": status, "reason": reason]), platform: platform, on: db)
        }
        guard let row = try await ProviderStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The provider")
        }
        return try await view(row, platform: platform)
    }

    /// Legal names of active providers whose latest assessment did not pass or is due for review (self-assessment).
    public static func overdueReviews(platform: Platform) async throws -> [String] {
        var names: [String] = []
        for row in try await ProviderStore.all(on: platform.db.sql) where row.status == "active" {
            let assessments = try await ProviderStore.assessments(provider: row.id, on: platform.db.sql)
            if !assessmentCurrent(assessments, now: platform.now) { names.append(row.legal_name) }
        }
        return names
    }

    /// Whether the provider's latest assessment passed and its review is not yet due.
    static func assessmentCurrent(_ assessments: [ProviderAssessmentRow], now: Int64) -> Bool {
        guard let latest = assessments.first else { return false }
        return latest.result == "pass" && latest.next_review_at > now
    }

    static func view(_ row: ProviderRow, platform: Platform) async throws -> ProviderView {
        let db = platform.db.sql
        let assessments = try await ProviderStore.assessments(provider: row.id, on: db)
        var contacts: [ProviderContact] = []
        if let key = try? await SubjectKeys.key(subject: row.id, platform: platform, on: db),
            let json = try? FieldCipher.open(
                row.contacts_cipher, key: key,
                context: FieldContext(table: "providers", column: "contacts_cipher", row: row.id)),
            let stored = try? JSONDecoder().decode([ProviderContact].self, from: Data(json.utf8))
        {
            contacts = stored.map {
                ProviderContact(name: Masking.mask(name: $0.name), phone: Masking.mask(phone: $0.phone), role: $0.role)
            }
        }
        let now = platform.now
        return ProviderView(
            id: row.id, kind: row.kind, legalName: row.legal_name, licenceCode: row.licence_code,
            qualification: row.qualification, contractRef: row.contract_ref, dpaRef: row.dpa_ref, contacts: contacts,
            status: row.status, assessmentCurrent: assessmentCurrent(assessments, now: now),
            reviewOverdue: assessments.first.map { $0.next_review_at <= now } ?? true,
            assessments: assessments.map {
                ProviderAssessmentView(
                    id: $0.id, assessedOn: $0.assessed_on, assessor: $0.assessor,
                    questionnaire: (try? JSONDecoder().decode([String: String].self, from: Data($0.questionnaire.utf8)))
                        ?? [:], findings: $0.findings, result: $0.result, nextReviewAt: $0.next_review_at)
            },
            credentials: try await ProviderStore.credentials(provider: row.id, on: db).map(ProviderCredentials.view))
    }
}
