public import Foundation

/// An account row as stored: personal fields are ciphertext.
public struct AccountRow: Codable, Sendable {
    public var id: String
    public var kind: String
    public var role: String
    public var merchant_id: String?
    public var login_kind: String
    public var login_index: String
    public var login_cipher: Data
    public var display_name_cipher: Data
    public var password_hash: String
    public var must_change_password: Bool
    public var totp_secret_cipher: Data?
    public var totp_enabled: Bool
    public var totp_last_step: Int64?
    public var status: String
    public var created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, kind: String, role: String, merchant_id: String?, login_kind: String, login_index: String,
        login_cipher: Data, display_name_cipher: Data, password_hash: String, must_change_password: Bool,
        status: String, now: Int64
    ) {
        self.id = id
        self.kind = kind
        self.role = role
        self.merchant_id = merchant_id
        self.login_kind = login_kind
        self.login_index = login_index
        self.login_cipher = login_cipher
        self.display_name_cipher = display_name_cipher
        self.password_hash = password_hash
        self.must_change_password = must_change_password
        self.totp_secret_cipher = nil
        self.totp_enabled = false
        self.totp_last_step = nil
        self.status = status
        self.created_at = now
        self.updated_at = now
    }
}

/// A session row: only the token's hash is stored.
public struct SessionRow: Codable, Sendable {
    public var id: String
    public var token_hash: String
    public var account_id: String
    public var created_at: Int64
    public var last_seen_at: Int64
    public var expires_at: Int64
    public var idle_timeout_ms: Int64
    public var two_factor: Bool
    public var device_label: String
    public var revoked_at: Int64?
    /// The party has not accepted the rulebook in force when this session began.
    public var rules_pending: Bool

    public init(
        id: String, token_hash: String, account_id: String, now: Int64, expires_at: Int64, idle_timeout_ms: Int64,
        two_factor: Bool, device_label: String, rules_pending: Bool = false
    ) {
        self.rules_pending = rules_pending
        self.id = id
        self.token_hash = token_hash
        self.account_id = account_id
        self.created_at = now
        self.last_seen_at = now
        self.expires_at = expires_at
        self.idle_timeout_ms = idle_timeout_ms
        self.two_factor = two_factor
        self.device_label = device_label
        self.revoked_at = nil
    }
}

public struct SubjectKeyRow: Codable, Sendable {
    public var subject_id: String
    public var master_version: Int64
    public var wrapped_key: Data?
    public var created_at: Int64
    public var destroyed_at: Int64?

    public init(subject_id: String, master_version: Int64, wrapped_key: Data?, created_at: Int64) {
        self.subject_id = subject_id
        self.master_version = master_version
        self.wrapped_key = wrapped_key
        self.created_at = created_at
        self.destroyed_at = nil
    }
}

public struct SecurityNoticeRow: Codable, Sendable {
    public var id: String
    public var account_id: String
    public var kind: String
    public var message: String
    public var created_at: Int64
    public var read_at: Int64?

    public init(id: String, account_id: String, kind: String, message: String, created_at: Int64) {
        self.id = id
        self.account_id = account_id
        self.kind = kind
        self.message = message
        self.created_at = created_at
        self.read_at = nil
    }
}

public struct AuditEventRow: Codable, Sendable {
    public var id: Int64?
    public var event_type: String
    public var actor: String
    public var subject: String
    public var object_ref: String
    public var outcome: String
    public var occurred_at: Int64
    public var details_hash: String
    public var leaf_index: Int64?

    public init(
        event_type: String, actor: String, subject: String, object_ref: String, outcome: String, occurred_at: Int64,
        details_hash: String
    ) {
        self.id = nil
        self.event_type = event_type
        self.actor = actor
        self.subject = subject
        self.object_ref = object_ref
        self.outcome = outcome
        self.occurred_at = occurred_at
        self.details_hash = details_hash
        self.leaf_index = nil
    }
}
