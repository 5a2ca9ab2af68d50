public import Foundation
public import SQLKit

/// Account queries. Object-level authorization lives in the `WHERE` clauses of callers' queries.
public enum AccountStore {
    public static func insert(_ row: AccountRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "accounts").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> AccountRow? {
        try await db.select().column("*").from("accounts").where("id", .equal, id)
            .first(decoding: AccountRow.self)
    }

    public static func find(loginIndex: String, on db: any SQLDatabase) async throws -> AccountRow? {
        try await db.select().column("*").from("accounts").where("login_index", .equal, loginIndex)
            .first(decoding: AccountRow.self)
    }

    /// Staff of one merchant: the merchant id is part of the query, so no other merchant's rows come back.
    public static func list(merchantId: String, on db: any SQLDatabase) async throws -> [AccountRow] {
        try await db.select().column("*").from("accounts").where("merchant_id", .equal, merchantId)
            .orderBy("created_at").all(decoding: AccountRow.self)
    }

    public static func list(limit: Int, offset: Int, on db: any SQLDatabase) async throws -> [AccountRow] {
        try await db.select().column("*").from("accounts").orderBy("created_at").orderBy("id")
            .limit(limit).offset(offset).all(decoding: AccountRow.self)
    }

    public static func count(role: String, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("accounts").where("role", .equal, role).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    public static func setLockedUntil(_ until: Int64?, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("locked_until", to: until).set("updated_at", to: now)
            .where("id", .equal, id).run()
    }

    public static func setPassword(hash: String, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("password_hash", to: hash).set("must_change_password", to: false)
            .set("updated_at", to: now).where("id", .equal, id).run()
    }

    /// Sets the (encrypted) TOTP secret and whether two-factor is active; nil removes it.
    public static func setTOTP(secretCipher: Data?, enabled: Bool, id: String, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.update("accounts").set("totp_secret_cipher", to: secretCipher)
            .set("totp_enabled", to: enabled).set("totp_last_step", to: Int64?.none)
            .set("updated_at", to: now).where("id", .equal, id).run()
    }

    /// Records the last accepted TOTP step, only moving forward (a replayed code is refused).
    public static func advanceTOTPStep(_ step: Int64, id: String, on db: any SQLDatabase) async throws -> Bool {
        let rows = try await db.raw(
            """
            UPDATE accounts SET totp_last_step = \(bind: step)
            WHERE id = \(bind: id) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step))
            RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }
}

public enum SessionStore {
    public static func insert(_ row: SessionRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "sessions").model(row).run()
    }

    /// A live session by token hash: not revoked, not past its absolute or idle expiry.
    public static func findLive(tokenHash: String, now: Int64, on db: any SQLDatabase) async throws -> SessionRow? {
        try await db.raw(
            """
            SELECT * FROM sessions WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL
            AND expires_at > \(bind: now) AND last_seen_at + idle_timeout_ms > \(bind: now)
            """
        ).first(decoding: SessionRow.self)
    }

    public static func touch(id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("sessions").set("last_seen_at", to: now).where("id", .equal, id).run()
    }

    public static func markTwoFactor(id: String, on db: any SQLDatabase) async throws {
        try await db.update("sessions").set("two_factor", to: true).where("id", .equal, id).run()
    }

    public static func listLive(accountId: String, now: Int64, on db: any SQLDatabase) async throws -> [SessionRow] {
        try await db.raw(
            """
            SELECT * FROM sessions WHERE account_id = \(bind: accountId) AND revoked_at IS NULL
            AND expires_at > \(bind: now) AND last_seen_at + idle_timeout_ms > \(bind: now)
            ORDER BY created_at DESC
            """
        ).all(decoding: SessionRow.self)
    }

    /// Revokes one session of one account; returns whether a live session was revoked.
    public static func revoke(id: String, accountId: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        let rows = try await db.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now)
            WHERE id = \(bind: id) AND account_id = \(bind: accountId) AND revoked_at IS NULL RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    public static func revokeAll(accountId: String, except: String?, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE sessions SET revoked_at = \(bind: now)
            WHERE account_id = \(bind: accountId) AND revoked_at IS NULL AND id <> \(bind: except ?? "")
            """
        ).run()
    }
}

public enum LoginAttemptStore {
    public static func record(
        id: String, accountId: String?, ipIndex: String, succeeded: Bool, at: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO login_attempts (id, account_id, ip_index, succeeded, at)
            VALUES (\(bind: id), \(bind: accountId), \(bind: ipIndex), \(bind: succeeded), \(bind: at))
            """
        ).run()
    }

    /// Failures on an account since `since`, not counting any before its last success.
    public static func recentFailures(accountId: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n FROM login_attempts WHERE account_id = \(bind: accountId) AND succeeded = \(bind: false)
            AND at >= \(bind: since) AND at > COALESCE((SELECT MAX(at) FROM login_attempts
              WHERE account_id = \(bind: accountId) AND succeeded = \(bind: true)), 0)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    public static func recentFailures(ipIndex: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n FROM login_attempts
            WHERE ip_index = \(bind: ipIndex) AND succeeded = \(bind: false) AND at >= \(bind: since)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Forgets failures (after an unlock), so the next failure starts a new count.
    public static func clearFailures(accountId: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            "DELETE FROM login_attempts WHERE account_id = \(bind: accountId) AND succeeded = \(bind: false)"
        ).run()
    }
}

public enum RecoveryCodeStore {
    public static func replace(accountId: String, hashes: [String], on db: any SQLDatabase) async throws {
        try await db.delete(from: "recovery_codes").where("account_id", .equal, accountId).run()
        for hash in hashes {
            try await db.raw(
                "INSERT INTO recovery_codes (code_hash, account_id) VALUES (\(bind: hash), \(bind: accountId))"
            ).run()
        }
    }

    /// Consumes an unused code of this account; true when one was consumed.
    public static func consume(hash: String, accountId: String, now: Int64, on db: any SQLDatabase) async throws -> Bool
    {
        let rows = try await db.raw(
            """
            UPDATE recovery_codes SET used_at = \(bind: now)
            WHERE code_hash = \(bind: hash) AND account_id = \(bind: accountId) AND used_at IS NULL RETURNING code_hash
            """
        ).all()
        return !rows.isEmpty
    }

    public static func remaining(accountId: String, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = \(bind: accountId) AND used_at IS NULL"
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

public enum KnownDeviceStore {
    /// Remembers a device for an account; returns true when it was not known before.
    public static func remember(
        accountId: String, deviceIndex: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Bool {
        let known = try await db.raw(
            """
            SELECT device_index FROM known_devices
            WHERE account_id = \(bind: accountId) AND device_index = \(bind: deviceIndex)
            """
        ).first()
        if known != nil { return false }
        try await db.raw(
            """
            INSERT INTO known_devices (account_id, device_index, first_seen_at)
            VALUES (\(bind: accountId), \(bind: deviceIndex), \(bind: now))
            """
        ).run()
        return true
    }

    public static func count(accountId: String, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            "SELECT COUNT(*) AS n FROM known_devices WHERE account_id = \(bind: accountId)"
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

public enum SecurityNoticeStore {
    public static func insert(_ row: SecurityNoticeRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "security_notices").model(row).run()
    }

    public static func list(accountId: String, on db: any SQLDatabase) async throws -> [SecurityNoticeRow] {
        try await db.select().column("*").from("security_notices").where("account_id", .equal, accountId)
            .orderBy("created_at", .descending).limit(100).all(decoding: SecurityNoticeRow.self)
    }
}

public enum SubjectKeyStore {
    public static func insert(_ row: SubjectKeyRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "subject_keys").model(row).run()
    }

    public static func find(subjectId: String, on db: any SQLDatabase) async throws -> SubjectKeyRow? {
        try await db.select().column("*").from("subject_keys").where("subject_id", .equal, subjectId)
            .first(decoding: SubjectKeyRow.self)
    }
}

public enum AuditStore {
    /// Appends an event and its encrypted details; returns the event id.
    public static func append(
        _ row: AuditEventRow, keySubject: String, detailsCipher: Data, on db: any SQLDatabase
    ) async throws -> Int64 {
        let inserted = try await db.raw(
            """
            INSERT INTO audit_events (event_type, actor, subject, object_ref, outcome, occurred_at, details_hash)
            VALUES (\(bind: row.event_type), \(bind: row.actor), \(bind: row.subject), \(bind: row.object_ref),
              \(bind: row.outcome), \(bind: row.occurred_at), \(bind: row.details_hash))
            RETURNING id
            """
        ).first()
        guard let id = try inserted?.decode(column: "id", as: Int64.self) else {
            throw AuditStoreError.noIdentifier
        }
        try await db.raw(
            """
            INSERT INTO audit_details (event_id, key_subject, details_cipher)
            VALUES (\(bind: id), \(bind: keySubject), \(bind: detailsCipher))
            """
        ).run()
        return id
    }

    public static func events(type: String? = nil, on db: any SQLDatabase) async throws -> [AuditEventRow] {
        var query = db.select().column("*").from("audit_events")
        if let type { query = query.where("event_type", .equal, type) }
        return try await query.orderBy("id").all(decoding: AuditEventRow.self)
    }
}

public enum AuditStoreError: Error { case noIdentifier }
