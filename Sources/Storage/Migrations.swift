import FluentKit
import SQLKit

/// The schema, as small named migrations applied in order (DESIGN.md, example 6).
/// Timestamps are Int64 milliseconds since the epoch; personal fields are ciphertext (`_cipher`) with
/// blind indexes (`_index`) for exact lookups.
enum Schema {
    static let all: [any Migration] = [
        CreateSubjectKeys(), CreateAccounts(), CreateSessions(), CreateLoginAttempts(), CreateRecoveryCodes(),
        CreateKnownDevices(), CreateSecurityNotices(), CreateAuditEvents(), CreateAuditTree(),
        CreatePrivacyRecords(), CreatePlatformConfiguration(), CreateAuditWriteView(),
        CreateConsents(), DropRedundantAuditIndex(), CreateIdentityVerifications(),
        CreateListings(), CreateOrders(), CreateIdempotencyKeys(), AddOrderRecipients(), CreatePaymentsAndLedger(),
        AddOrderFulfilment(),
        CreateReviews(), CreateRisk(), CreateDisputes(), CreateForceMajeure(), AddDeliveryRegion(),
        CreateComplaints(), CreateGovernance(), AddSessionRulesPending(), CreateProviders(),
        CreateIncidents(), CreateVulnerabilities(), CreateShield(), AddPaymentPayerAddress(), AddShippingDeadline(),
        CreateMaintenanceJobs(), CreateRiskSignals(), AddMaintenanceJobDetails(), CreateServiceLeases(),
        AddIdempotencyResource(), CreateShieldUsage(), CreateStepUpCodes(),
    ]
}

struct CreateSubjectKeys: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("subject_keys")
            .field("subject_id", .string, .identifier(auto: false))
            .field("master_version", .int64, .required)
            .field("wrapped_key", .data)
            .field("created_at", .int64, .required)
            .field("destroyed_at", .int64)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("subject_keys").delete() }
}

struct CreateAccounts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("accounts")
            .field("id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("role", .string, .required)
            .field("merchant_id", .string)
            .field("login_kind", .string, .required)
            .field("login_index", .string, .required)
            .field("login_cipher", .data, .required)
            .field("display_name_cipher", .data, .required)
            .field("password_hash", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("totp_secret_cipher", .data)
            .field("totp_enabled", .bool, .required)
            .field("totp_last_step", .int64)
            .field("status", .string, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "login_index")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("accounts").delete() }
}

struct CreateSessions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("sessions")
            .field("id", .string, .identifier(auto: false))
            .field("token_hash", .string, .required)
            .field("account_id", .string, .required, .references("accounts", "id"))
            .field("created_at", .int64, .required)
            .field("last_seen_at", .int64, .required)
            .field("expires_at", .int64, .required)
            .field("idle_timeout_ms", .int64, .required)
            .field("two_factor", .bool, .required)
            .field("device_label", .string, .required)
            .field("revoked_at", .int64)
            .unique(on: "token_hash")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("sessions").delete() }
}

struct CreateLoginAttempts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("login_attempts")
            .field("id", .string, .identifier(auto: false))
            .field("account_id", .string)
            .field("login_index", .string, .required)
            .field("ip_index", .string, .required)
            .field("succeeded", .bool, .required)
            .field("at", .int64, .required)
            .create()
        try await db.schema("login_locks")
            .field("login_index", .string, .identifier(auto: false))
            .field("locked_until", .int64)
            .field("reset_at", .int64, .required)
            .create()
        try await (db as! any SQLDatabase).create(index: "login_attempts_login_at").on("login_attempts")
            .column("login_index").column("at").run()
        try await (db as! any SQLDatabase).create(index: "login_attempts_ip_at").on("login_attempts")
            .column("ip_index").column("at").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("login_locks").delete()
        try await db.schema("login_attempts").delete()
    }
}

struct CreateRecoveryCodes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("recovery_codes")
            .field("code_hash", .string, .identifier(auto: false))
            .field("account_id", .string, .required, .references("accounts", "id"))
            .field("used_at", .int64)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("recovery_codes").delete() }
}

struct CreateKnownDevices: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("known_devices")
            .field("account_id", .string, .required, .references("accounts", "id"))
            .field("device_index", .string, .required)
            .field("first_seen_at", .int64, .required)
            .unique(on: "account_id", "device_index")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("known_devices").delete() }
}

struct CreateSecurityNotices: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("security_notices")
            .field("id", .string, .identifier(auto: false))
            .field("account_id", .string, .required, .references("accounts", "id"))
            .field("kind", .string, .required)
            .field("message", .string, .required)
            .field("created_at", .int64, .required)
            .field("read_at", .int64)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("security_notices").delete() }
}

/// Audit events are written in the same transaction as the action they record; `leaf_index` is assigned
/// later by the single integrator that builds the Merkle tree (issue 3), so commit order never matters.
struct CreateAuditEvents: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("audit_events")
            .field("id", .int64, .identifier(auto: true))
            .field("event_type", .string, .required)
            .field("actor", .string, .required)
            .field("subject", .string, .required)
            .field("object_ref", .string, .required)
            .field("outcome", .string, .required)
            .field("occurred_at", .int64, .required)
            .field("details_hash", .string, .required)
            .field("leaf_index", .int64)
            .unique(on: "leaf_index")
            .create()
        try await db.schema("audit_details")
            .field("details_hash", .string, .identifier(auto: false))
            .field("key_subject", .string, .required)
            .field("details_cipher", .data, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("audit_details").delete()
        try await db.schema("audit_events").delete()
    }
}

/// The Merkle tree over integrated audit events: complete-subtree hashes and signed tree heads (issue 3).
struct CreateAuditTree: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("audit_nodes")
            .field("level", .int64, .required)
            .field("idx", .int64, .required)
            .field("hash", .string, .required)
            .unique(on: "level", "idx")
            .create()
        try await db.schema("audit_heads")
            .field("tree_size", .int64, .identifier(auto: false))
            .field("root_hash", .string, .required)
            .field("timestamp", .int64, .required)
            .field("signature", .string, .required)
            .create()
        try await (db as! any SQLDatabase).create(index: "audit_events_pending").on("audit_events")
            .column("leaf_index").column("id").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("audit_heads").delete()
        try await db.schema("audit_nodes").delete()
    }
}

/// Confidentiality training of staff (2.3.3) and the tracked rights requests of people (2.3.5).
struct CreatePrivacyRecords: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("staff_training")
            .field("id", .string, .identifier(auto: false))
            .field("staff_id", .string, .required, .references("accounts", "id"))
            .field("completed_at", .int64, .required)
            .field("expires_at", .int64, .required)
            .field("recorded_by", .string, .required)
            .create()
        try await db.schema("privacy_requests")
            .field("id", .string, .identifier(auto: false))
            .field("account_id", .string, .required)
            .field("kind", .string, .required)
            .field("status", .string, .required)
            .field("created_at", .int64, .required)
            .field("due_at", .int64, .required)
            .field("completed_at", .int64)
            .field("handled_by", .string)
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("privacy_requests").delete()
        try await db.schema("staff_training").delete()
    }
}

/// The security settings last in force, so a change between starts is noticed and audited (2.2).
struct CreatePlatformConfiguration: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("platform_configuration")
            .field("name", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("changed_at", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("platform_configuration").delete() }
}

/// SQLite: an insertable view over an event and its details, so recording audit events is one statement
/// (each statement costs a thread hop; audit must add little to the request it records). PostgreSQL gets
/// the same single statement from a data-modifying `WITH` instead (see `AuditStore.append`).
struct CreateAuditWriteView: AsyncMigration {
    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        guard sql.dialect.name == "sqlite" else { return }
        try await sql.raw(
            """
            CREATE VIEW audit_writes AS SELECT e.event_type, e.actor, e.subject, e.object_ref, e.outcome,
            e.occurred_at, e.details_hash, d.key_subject, d.details_cipher
            FROM audit_events e JOIN audit_details d ON d.details_hash = e.details_hash
            """
        ).run()
        try await sql.raw(
            """
            CREATE TRIGGER audit_writes_insert INSTEAD OF INSERT ON audit_writes BEGIN
            INSERT INTO audit_details (details_hash, key_subject, details_cipher)
            VALUES (NEW.details_hash, NEW.key_subject, NEW.details_cipher);
            INSERT INTO audit_events (event_type, actor, subject, object_ref, outcome, occurred_at, details_hash)
            VALUES (NEW.event_type, NEW.actor, NEW.subject, NEW.object_ref, NEW.outcome, NEW.occurred_at,
            NEW.details_hash);
            END
            """
        ).run()
    }
    func revert(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        guard sql.dialect.name == "sqlite" else { return }
        try await sql.raw("DROP VIEW IF EXISTS audit_writes").run()
    }
}

/// Consent records per purpose and privacy-notice version (2.3.1); withdrawn ones are kept as evidence.
struct CreateConsents: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("consents")
            .field("id", .string, .identifier(auto: false))
            .field("account_id", .string, .required)
            .field("purpose", .string, .required)
            .field("notice_version", .string, .required)
            .field("granted_at", .int64, .required)
            .field("withdrawn_at", .int64)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "consents_by_account").on("consents").column("account_id").run()
    }
    func revert(on db: any Database) async throws { try await db.schema("consents").delete() }
}

/// `audit_events_pending` (leaf_index, id) repeats the unique index on `leaf_index`, whose entries already
/// come in row order; one index fewer per audit event.
struct DropRedundantAuditIndex: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await (db as! any SQLDatabase).drop(index: "audit_events_pending").ifExists().run()
    }
    func revert(on db: any Database) async throws {
        try await (db as! any SQLDatabase).create(index: "audit_events_pending").on("audit_events")
            .column("leaf_index").column("id").run()
    }
}

/// Real-name verification of consumers and merchants (2.3.4): one row per account, its state and evidence.
struct CreateIdentityVerifications: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("identity_verifications")
            .field("account_id", .string, .identifier(auto: false))
            .field("subject_kind", .string, .required)
            .field("status", .string, .required)
            .field("reason", .string)
            .field("name_cipher", .data)
            .field("id_number_cipher", .data)
            .field("id_index", .string)
            .field("licence_cipher", .data)
            .field("code_mac", .string)
            .field("code_expires_at", .int64)
            .field("code_attempts", .int64, .required)
            .field("submitted_at", .int64, .required)
            .field("decided_at", .int64)
            .field("decided_by", .string)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "identity_verifications_by_id").on("identity_verifications").column("id_index")
            .run()
    }
    func revert(on db: any Database) async throws { try await db.schema("identity_verifications").delete() }
}

/// Merchants' listings (2.4.1), screened before they are published.
struct CreateListings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("listings")
            .field("id", .string, .identifier(auto: false))
            .field("merchant_id", .string, .required)
            .field("title", .string, .required)
            .field("description", .string, .required)
            .field("image_refs", .string, .required)
            .field("price_fen", .int64, .required)
            .field("stock", .int64, .required)
            .field("category", .string, .required)
            .field("status", .string, .required)
            .field("screening_reasons", .string, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .field("reviewed_by", .string)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "listings_browse").on("listings").column("status").column("category")
            .column("created_at").run()
        try await sql.create(index: "listings_by_merchant").on("listings").column("merchant_id").run()
    }
    func revert(on db: any Database) async throws { try await db.schema("listings").delete() }
}

/// Carts, checkouts and orders (2.4.1): one order per merchant under one checkout; lines copy what was bought.
struct CreateOrders: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("cart_items")
            .field("account_id", .string, .required)
            .field("listing_id", .string, .required)
            .field("quantity", .int64, .required)
            .field("added_at", .int64, .required)
            .unique(on: "account_id", "listing_id")
            .create()
        try await db.schema("checkouts")
            .field("id", .string, .identifier(auto: false))
            .field("buyer_id", .string, .required)
            .field("total_fen", .int64, .required)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("orders")
            .field("id", .string, .identifier(auto: false))
            .field("checkout_id", .string, .required)
            .field("buyer_id", .string, .required)
            .field("merchant_id", .string, .required)
            .field("status", .string, .required)
            .field("total_fen", .int64, .required)
            .field("pay_by", .int64, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        try await db.schema("order_lines")
            .field("order_id", .string, .required)
            .field("listing_id", .string, .required)
            .field("title", .string, .required)
            .field("price_fen", .int64, .required)
            .field("quantity", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "orders_by_buyer").on("orders").column("buyer_id").column("created_at").run()
        try await sql.create(index: "orders_by_merchant").on("orders").column("merchant_id").column("created_at").run()
        try await sql.create(index: "orders_by_status").on("orders").column("status").column("pay_by").run()
        try await sql.create(index: "order_lines_by_order").on("order_lines").column("order_id").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["order_lines", "orders", "checkouts", "cart_items"] { try await db.schema(table).delete() }
    }
}

/// Responses to requests that create orders or move money, by the client's `Idempotency-Key`.
struct CreateIdempotencyKeys: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("idempotency_keys")
            .field("account_id", .string, .required)
            .field("idempotency_key", .string, .required)
            .field("fingerprint", .string, .required)
            .field("status_code", .int64)
            .field("response_body", .data)
            .field("created_at", .int64, .required)
            .unique(on: "account_id", "idempotency_key")
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("idempotency_keys").delete() }
}

/// Where an order goes (encrypted under the buyer's key) and the time-limited waybill reveals of merchants.
struct AddOrderRecipients: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("orders")
            .field("recipient_cipher", .data)
            .update()
        try await db.schema("waybill_grants")
            .field("order_id", .string, .required)
            .field("staff_id", .string, .required)
            .field("granted_at", .int64, .required)
            .field("expires_at", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("waybill_grants").delete()
        try await db.schema("orders").deleteField("recipient_cipher").update()
    }
}

/// Payments through the third-party institution (2.4.2: only a token, brand and last four digits), the callbacks
/// already handled, and the double-entry ledger with refunds and payouts.
struct CreatePaymentsAndLedger: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("payments")
            .field("id", .string, .identifier(auto: false))
            .field("checkout_id", .string, .required)
            .field("provider", .string, .required)
            .field("intent_id", .string)
            .field("amount_fen", .int64, .required)
            .field("currency", .string, .required)
            .field("status", .string, .required)
            .field("pay_url", .string)
            .field("token_index", .string)
            .field("card_brand", .string)
            .field("card_last4", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "checkout_id")
            .create()
        try await db.schema("payment_events")
            .field("event_id", .string, .identifier(auto: false))
            .field("type", .string, .required)
            .field("received_at", .int64, .required)
            .create()
        try await db.schema("ledger_entries")
            .field("id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("order_id", .string)
            .field("reference", .string, .required)
            .field("created_at", .int64, .required)
            .unique(on: "reference")
            .create()
        try await db.schema("ledger_postings")
            .field("entry_id", .string, .required)
            .field("account", .string, .required)
            .field("amount_fen", .int64, .required)
            .create()
        try await db.schema("refunds")
            .field("id", .string, .identifier(auto: false))
            .field("order_id", .string, .required)
            .field("payment_id", .string, .required)
            .field("provider_refund_id", .string)
            .field("amount_fen", .int64, .required)
            .field("status", .string, .required)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("payouts")
            .field("id", .string, .identifier(auto: false))
            .field("merchant_id", .string, .required)
            .field("requested_by", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("status", .string, .required)
            .field("provider_payout_id", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "ledger_postings_by_account").on("ledger_postings").column("account").run()
        try await sql.create(index: "ledger_postings_by_entry").on("ledger_postings").column("entry_id").run()
        try await sql.create(index: "payouts_by_merchant").on("payouts").column("merchant_id").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["payouts", "refunds", "ledger_postings", "ledger_entries", "payment_events", "payments"] {
            try await db.schema(table).delete()
        }
    }
}

/// Shipment, delivery and receipt: the buyer's window to confirm, extendable once, then confirmed by the system.
struct AddOrderFulfilment: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds one column at a time.
        let columns: [(String, DatabaseSchema.DataType)] = [
            ("carrier", .string), ("tracking_number", .string), ("shipped_at", .int64), ("delivered_at", .int64),
            ("receipt_due_at", .int64), ("receipt_extended_at", .int64), ("completed_at", .int64),
        ]
        for (name, type) in columns {
            try await db.schema("orders").field(FieldKey(stringLiteral: name), type).update()
        }
        let sql = db as! any SQLDatabase
        try await sql.create(index: "orders_by_receipt_due").on("orders").column("receipt_due_at").run()
    }
    func revert(on db: any Database) async throws {
        for field in [
            "carrier", "tracking_number", "shipped_at", "delivered_at", "receipt_due_at", "receipt_extended_at",
            "completed_at",
        ] {
            try await db.schema("orders").deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}

/// Reviews of completed order lines (one per line, by its buyer), merchants' replies, and fake-review signals.
struct CreateReviews: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("reviews")
            .field("id", .string, .identifier(auto: false))
            .field("order_id", .string, .required)
            .field("listing_id", .string, .required)
            .field("buyer_id", .string, .required)
            .field("merchant_id", .string, .required)
            .field("rating", .int64, .required)
            .field("body", .string, .required)
            .field("reply", .string)
            .field("created_at", .int64, .required)
            .field("replied_at", .int64)
            .unique(on: "order_id", "listing_id")
            .create()
        try await db.schema("review_signals")
            .field("review_id", .string, .required)
            .field("merchant_id", .string, .required)
            .field("kind", .string, .required)
            .field("detail", .string, .required)
            .field("created_at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "reviews_by_listing").on("reviews").column("listing_id").column("created_at").run()
        try await sql.create(index: "reviews_by_merchant").on("reviews").column("merchant_id").column("created_at")
            .run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("review_signals").delete()
        try await db.schema("reviews").delete()
    }
}

/// Risk decisions with their reasons and versions, the review queue for risk analysts, and allow/deny lists.
struct CreateRisk: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("risk_decisions")
            .field("id", .string, .identifier(auto: false))
            .field("event", .string, .required)
            .field("account_id", .string, .required)
            .field("object", .string, .required)
            .field("outcome", .string, .required)
            .field("score", .double, .required)
            .field("reasons", .string, .required)
            .field("features", .string, .required)
            .field("rule_set_version", .string, .required)
            .field("model_version", .string)
            .field("shadow_outcome", .string)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("risk_cases")
            .field("id", .string, .identifier(auto: false))
            .field("decision_id", .string, .required)
            .field("account_id", .string, .required)
            .field("status", .string, .required)
            .field("claimed_by", .string)
            .field("label", .string)
            .field("note", .string)
            .field("created_at", .int64, .required)
            .field("decided_at", .int64)
            .create()
        try await db.schema("risk_lists")
            .field("list", .string, .required)
            .field("kind", .string, .required)
            .field("value_index", .string, .required)
            .field("added_by", .string, .required)
            .field("added_at", .int64, .required)
            .unique(on: "list", "kind", "value_index")
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "risk_decisions_by_account").on("risk_decisions").column("account_id")
            .column("created_at").run()
        try await sql.create(index: "risk_cases_by_status").on("risk_cases").column("status").column("created_at").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["risk_lists", "risk_cases", "risk_decisions"] { try await db.schema(table).delete() }
    }
}

/// Complaint and dispute cases (clause 2.4.4), their timelines (messages under their authors' keys) and
/// evidence images (encrypted).
struct CreateDisputes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("disputes")
            .field("id", .string, .identifier(auto: false))
            .field("order_id", .string, .required)
            .field("consumer_id", .string, .required)
            .field("merchant_id", .string, .required)
            .field("reason", .string, .required)
            .field("remedy", .string, .required)
            .field("amount_fen", .int64, .required)
            .field("status", .string, .required)
            .field("offer_remedy", .string)
            .field("offer_amount_fen", .int64)
            .field("outcome_remedy", .string)
            .field("outcome_amount_fen", .int64)
            .field("rule_applied", .string)
            .field("decided_by", .string)
            .field("appealed", .bool, .required)
            .field("due_at", .int64)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        try await db.schema("dispute_events")
            .field("id", .string, .identifier(auto: false))
            .field("dispute_id", .string, .required)
            .field("author_id", .string)
            .field("party", .string, .required)
            .field("kind", .string, .required)
            .field("text_cipher", .data)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("dispute_evidence")
            .field("id", .string, .identifier(auto: false))
            .field("dispute_id", .string, .required)
            .field("author_id", .string, .required)
            .field("content_type", .string, .required)
            .field("size_bytes", .int64, .required)
            .field("image_cipher", .data, .required)
            .field("created_at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "disputes_by_order").on("disputes").column("order_id").run()
        try await sql.create(index: "disputes_by_status").on("disputes").column("status").column("due_at").run()
        try await sql.create(index: "dispute_events_by_case").on("dispute_events").column("dispute_id").run()
        try await sql.create(index: "dispute_evidence_by_case").on("dispute_evidence").column("dispute_id").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["dispute_evidence", "dispute_events", "disputes"] { try await db.schema(table).delete() }
    }
}

/// Force-majeure periods (clause 1.1.4): cause, scope and time; deadlines in scope pause while they last.
struct CreateForceMajeure: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("force_majeure")
            .field("id", .string, .identifier(auto: false))
            .field("cause", .string, .required)
            .field("scope", .string, .required)
            .field("scope_values", .string, .required)
            .field("starts_at", .int64, .required)
            .field("ends_at", .int64, .required)
            .field("declared_by", .string, .required)
            .field("settled_at", .int64)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("force_majeure").delete() }
}

/// The province an order ships to, in clear (a region, not an address): force-majeure periods can cover a region.
struct AddDeliveryRegion: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("orders").field("delivery_province", .string).update()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("orders").deleteField("delivery_province").update()
    }
}

/// Merchants' complaints about consumers (clause 2.4.4: abusive behaviour, fraudulent claims), decided by staff.
struct CreateComplaints: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("complaints")
            .field("id", .string, .identifier(auto: false))
            .field("merchant_id", .string, .required)
            .field("author_id", .string, .required)
            .field("consumer_id", .string, .required)
            .field("order_id", .string, .required)
            .field("reason", .string, .required)
            .field("text_cipher", .data, .required)
            .field("status", .string, .required)
            .field("handled_by", .string)
            .field("note", .string)
            .field("created_at", .int64, .required)
            .field("decided_at", .int64)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("complaints").delete() }
}

/// The rulebook and its acceptances, violations, sanctions and appeals (clause 2.5).
struct CreateGovernance: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("rulebook_versions")
            .field("id", .string, .identifier(auto: false))
            .field("document", .string, .required)
            .field("version", .string, .required)
            .field("effective_at", .int64, .required)
            .field("text", .string, .required)
            .field("text_hash", .string, .required)
            .field("published_by", .string, .required)
            .field("created_at", .int64, .required)
            .unique(on: "document", "version")
            .create()
        try await db.schema("rule_acceptances")
            .field("id", .string, .identifier(auto: false))
            .field("party_id", .string, .required)
            .field("account_id", .string, .required)
            .field("document", .string, .required)
            .field("version", .string, .required)
            .field("accepted_at", .int64, .required)
            .unique(on: "party_id", "document", "version")
            .create()
        try await db.schema("violations")
            .field("id", .string, .identifier(auto: false))
            .field("party_id", .string, .required)
            .field("party_kind", .string, .required)
            .field("rule_ref", .string, .required)
            .field("source", .string, .required)
            .field("source_ref", .string, .required)
            .field("evidence_cipher", .data, .required)
            .field("status", .string, .required)
            .field("recorded_by", .string, .required)
            .field("decided_by", .string)
            .field("sanction_id", .string)
            .field("created_at", .int64, .required)
            .field("decided_at", .int64)
            .create()
        try await db.schema("sanctions")
            .field("id", .string, .identifier(auto: false))
            .field("party_id", .string, .required)
            .field("party_kind", .string, .required)
            .field("level", .string, .required)
            .field("functions", .string, .required)
            .field("rule_ref", .string, .required)
            .field("reason_cipher", .data, .required)
            .field("starts_at", .int64, .required)
            .field("ends_at", .int64)
            .field("imposed_by", .string, .required)
            .field("lifted_at", .int64)
            .field("lift_reason", .string)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("sanction_appeals")
            .field("id", .string, .identifier(auto: false))
            .field("sanction_id", .string, .required)
            .field("appellant_id", .string, .required)
            .field("statement_cipher", .data, .required)
            .field("status", .string, .required)
            .field("decided_by", .string)
            .field("decision_note", .string)
            .field("created_at", .int64, .required)
            .field("decided_at", .int64)
            .unique(on: "sanction_id")
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "sanctions_party").on("sanctions").column("party_id").column("starts_at").run()
        try await sql.create(index: "violations_party").on("violations").column("party_id").column("created_at")
            .run()
    }
    func revert(on db: any Database) async throws {
        for table in ["sanction_appeals", "sanctions", "violations", "rule_acceptances", "rulebook_versions"] {
            try await db.schema(table).delete()
        }
    }
}

/// Whether a session must accept a new version of the rulebook before doing business (decided at sign-in).
struct AddSessionRulesPending: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw(
            "ALTER TABLE sessions ADD COLUMN rules_pending BOOLEAN NOT NULL DEFAULT false"
        ).run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("sessions").deleteField("rules_pending").update()
    }
}

/// Third-party providers, their security assessments and credentials, and disclosures to them (clause 2.6).
struct CreateProviders: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("providers")
            .field("id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("legal_name", .string, .required)
            .field("licence_code", .string, .required)
            .field("qualification", .string, .required)
            .field("contract_ref", .string, .required)
            .field("dpa_ref", .string, .required)
            .field("contacts_cipher", .data, .required)
            .field("status", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .unique(on: "licence_code", "kind")
            .create()
        try await db.schema("provider_assessments")
            .field("id", .string, .identifier(auto: false))
            .field("provider_id", .string, .required)
            .field("assessed_on", .int64, .required)
            .field("assessor", .string, .required)
            .field("questionnaire", .string, .required)
            .field("findings", .string, .required)
            .field("result", .string, .required)
            .field("next_review_at", .int64, .required)
            .field("recorded_by", .string, .required)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("provider_credentials")
            .field("id", .string, .identifier(auto: false))
            .field("provider_id", .string, .required)
            .field("secret_hash", .string, .required)
            .field("public_key", .string, .required)
            .field("scopes", .string, .required)
            .field("ip_allow", .string, .required)
            .field("expires_at", .int64, .required)
            .field("created_by", .string, .required)
            .field("created_at", .int64, .required)
            .field("revoked_at", .int64)
            .field("last_used_at", .int64)
            .unique(on: "secret_hash")
            .create()
        try await db.schema("disclosures")
            .field("id", .string, .identifier(auto: false))
            .field("provider_id", .string, .required)
            .field("subject_id", .string, .required)
            .field("fields", .string, .required)
            .field("purpose", .string, .required)
            .field("legal_basis", .string, .required)
            .field("reference", .string, .required)
            .field("actor", .string, .required)
            .field("disclosed_at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "disclosures_subject").on("disclosures").column("subject_id").column("disclosed_at")
            .run()
        try await sql.raw("ALTER TABLE orders ADD COLUMN logistics_provider_id TEXT").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["disclosures", "provider_credentials", "provider_assessments", "providers"] {
            try await db.schema(table).delete()
        }
    }
}

/// Incidents, their timelines, affected people, remediation tasks, and the notification outbox (clause 2.3.6).
struct CreateIncidents: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("incidents")
            .field("id", .string, .identifier(auto: false))
            .field("type", .string, .required)
            .field("title", .string, .required)
            .field("description_cipher", .data, .required)
            .field("discovered_at", .int64, .required)
            .field("owner_id", .string, .required)
            .field("status", .string, .required)
            .field("grade", .string, .required)
            .field("grade_floor", .string, .required)
            .field("people", .int64, .required)
            .field("sensitive_records", .int64, .required)
            .field("categories", .string, .required)
            .field("measures", .string, .required)
            .field("regulator_due_at", .int64)
            .field("regulator_reported_at", .int64)
            .field("notify_due_at", .int64, .required)
            .field("notices_sent_at", .int64)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .create()
        try await db.schema("incident_events")
            .field("id", .string, .identifier(auto: false))
            .field("incident_id", .string, .required)
            .field("kind", .string, .required)
            .field("note", .string, .required)
            .field("actor", .string, .required)
            .field("at", .int64, .required)
            .create()
        try await db.schema("incident_subjects")
            .field("id", .string, .identifier(auto: false))
            .field("incident_id", .string, .required)
            .field("subject_id", .string, .required)
            .field("subject_kind", .string, .required)
            .field("categories", .string, .required)
            .field("notification_id", .string)
            .unique(on: "incident_id", "subject_id")
            .create()
        try await db.schema("incident_tasks")
            .field("id", .string, .identifier(auto: false))
            .field("incident_id", .string, .required)
            .field("title", .string, .required)
            .field("due_at", .int64, .required)
            .field("done_at", .int64)
            .field("done_by", .string)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("notifications")
            .field("id", .string, .identifier(auto: false))
            .field("recipient_id", .string, .required)
            .field("channel", .string, .required)
            .field("subject", .string, .required)
            .field("body_cipher", .data, .required)
            .field("reference", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .int64, .required)
            .field("delivered_at", .int64)
            .field("last_error", .string)
            .field("created_at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "notifications_due").on("notifications").column("status")
            .column("next_attempt_at").run()
    }
    func revert(on db: any Database) async throws {
        for table in ["notifications", "incident_tasks", "incident_subjects", "incident_events", "incidents"] {
            try await db.schema(table).delete()
        }
    }
}

/// The vulnerability register (clause 2.2): findings with severity and a fix-by date.
struct CreateVulnerabilities: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("vulnerabilities")
            .field("id", .string, .identifier(auto: false))
            .field("title", .string, .required)
            .field("component", .string, .required)
            .field("reference", .string, .required)
            .field("severity", .string, .required)
            .field("found_at", .int64, .required)
            .field("fix_by", .int64, .required)
            .field("status", .string, .required)
            .field("note", .string, .required)
            .field("recorded_by", .string, .required)
            .field("closed_at", .int64)
            .field("updated_at", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws { try await db.schema("vulnerabilities").delete() }
}

/// The intrusion shield's shared state: bans with an expiry and detections, by blind index of the address.
struct CreateShield: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("shield_bans")
            .field("id", .string, .identifier(auto: false))
            .field("ip_index", .string, .required)
            .field("reason", .string, .required)
            .field("until", .int64, .required)
            .field("created_at", .int64, .required)
            .create()
        try await db.schema("shield_events")
            .field("id", .string, .identifier(auto: false))
            .field("ip_index", .string, .required)
            .field("kind", .string, .required)
            .field("at", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "shield_events_ip").on("shield_events").column("ip_index").column("at").run()
        try await sql.create(index: "shield_bans_until").on("shield_bans").column("until").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("shield_events").delete()
        try await db.schema("shield_bans").delete()
    }
}

/// The address a checkout's payment was started from, as the shield's keyed pseudonym: failed payments are counted
/// per address to detect card testing (clause 2.2).
struct AddPaymentPayerAddress: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("payments").field("payer_address_index", .string).update()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("payments").deleteField("payer_address_index").update()
    }
}

/// The shipping deadline of a paid order and when it was found late (clause 2.4.1; paused by force majeure, 1.1.4).
struct AddShippingDeadline: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds one at a time.
        try await db.schema("orders").field("ship_due_at", .int64).update()
        try await db.schema("orders").field("shipping_late_at", .int64).update()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.create(index: "orders_by_ship_due").on("orders").column("ship_due_at").run()
    }
    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase { try await sql.drop(index: "orders_by_ship_due").run() }
        try await db.schema("orders").deleteField("shipping_late_at").update()
        try await db.schema("orders").deleteField("ship_due_at").update()
    }
}

/// Long maintenance operations started from the operations console (key re-wrap, re-index), run by the
/// background service with their progress, so the page can show it (issues 4 and 10).
struct CreateMaintenanceJobs: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("maintenance_jobs")
            .field("id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("requested_by", .string, .required)
            .field("status", .string, .required)
            .field("done", .int64, .required)
            .field("total", .int64, .required)
            .field("error", .string)
            .field("created_at", .int64, .required)
            .field("updated_at", .int64, .required)
            .field("finished_at", .int64)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "maintenance_jobs_by_status").on("maintenance_jobs").column("status").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("maintenance_jobs").delete()
    }
}

/// The risk engine's observations, published by each instance and read by the others, so that every instance's
/// sliding-window counters see the traffic of all (clause 2.4.3). Entities are numbers drawn from keyed pseudonyms.
struct CreateRiskSignals: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("risk_signals")
            .field("seq", .int64, .identifier(auto: true))
            .field("instance", .string, .required)
            .field("at", .int64, .required)
            .field("kind", .string, .required)
            .field("account", .int64, .required)
            .field("account_created_at", .int64, .required)
            .field("device", .int64)
            .field("ip", .int64)
            .field("token", .int64)
            .field("address", .int64)
            .field("merchant", .int64)
            .field("amount_fen", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "risk_signals_by_time").on("risk_signals").column("at").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("risk_signals").delete()
    }
}

/// A job's parameters and its result (a risk backtest's report), both JSON, so that a page started on one
/// instance shows what another ran (issue 10).
struct AddMaintenanceJobDetails: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("maintenance_jobs").field("parameters", .string).update()
        try await db.schema("maintenance_jobs").field("result", .string).update()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("maintenance_jobs").deleteField("result").update()
        try await db.schema("maintenance_jobs").deleteField("parameters").update()
    }
}

/// Which instance runs each background service, so that several instances on one PostgreSQL run each exactly
/// once at a time (issue 11).
struct CreateServiceLeases: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("service_leases")
            .field("name", .string, .identifier(auto: false))
            .field("holder", .string, .required)
            .field("expires_at", .int64, .required)
            .field("acquired_at", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("service_leases").delete()
    }
}

/// What a keyed request created, marked in the same transaction, so a retry after a crash resumes from it
/// instead of creating it twice (issue 11, crash drill).
struct AddIdempotencyResource: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("idempotency_keys").field("resource", .string).update()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("idempotency_keys").deleteField("resource").update()
    }
}

/// Rate-limit tokens each instance took, read by the others, so the limits hold across instances (issue 11).
struct CreateShieldUsage: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("shield_usage")
            .field("seq", .int64, .identifier(auto: true))
            .field("instance", .string, .required)
            .field("at", .int64, .required)
            .field("bucket", .string, .required)
            .field("tokens", .int64, .required)
            .create()
        let sql = db as! any SQLDatabase
        try await sql.create(index: "shield_usage_by_time").on("shield_usage").column("at").run()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("shield_usage").delete()
    }
}

/// One-time codes sent to an account's own mobile number or e-mail address when the risk engine challenges a
/// sign-in and the account has no authenticator to ask (clause 2.4.3, issue 6); only a MAC of the code is kept.
struct CreateStepUpCodes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("step_up_codes")
            .field("account_id", .string, .identifier(auto: false))
            .field("purpose", .string, .required)
            .field("code_mac", .string, .required)
            .field("issued_at", .int64, .required)
            .field("expires_at", .int64, .required)
            .field("attempts", .int64, .required)
            .create()
    }
    func revert(on db: any Database) async throws {
        try await db.schema("step_up_codes").delete()
    }
}
