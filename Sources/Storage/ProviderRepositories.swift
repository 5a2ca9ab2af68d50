public import Foundation
public import SQLKit

public struct ProviderRow: Codable, Sendable {
    public let id: String
    public let kind: String
    public let legal_name: String
    public let licence_code: String
    public let qualification: String
    public let contract_ref: String
    public let dpa_ref: String
    /// Contact people (names, phones, e-mails) as JSON, sealed under the provider's key.
    public let contacts_cipher: Data
    public var status: String
    public let created_by: String
    public let created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, kind: String, legal_name: String, licence_code: String, qualification: String,
        contract_ref: String, dpa_ref: String, contacts_cipher: Data, created_by: String, now: Int64
    ) {
        self.id = id
        self.kind = kind
        self.legal_name = legal_name
        self.licence_code = licence_code
        self.qualification = qualification
        self.contract_ref = contract_ref
        self.dpa_ref = dpa_ref
        self.contacts_cipher = contacts_cipher
        self.status = "active"
        self.created_by = created_by
        self.created_at = now
        self.updated_at = now
    }
}

public struct ProviderAssessmentRow: Codable, Sendable {
    public let id: String
    public let provider_id: String
    public let assessed_on: Int64
    public let assessor: String
    /// JSON object: question → answer.
    public let questionnaire: String
    public let findings: String
    public let result: String
    public let next_review_at: Int64
    public let recorded_by: String
    public let created_at: Int64

    public init(
        id: String, provider_id: String, assessed_on: Int64, assessor: String, questionnaire: String,
        findings: String, result: String, next_review_at: Int64, recorded_by: String, created_at: Int64
    ) {
        self.id = id
        self.provider_id = provider_id
        self.assessed_on = assessed_on
        self.assessor = assessor
        self.questionnaire = questionnaire
        self.findings = findings
        self.result = result
        self.next_review_at = next_review_at
        self.recorded_by = recorded_by
        self.created_at = created_at
    }
}

public struct ProviderCredentialRow: Codable, Sendable {
    public let id: String
    public let provider_id: String
    /// SHA-256 of the whole credential token; the token is shown once.
    public let secret_hash: String
    /// The provider's Ed25519 public key (base64) that signs its requests.
    public let public_key: String
    public let scopes: String
    /// JSON array of IPv4/IPv6 addresses or CIDR blocks; empty allows any.
    public let ip_allow: String
    public var expires_at: Int64
    public let created_by: String
    public let created_at: Int64
    public var revoked_at: Int64?
    public var last_used_at: Int64?

    public init(
        id: String, provider_id: String, secret_hash: String, public_key: String, scopes: String, ip_allow: String,
        expires_at: Int64, created_by: String, created_at: Int64
    ) {
        self.id = id
        self.provider_id = provider_id
        self.secret_hash = secret_hash
        self.public_key = public_key
        self.scopes = scopes
        self.ip_allow = ip_allow
        self.expires_at = expires_at
        self.created_by = created_by
        self.created_at = created_at
    }
}

public struct DisclosureRow: Codable, Sendable {
    public let id: String
    public let provider_id: String
    public let subject_id: String
    public let fields: String
    public let purpose: String
    public let legal_basis: String
    public let reference: String
    public let actor: String
    public let disclosed_at: Int64

    public init(
        id: String, provider_id: String, subject_id: String, fields: String, purpose: String, legal_basis: String,
        reference: String, actor: String, disclosed_at: Int64
    ) {
        self.id = id
        self.provider_id = provider_id
        self.subject_id = subject_id
        self.fields = fields
        self.purpose = purpose
        self.legal_basis = legal_basis
        self.reference = reference
        self.actor = actor
        self.disclosed_at = disclosed_at
    }
}

public enum ProviderStore {
    public static func insert(_ row: ProviderRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "providers").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> ProviderRow? {
        try await db.select().column("*").from("providers").where("id", .equal, id).first(decoding: ProviderRow.self)
    }

    public static func all(on db: any SQLDatabase) async throws -> [ProviderRow] {
        try await db.select().column("*").from("providers").orderBy("created_at").limit(500)
            .all(decoding: ProviderRow.self)
    }

    public static func setStatus(id: String, status: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE providers SET status = \(bind: status), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status <> 'revoked' RETURNING id
            """
        ).first() != nil
    }

    public static func insert(_ row: ProviderAssessmentRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "provider_assessments").model(row).run()
    }

    public static func assessments(provider: String, on db: any SQLDatabase) async throws -> [ProviderAssessmentRow] {
        try await db.select().column("*").from("provider_assessments").where("provider_id", .equal, provider)
            .orderBy("assessed_on", .descending).orderBy("created_at", .descending).limit(50)
            .all(decoding: ProviderAssessmentRow.self)
    }

    public static func insert(_ row: ProviderCredentialRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "provider_credentials").model(row).run()
    }

    public static func credential(id: String, on db: any SQLDatabase) async throws -> ProviderCredentialRow? {
        try await db.select().column("*").from("provider_credentials").where("id", .equal, id)
            .first(decoding: ProviderCredentialRow.self)
    }

    public static func credential(secretHash: String, on db: any SQLDatabase) async throws -> ProviderCredentialRow? {
        try await db.select().column("*").from("provider_credentials").where("secret_hash", .equal, secretHash)
            .first(decoding: ProviderCredentialRow.self)
    }

    public static func credentials(provider: String, on db: any SQLDatabase) async throws -> [ProviderCredentialRow] {
        try await db.select().column("*").from("provider_credentials").where("provider_id", .equal, provider)
            .orderBy("created_at", .descending).all(decoding: ProviderCredentialRow.self)
    }

    /// Ends a credential at `at` (now, or a short overlap after rotation); false if it had ended already.
    public static func endCredential(id: String, at: Int64, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE provider_credentials SET expires_at = \(bind: at),
              revoked_at = CASE WHEN \(bind: at) <= \(bind: now) THEN \(bind: now) ELSE revoked_at END
            WHERE id = \(bind: id) AND revoked_at IS NULL AND expires_at > \(bind: now) RETURNING id
            """
        ).first() != nil
    }

    public static func touch(credential id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("provider_credentials").set("last_used_at", to: now).where("id", .equal, id).run()
    }

    public static func insert(_ row: DisclosureRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "disclosures").model(row).run()
    }

    public static func disclosures(subject: String, on db: any SQLDatabase) async throws -> [DisclosureRow] {
        try await db.select().column("*").from("disclosures").where("subject_id", .equal, subject)
            .orderBy("disclosed_at", .descending).limit(500).all(decoding: DisclosureRow.self)
    }

    /// Orders handed to a logistics provider that are still being delivered.
    public static func assignedShipments(provider: String, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.select().column("*").from("orders").where("logistics_provider_id", .equal, provider)
            .where("status", .in, ["shipped", "delivered"]).orderBy("shipped_at", .descending).limit(500)
            .all(decoding: OrderRow.self)
    }
}
