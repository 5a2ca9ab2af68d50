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

    /// The account whose login has any of these blind indexes (one per key version).
    public static func find(loginIndexes: [String], on db: any SQLDatabase) async throws -> AccountRow? {
        try await db.select().column("*").from("accounts").where("login_index", .in, loginIndexes)
            .first(decoding: AccountRow.self)
    }

    /// Accounts whose login is indexed under an older key version, a page at a time (erased ones excepted).
    public static func staleLoginIndexes(currentPrefix: String, limit: Int, on db: any SQLDatabase) async throws
        -> [AccountRow]
    {
        try await db.raw(
            """
            SELECT * FROM accounts WHERE status <> 'erased' AND login_index NOT LIKE \(bind: currentPrefix + "%")
            ORDER BY id LIMIT \(bind: limit)
            """
        ).all(decoding: AccountRow.self)
    }

    public static func countStaleLoginIndexes(currentPrefix: String, on db: any SQLDatabase) async throws -> Int {
        try await db.raw(
            """
            SELECT COUNT(*) AS n FROM accounts WHERE status <> 'erased'
            AND login_index NOT LIKE \(bind: currentPrefix + "%")
            """
        ).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public static func setLoginIndex(_ index: String, id: String, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("login_index", to: index).where("id", .equal, id).run()
    }

    public static func find(loginIndex: String, on db: any SQLDatabase) async throws -> AccountRow? {
        try await db.select().column("*").from("accounts").where("login_index", .equal, loginIndex)
            .first(decoding: AccountRow.self)
    }

    /// Staff of one merchant: the merchant id is part of the query, so no other merchant's rows come back.
    /// The store's active accounts (owner and staff); removed staff are left out.
    public static func list(merchantId: String, on db: any SQLDatabase) async throws -> [AccountRow] {
        try await db.select().column("*").from("accounts").where("merchant_id", .equal, merchantId)
            .where("status", .equal, "active").orderBy("created_at").all(decoding: AccountRow.self)
    }

    /// An active staff member of this store with one of these roles, or nil: the store is part of the query,
    /// so an owner never reaches another store's staff (or their own owner account).
    public static func findStaff(id: String, merchantId: String, roles: [String], on db: any SQLDatabase)
        async throws -> AccountRow?
    {
        try await db.select().column("*").from("accounts").where("id", .equal, id)
            .where("merchant_id", .equal, merchantId).where("role", .in, roles).where("status", .equal, "active")
            .first(decoding: AccountRow.self)
    }

    public static func setRole(_ role: String, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("role", to: role).set("updated_at", to: now).where("id", .equal, id).run()
    }

    /// `disabled`: the account can no longer sign in or use a session (both check the status).
    public static func setStatus(_ status: String, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("status", to: status).set("updated_at", to: now)
            .where("id", .equal, id).run()
    }

    public static func list(limit: Int, offset: Int, on db: any SQLDatabase) async throws -> [AccountRow] {
        try await db.select().column("*").from("accounts").orderBy("created_at").orderBy("id")
            .limit(limit).offset(offset).all(decoding: AccountRow.self)
    }

    /// The active accounts holding a role: the staff to tell when work of theirs is late.
    public static func activeIds(role: String, on db: any SQLDatabase) async throws -> [String] {
        try await db.select().column("id").from("accounts").where("role", .equal, role)
            .where("status", .equal, "active").orderBy("created_at").all(decodingColumn: "id", as: String.self)
    }

    public static func count(role: String, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("accounts").where("role", .equal, role).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Stores a stronger hash of the same password (cost upgrade); nothing else changes.
    /// Corrects the display name (already encrypted).
    public static func setDisplayName(cipher: Data, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("display_name_cipher", to: cipher).set("updated_at", to: now)
            .where("id", .equal, id).run()
    }

    /// Corrects the login: its kind, blind index and ciphertext together (the unique index refuses a taken one).
    public static func setLogin(
        kind: String, index: String, cipher: Data, id: String, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.update("accounts").set("login_kind", to: kind).set("login_index", to: index)
            .set("login_cipher", to: cipher).set("updated_at", to: now).where("id", .equal, id).run()
    }

    public static func setPasswordHash(_ hash: String, id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("accounts").set("password_hash", to: hash).set("updated_at", to: now)
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

/// Sign-in attempts: a network log that lockouts and throttling count (never deleted to reset a count).
public enum LoginAttemptStore {
    public static func record(
        id: String, accountId: String?, loginIndex: String, ipIndex: String, succeeded: Bool, at: Int64,
        on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO login_attempts (id, account_id, login_index, ip_index, succeeded, at)
            VALUES (\(bind: id), \(bind: accountId), \(bind: loginIndex), \(bind: ipIndex), \(bind: succeeded),
              \(bind: at))
            """
        ).run()
    }

    public static func markSucceeded(id: String, on db: any SQLDatabase) async throws {
        try await db.update("login_attempts").set("succeeded", to: true).where("id", .equal, id).run()
    }

    /// Removes an attempt that was neither a success nor a failure (a second factor was still needed).
    public static func discard(id: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "login_attempts").where("id", .equal, id).run()
    }

    /// Failures (including attempts still being checked) on a login at or after `since` and strictly after
    /// `resetAt` (the last success, lockout or unlock).
    public static func failures(loginIndex: String, since: Int64, resetAt: Int64, on db: any SQLDatabase)
        async throws -> Int
    {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n FROM login_attempts
            WHERE login_index = \(bind: loginIndex) AND succeeded = \(bind: false) AND at >= \(bind: since)
              AND at > \(bind: resetAt)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    public static func failures(ipIndex: String, since: Int64, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n FROM login_attempts
            WHERE ip_index = \(bind: ipIndex) AND succeeded = \(bind: false) AND at >= \(bind: since)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

/// Lockouts by login (known or not), so that a locked login looks the same whether it exists or not.
public enum LoginLockStore {
    public struct Lock: Codable, Sendable {
        public var login_index: String
        public var locked_until: Int64?
        public var reset_at: Int64
    }

    /// Reads the lock row, creating it if needed; on PostgreSQL the row stays locked until the transaction
    /// ends, so concurrent attempts on one login are counted one after another.
    public static func acquire(loginIndex: String, postgres: Bool, on db: any SQLDatabase) async throws -> Lock {
        try await db.raw(
            """
            INSERT INTO login_locks (login_index, locked_until, reset_at) VALUES (\(bind: loginIndex), NULL, 0)
            ON CONFLICT (login_index) DO NOTHING
            """
        ).run()
        let lockClause = postgres ? " FOR UPDATE" : ""
        guard
            let lock = try await db.raw(
                "SELECT * FROM login_locks WHERE login_index = \(bind: loginIndex)\(unsafeRaw: lockClause)"
            ).first(decoding: Lock.self)
        else { throw LoginLockError.missing }
        return lock
    }

    public static func lock(loginIndex: String, until: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("login_locks").set("locked_until", to: until).set("reset_at", to: now)
            .where("login_index", .equal, loginIndex).run()
    }

    /// Clears the lock and the count (after a success or a staff unlock).
    public static func reset(loginIndex: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("login_locks").set("locked_until", to: Int64?.none).set("reset_at", to: now)
            .where("login_index", .equal, loginIndex).run()
    }
}

public enum LoginLockError: Error { case missing }

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
    /// Remembers a device for an account; returns true when it was not known before. Safe under concurrency.
    public static func remember(
        accountId: String, deviceIndex: String, now: Int64, on db: any SQLDatabase
    ) async throws -> Bool {
        let inserted = try await db.raw(
            """
            INSERT INTO known_devices (account_id, device_index, first_seen_at)
            VALUES (\(bind: accountId), \(bind: deviceIndex), \(bind: now))
            ON CONFLICT (account_id, device_index) DO NOTHING RETURNING device_index
            """
        ).all()
        return !inserted.isEmpty
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
    /// Inserts unless the subject already has a key (a concurrent writer may have created it first).
    public static func insertIfAbsent(_ row: SubjectKeyRow, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO subject_keys (subject_id, master_version, wrapped_key, created_at)
            VALUES (\(bind: row.subject_id), \(bind: row.master_version), \(bind: row.wrapped_key),
              \(bind: row.created_at))
            ON CONFLICT (subject_id) DO NOTHING
            """
        ).run()
    }

    /// Several subjects' keys in one query (group commit of audit events).
    public static func find(subjectIds: [String], on db: any SQLDatabase) async throws -> [SubjectKeyRow] {
        guard !subjectIds.isEmpty else { return [] }
        return try await db.select().column("*").from("subject_keys").where("subject_id", .in, subjectIds)
            .all(decoding: SubjectKeyRow.self)
    }

    public static func find(subjectId: String, on db: any SQLDatabase) async throws -> SubjectKeyRow? {
        try await db.select().column("*").from("subject_keys").where("subject_id", .equal, subjectId)
            .first(decoding: SubjectKeyRow.self)
    }
}

public enum AuditStore {
    /// Appends events and their encrypted details (content-addressed by the details' hash) in one statement,
    /// however many events there are: through the `audit_writes` view on SQLite, a data-modifying `WITH`
    /// on PostgreSQL.
    public static func append(
        _ rows: [(event: AuditEventRow, keySubject: String, detailsCipher: Data)], on db: any SQLDatabase
    ) async throws {
        guard !rows.isEmpty else { return }
        if db.dialect.name == "sqlite" {
            var insert = db.insert(into: "audit_writes").columns(
                "event_type", "actor", "subject", "object_ref", "outcome", "occurred_at", "details_hash",
                "key_subject", "details_cipher")
            for row in rows {
                let e = row.event
                insert = insert.values(
                    SQLBind(e.event_type), SQLBind(e.actor), SQLBind(e.subject), SQLBind(e.object_ref),
                    SQLBind(e.outcome), SQLBind(e.occurred_at), SQLBind(e.details_hash), SQLBind(row.keySubject),
                    SQLBind(row.detailsCipher))
            }
            try await insert.run()
            return
        }
        var sql: SQLQueryString =
            "WITH details AS (INSERT INTO audit_details (details_hash, key_subject, details_cipher) VALUES "
        for (n, row) in rows.enumerated() {
            sql.appendLiteral(n == 0 ? "(" : ", (")
            sql.appendInterpolation(binds: [row.event.details_hash, row.keySubject])
            sql.appendLiteral(", ")
            sql.appendInterpolation(bind: row.detailsCipher)
            sql.appendLiteral(")")
        }
        sql.appendLiteral(
            ") INSERT INTO audit_events (event_type, actor, subject, object_ref, outcome, occurred_at, details_hash) VALUES "
        )
        for (n, row) in rows.enumerated() {
            let e = row.event
            sql.appendLiteral(n == 0 ? "(" : ", (")
            sql.appendInterpolation(binds: [e.event_type, e.actor, e.subject, e.object_ref, e.outcome])
            sql.appendLiteral(", ")
            sql.appendInterpolation(bind: e.occurred_at)
            sql.appendLiteral(", ")
            sql.appendInterpolation(bind: e.details_hash)
            sql.appendLiteral(")")
        }
        try await db.raw(sql).run()
    }

    public struct DetailsRow: Decodable, Sendable {
        public let details_hash: String
        public let key_subject: String
        public let details_cipher: Data
    }

    /// The encrypted details of the given events.
    public static func details(hashes: [String], on db: any SQLDatabase) async throws -> [DetailsRow] {
        guard !hashes.isEmpty else { return [] }
        return try await db.select().columns("details_hash", "key_subject", "details_cipher").from("audit_details")
            .where("details_hash", .in, hashes).all(decoding: DetailsRow.self)
    }

    public static func events(type: String? = nil, on db: any SQLDatabase) async throws -> [AuditEventRow] {
        var query = db.select().column("*").from("audit_events")
        if let type { query = query.where("event_type", .equal, type) }
        return try await query.orderBy("id").all(decoding: AuditEventRow.self)
    }
}

/// Confidentiality-training records of staff (2.3.3).
public enum StaffTrainingStore {
    public static func record(
        id: String, staffId: String, completedAt: Int64, expiresAt: Int64, recordedBy: String, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO staff_training (id, staff_id, completed_at, expires_at, recorded_by)
            VALUES (\(bind: id), \(bind: staffId), \(bind: completedAt), \(bind: expiresAt), \(bind: recordedBy))
            """
        ).run()
    }

    /// Whether the staff member has training valid at `now`.
    public static func isCurrent(staffId: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            SELECT id FROM staff_training WHERE staff_id = \(bind: staffId)
            AND completed_at <= \(bind: now) AND expires_at > \(bind: now)
            """
        ).first() != nil
    }
}

/// A person's request to query, correct or delete their data, with its deadline (2.3.5).
public struct PrivacyRequestRow: Codable, Sendable {
    public var id: String
    public var account_id: String
    public var kind: String
    public var status: String
    public var created_at: Int64
    public var due_at: Int64
    public var completed_at: Int64?
    public var handled_by: String?

    public init(id: String, account_id: String, kind: String, status: String, created_at: Int64, due_at: Int64) {
        self.id = id
        self.account_id = account_id
        self.kind = kind
        self.status = status
        self.created_at = created_at
        self.due_at = due_at
        self.completed_at = nil
        self.handled_by = nil
    }
}

public enum PrivacyRequestStore {
    public static func insert(_ row: PrivacyRequestRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "privacy_requests").model(row).run()
    }

    public static func complete(id: String, handledBy: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("privacy_requests").set("status", to: "completed").set("completed_at", to: now)
            .set("handled_by", to: handledBy).where("id", .equal, id).run()
    }

    public static func list(accountId: String, on db: any SQLDatabase) async throws -> [PrivacyRequestRow] {
        try await db.select().column("*").from("privacy_requests").where("account_id", .equal, accountId)
            .orderBy("created_at", .descending).all(decoding: PrivacyRequestRow.self)
    }

    /// Open requests, oldest deadline first (the staff queue).
    public static func open(on db: any SQLDatabase) async throws -> [PrivacyRequestRow] {
        try await db.select().column("*").from("privacy_requests").where("status", .notEqual, "completed")
            .orderBy("due_at").limit(500).all(decoding: PrivacyRequestRow.self)
    }
}

public enum ErasureStore {
    /// Destroys a person's data key: every field sealed under it becomes unreadable, backups included.
    /// Destroys the person's data key; a key destroyed before keeps the date it was destroyed (retention counts
    /// from it).
    public static func destroyKey(subjectId: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE subject_keys SET wrapped_key = NULL, destroyed_at = COALESCE(destroyed_at, \(bind: now))
            WHERE subject_id = \(bind: subjectId)
            """
        ).run()
    }

    /// An erasure applied again, to a restored backup taken before it: the key destroyed, the account left a
    /// tombstone, its sessions ended and its consents withdrawn, as the erasure itself did.
    /// An account already a tombstone is left as it is.
    public static func reapply(subjectId: String, now: Int64, on db: any SQLDatabase) async throws {
        try await destroyKey(subjectId: subjectId, now: now, on: db)
        let status = try await db.select().column("status").from("accounts").where("id", .equal, subjectId).first()?
            .decode(column: "status", as: String.self)
        if status != nil && status != "erased" { try await tombstone(accountId: subjectId, now: now, on: db) }
        try await SessionStore.revokeAll(accountId: subjectId, except: nil, now: now, on: db)
        try await ConsentStore.withdrawAll(accountId: subjectId, now: now, on: db)
    }

    /// Leaves a storage-only tombstone: no login, no password, no second factor; ciphertexts stay unreadable.
    public static func tombstone(accountId: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE accounts SET status = 'erased', login_index = \(bind: "erased:" + accountId),
              password_hash = '', totp_secret_cipher = NULL, totp_enabled = \(bind: false), updated_at = \(bind: now)
            WHERE id = \(bind: accountId)
            """
        ).run()
        for table in ["known_devices", "recovery_codes", "security_notices", "cart_items", "step_up_codes"] {
            try await db.delete(from: table).where("account_id", .equal, accountId).run()
        }
        // What the person wrote goes; the rating stays (it is not about them).
        try await db.update("reviews").set("body", to: "").where("buyer_id", .equal, accountId).run()
    }
}

public enum SubjectKeyMaintenance {
    /// Live subject keys wrapped under an older master version than `current`, a page at a time.
    public static func staleKeys(current: Int64, limit: Int, on db: any SQLDatabase) async throws -> [SubjectKeyRow] {
        try await db.raw(
            """
            SELECT * FROM subject_keys WHERE wrapped_key IS NOT NULL AND master_version < \(bind: current)
            ORDER BY subject_id LIMIT \(bind: limit)
            """
        ).all(decoding: SubjectKeyRow.self)
    }

    public static func countStale(current: Int64, on db: any SQLDatabase) async throws -> Int {
        let row = try await db.raw(
            """
            SELECT COUNT(*) AS n FROM subject_keys WHERE wrapped_key IS NOT NULL AND master_version < \(bind: current)
            """
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Replaces a wrapped key only if it is still the one that was read (safe while the platform runs).
    public static func replace(
        subjectId: String, old: Data, new: Data, version: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            UPDATE subject_keys SET wrapped_key = \(bind: new), master_version = \(bind: version)
            WHERE subject_id = \(bind: subjectId) AND wrapped_key = \(bind: old)
            """
        ).run()
    }
}

/// The security settings last in force, by name.
public enum ConfigurationStore {
    struct Row: Decodable {
        let name: String
        let value: String
    }

    public static func all(on db: any SQLDatabase) async throws -> [String: String] {
        let rows = try await db.raw("SELECT name, value FROM platform_configuration").all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.value) })
    }

    public static func set(_ name: String, to value: String, at now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO platform_configuration (name, value, changed_at) VALUES (\(bind: name), \(bind: value), \(bind: now))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at
            """
        ).run()
    }
}

/// A consent to one purpose under one version of the privacy notice (2.3.1).
public struct ConsentRow: Codable, Sendable {
    public var id: String
    public var account_id: String
    public var purpose: String
    public var notice_version: String
    public var granted_at: Int64
    public var withdrawn_at: Int64?

    public init(id: String, account_id: String, purpose: String, notice_version: String, granted_at: Int64) {
        self.id = id
        self.account_id = account_id
        self.purpose = purpose
        self.notice_version = notice_version
        self.granted_at = granted_at
    }
}

public enum ConsentStore {
    public static func insert(_ row: ConsentRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "consents").model(row).run()
    }

    /// Consents in force for the account (not withdrawn), by purpose.
    public static func active(accountId: String, on db: any SQLDatabase) async throws -> [ConsentRow] {
        try await db.raw(
            """
            SELECT * FROM consents WHERE account_id = \(bind: accountId) AND withdrawn_at IS NULL ORDER BY granted_at
            """
        ).all(decoding: ConsentRow.self)
    }

    /// Ends every consent of the account (its deletion): the records stay, as proof, for their retention.
    public static func withdrawAll(accountId: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE consents SET withdrawn_at = \(bind: now) WHERE account_id = \(bind: accountId) AND withdrawn_at IS NULL"
        ).run()
    }

    /// Withdraws the account's consent to `purpose`; returns how many records it ended.
    @discardableResult
    public static func withdraw(accountId: String, purpose: String, now: Int64, on db: any SQLDatabase) async throws
        -> Int
    {
        try await db.raw(
            """
            UPDATE consents SET withdrawn_at = \(bind: now)
            WHERE account_id = \(bind: accountId) AND purpose = \(bind: purpose) AND withdrawn_at IS NULL
            RETURNING id
            """
        ).all().count
    }
}

/// One account's real-name verification (2.3.4).
public struct IdentityVerificationRow: Codable, Sendable {
    public var account_id: String
    public var subject_kind: String
    public var status: String
    public var reason: String?
    public var name_cipher: Data?
    public var id_number_cipher: Data?
    public var id_index: String?
    public var licence_cipher: Data?
    public var code_mac: String?
    public var code_expires_at: Int64?
    public var code_attempts: Int64
    public var submitted_at: Int64
    public var decided_at: Int64?
    public var decided_by: String?

    public init(account_id: String, subject_kind: String, status: String, submitted_at: Int64) {
        self.account_id = account_id
        self.subject_kind = subject_kind
        self.status = status
        self.code_attempts = 0
        self.submitted_at = submitted_at
    }
}

public enum IdentityVerificationStore {
    public static func find(accountId: String, on db: any SQLDatabase) async throws -> IdentityVerificationRow? {
        try await db.select().column("*").from("identity_verifications").where("account_id", .equal, accountId)
            .first(decoding: IdentityVerificationRow.self)
    }

    /// Replaces the account's verification (a new attempt starts over), every column, in one statement: two
    /// requests saving at once (parallel code guesses) must not both find the row gone and both insert.
    public static func save(_ row: IdentityVerificationRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "identity_verifications").model(row, nilEncodingStrategy: .asNil)
            .onConflict(with: "account_id") { try $0.set(excludedContentOf: row, nilEncodingStrategy: .asNil) }
            .run()
    }

    /// Counts one attempt at the pending code, in one statement, unless `limit` attempts were already made:
    /// counted before the code is checked, so parallel guesses cannot exceed the limit.
    public static func countCodeAttempt(accountId: String, limit: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE identity_verifications SET code_attempts = code_attempts + 1
            WHERE account_id = \(bind: accountId) AND status = 'pending' AND code_attempts < \(bind: limit)
            RETURNING account_id
            """
        ).first() != nil
    }

    /// Whether another account is verified with this ID number.
    public static func verifiedElsewhere(idIndex: String, except accountId: String, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            SELECT account_id FROM identity_verifications WHERE id_index = \(bind: idIndex)
            AND status = 'verified' AND account_id <> \(bind: accountId)
            """
        ).first() != nil
    }

    /// Verifications waiting for a reviewer, oldest first.
    public static func awaitingReview(on db: any SQLDatabase) async throws -> [IdentityVerificationRow] {
        try await db.select().column("*").from("identity_verifications").where("status", .equal, "review")
            .orderBy("submitted_at").limit(200).all(decoding: IdentityVerificationRow.self)
    }
}

/// A merchant's listing (2.4.1).
public struct ListingRow: Codable, Sendable {
    public var id: String
    public var merchant_id: String
    public var title: String
    public var description: String
    public var image_refs: String
    public var price_fen: Int64
    public var stock: Int64
    public var category: String
    public var status: String
    public var screening_reasons: String
    public var created_at: Int64
    public var updated_at: Int64
    public var reviewed_by: String?

    public init(
        id: String, merchant_id: String, title: String, description: String, image_refs: String, price_fen: Int64,
        stock: Int64, category: String, status: String, screening_reasons: String, now: Int64
    ) {
        self.id = id
        self.merchant_id = merchant_id
        self.title = title
        self.description = description
        self.image_refs = image_refs
        self.price_fen = price_fen
        self.stock = stock
        self.category = category
        self.status = status
        self.screening_reasons = screening_reasons
        self.created_at = now
        self.updated_at = now
    }
}

public enum ListingStore {
    /// Writes the listing in one statement. With `keepingStock`, an existing listing's stock is left as the
    /// database has it: a withdrawal or a review read the row earlier, and checkouts may have taken stock since.
    public static func save(_ row: ListingRow, keepingStock: Bool = false, on db: any SQLDatabase) async throws {
        let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)
        let columns = try encoder.encode(row).map(\.0).filter { $0 != "id" && !(keepingStock && $0 == "stock") }
        try await db.insert(into: "listings").model(row, with: encoder)
            .onConflict(with: "id") { update in columns.reduce(update) { $0.set(excludedValueOf: $1) } }
            .run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> ListingRow? {
        try await db.select().column("*").from("listings").where("id", .equal, id).first(decoding: ListingRow.self)
    }

    /// The merchant's listing, or nil: the merchant is part of the query, so no one edits another's listing.
    public static func find(id: String, merchantId: String, on db: any SQLDatabase) async throws -> ListingRow? {
        try await db.select().column("*").from("listings").where("id", .equal, id)
            .where("merchant_id", .equal, merchantId).first(decoding: ListingRow.self)
    }

    public static func list(merchantId: String, on db: any SQLDatabase) async throws -> [ListingRow] {
        try await db.select().column("*").from("listings").where("merchant_id", .equal, merchantId)
            .orderBy("created_at", .descending).limit(500).all(decoding: ListingRow.self)
    }

    public static func list(status: String, limit: Int, on db: any SQLDatabase) async throws -> [ListingRow] {
        try await db.select().column("*").from("listings").where("status", .equal, status)
            .orderBy("updated_at").limit(limit).all(decoding: ListingRow.self)
    }

    /// Published listings, newest first, optionally in a category and with `query` in the title.
    public static func browse(
        query: String?, category: String?, limit: Int, offset: Int, now: Int64, on db: any SQLDatabase
    ) async throws -> [ListingRow] {
        // Merchants that may not sell now (suspended, terminated, banned, or restricted from orders) are not shown.
        var sql: SQLQueryString = """
            SELECT * FROM listings WHERE status = 'published' AND NOT EXISTS (SELECT 1 FROM sanctions s
              WHERE s.party_id = listings.merchant_id AND s.lifted_at IS NULL AND s.starts_at <= \(bind: now)
              AND (s.ends_at IS NULL OR s.ends_at > \(bind: now))
              AND (s.level IN ('suspension', 'termination', 'ban')
                OR (s.level = 'restriction' AND s.functions LIKE '%"orders"%')))
            """
        if let category {
            sql.appendLiteral(" AND category = ")
            sql.appendInterpolation(bind: category)
        }
        if let query, !query.isEmpty {
            // The words are matched literally: LIKE's wildcards in them are escaped.
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            sql.appendLiteral(" AND title LIKE ")
            sql.appendInterpolation(bind: "%" + escaped + "%")
            sql.appendLiteral(" ESCAPE '\\'")
        }
        sql.appendLiteral(" ORDER BY created_at DESC, id LIMIT ")
        sql.appendInterpolation(bind: limit)
        sql.appendLiteral(" OFFSET ")
        sql.appendInterpolation(bind: offset)
        return try await db.raw(sql).all(decoding: ListingRow.self)
    }
}

public struct CartItemRow: Codable, Sendable {
    public let listing_id: String
    public let quantity: Int64
    public let merchant_id: String
    public let title: String
    public let price_fen: Int64
    public let status: String
}

public enum CartStore {
    /// Sets the quantity of a listing in the account's cart.
    public static func set(accountId: String, listingId: String, quantity: Int64, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.raw(
            """
            INSERT INTO cart_items (account_id, listing_id, quantity, added_at)
            VALUES (\(bind: accountId), \(bind: listingId), \(bind: quantity), \(bind: now))
            ON CONFLICT (account_id, listing_id) DO UPDATE SET quantity = excluded.quantity
            """
        ).run()
    }

    public static func remove(accountId: String, listingId: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "cart_items").where("account_id", .equal, accountId)
            .where("listing_id", .equal, listingId).run()
    }

    public static func clear(accountId: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "cart_items").where("account_id", .equal, accountId).run()
    }

    /// The cart with each listing's current title, price and merchant.
    public static func items(accountId: String, on db: any SQLDatabase) async throws -> [CartItemRow] {
        try await db.raw(
            """
            SELECT c.listing_id, c.quantity, l.merchant_id, l.title, l.price_fen, l.status
            FROM cart_items c JOIN listings l ON l.id = c.listing_id
            WHERE c.account_id = \(bind: accountId) ORDER BY c.added_at, c.listing_id
            """
        ).all(decoding: CartItemRow.self)
    }
}

public struct OrderRow: Codable, Sendable {
    public var id: String
    public var checkout_id: String
    public var buyer_id: String
    public var merchant_id: String
    public var status: String
    public var total_fen: Int64
    public var pay_by: Int64
    public var created_at: Int64
    public var updated_at: Int64
    public var recipient_cipher: Data?
    public var carrier: String?
    public var tracking_number: String?
    public var shipped_at: Int64?
    public var delivered_at: Int64?
    public var receipt_due_at: Int64?
    public var receipt_extended_at: Int64?
    /// When a paid order is to be shipped by, and when it was found not shipped by then.
    public var ship_due_at: Int64?
    public var shipping_late_at: Int64?
    public var completed_at: Int64?
    /// The province it ships to (generalised: no city, district or street).
    public var delivery_province: String?
    /// The logistics provider the shipment was handed to, whose credential may read its waybill (2.6).
    public var logistics_provider_id: String?

    public init(
        id: String, checkout_id: String, buyer_id: String, merchant_id: String, status: String, total_fen: Int64,
        pay_by: Int64, now: Int64
    ) {
        self.id = id
        self.checkout_id = checkout_id
        self.buyer_id = buyer_id
        self.merchant_id = merchant_id
        self.status = status
        self.total_fen = total_fen
        self.pay_by = pay_by
        self.created_at = now
        self.updated_at = now
    }
}

public struct OrderLineRow: Codable, Sendable {
    public let order_id: String
    public let listing_id: String
    public let title: String
    public let price_fen: Int64
    public let quantity: Int64

    public init(order_id: String, listing_id: String, title: String, price_fen: Int64, quantity: Int64) {
        self.order_id = order_id
        self.listing_id = listing_id
        self.title = title
        self.price_fen = price_fen
        self.quantity = quantity
    }
}

public enum OrderStore {
    /// Takes `quantity` units of a published listing if that many are left; nil when they are not.
    /// One statement, so two buyers can never both take the last unit.
    public static func reserve(listingId: String, quantity: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE listings SET stock = stock - \(bind: quantity)
            WHERE id = \(bind: listingId) AND status = 'published' AND stock >= \(bind: quantity)
            RETURNING id
            """
        ).first() != nil
    }

    public static func release(listingId: String, quantity: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "UPDATE listings SET stock = stock + \(bind: quantity) WHERE id = \(bind: listingId)"
        ).run()
    }

    public static func insert(
        checkoutId: String, buyerId: String, total: Int64, now: Int64, orders: [(OrderRow, [OrderLineRow])],
        on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO checkouts (id, buyer_id, total_fen, created_at)
            VALUES (\(bind: checkoutId), \(bind: buyerId), \(bind: total), \(bind: now))
            """
        ).run()
        for (order, lines) in orders {
            try await db.insert(into: "orders").model(order).run()
            for line in lines { try await db.insert(into: "order_lines").model(line).run() }
        }
    }

    /// The order if `party` is its buyer or its merchant (authorization in the query).
    public static func find(id: String, party: String, on db: any SQLDatabase) async throws -> OrderRow? {
        try await db.raw(
            """
            SELECT * FROM orders WHERE id = \(bind: id) AND (buyer_id = \(bind: party) OR merchant_id = \(bind: party))
            """
        ).first(decoding: OrderRow.self)
    }

    public static func list(buyerId: String, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.select().column("*").from("orders").where("buyer_id", .equal, buyerId)
            .orderBy("created_at", .descending).limit(200).all(decoding: OrderRow.self)
    }

    public static func list(merchantId: String, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.select().column("*").from("orders").where("merchant_id", .equal, merchantId)
            .orderBy("created_at", .descending).limit(200).all(decoding: OrderRow.self)
    }

    public static func list(checkoutId: String, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.select().column("*").from("orders").where("checkout_id", .equal, checkoutId).orderBy("id")
            .all(decoding: OrderRow.self)
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> OrderRow? {
        try await db.select().column("*").from("orders").where("id", .equal, id).first(decoding: OrderRow.self)
    }

    /// Shipped or delivered orders whose receipt window has ended.
    public static func receiptOverdue(now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.raw(
            """
            SELECT * FROM orders WHERE status IN ('shipped', 'delivered') AND receipt_due_at < \(bind: now)
            AND id NOT IN (SELECT order_id FROM disputes WHERE status NOT IN ('closed', 'withdrawn'))
            ORDER BY receipt_due_at LIMIT \(bind: limit)
            """
        ).all(decoding: OrderRow.self)
    }

    /// Sets fulfilment fields (shipment, delivery, receipt window, completion) of one order.
    public static func update(id: String, _ fields: [String: (any Encodable & Sendable)?], on db: any SQLDatabase)
        async throws
    {
        var update = db.update("orders").where("id", .equal, id)
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if let value {
                update = update.set(name, to: value)
            } else {
                update = update.set(name, to: SQLLiteral.null)
            }
        }
        try await update.run()
    }

    public static func lines(orderIds: [String], on db: any SQLDatabase) async throws -> [OrderLineRow] {
        guard !orderIds.isEmpty else { return [] }
        return try await db.select().column("*").from("order_lines").where("order_id", .in, orderIds)
            .all(decoding: OrderLineRow.self)
    }

    /// Moves the order from `from` to `to`; false when it was no longer in `from` (a concurrent change won).
    public static func transition(id: String, from: String, to: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE orders SET status = \(bind: to), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = \(bind: from) RETURNING id
            """
        ).first() != nil
    }

    /// Paid orders not shipped by their deadline and not yet flagged late.
    public static func shippingOverdue(now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.raw(
            """
            SELECT * FROM orders WHERE status = 'awaiting_shipment' AND ship_due_at < \(bind: now)
            AND shipping_late_at IS NULL ORDER BY ship_due_at LIMIT \(bind: limit)
            """
        ).all(decoding: OrderRow.self)
    }

    /// Flags an order late once (false when it was flagged, shipped or cancelled meanwhile).
    public static func markShippingLate(id: String, now: Int64, on db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            UPDATE orders SET shipping_late_at = \(bind: now), updated_at = \(bind: now)
            WHERE id = \(bind: id) AND status = 'awaiting_shipment' AND shipping_late_at IS NULL RETURNING id
            """
        ).first() != nil
    }

    /// Unpaid orders past their deadline.
    public static func overdueUnpaid(now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [OrderRow] {
        try await db.raw(
            """
            SELECT * FROM orders WHERE status = 'awaiting_payment' AND pay_by < \(bind: now)
            ORDER BY pay_by LIMIT \(bind: limit)
            """
        ).all(decoding: OrderRow.self)
    }
}

public struct IdempotencyRow: Codable, Sendable {
    public let fingerprint: String
    public let status_code: Int64?
    public let response_body: Data?
    /// When the key was claimed (or last taken over).
    public let created_at: Int64
    /// What the request created, marked in the same transaction (`checkout:ID`): a recovery resumes from it.
    public let resource: String?
}

public enum IdempotencyStore {
    /// Claims the key for a new request; false when the account already used it.
    public static func claim(accountId: String, key: String, fingerprint: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, created_at)
            VALUES (\(bind: accountId), \(bind: key), \(bind: fingerprint), \(bind: now))
            ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING idempotency_key
            """
        ).first() != nil
    }

    public static func find(accountId: String, key: String, on db: any SQLDatabase) async throws -> IdempotencyRow? {
        try await db.raw(
            """
            SELECT fingerprint, status_code, response_body, created_at, resource FROM idempotency_keys
            WHERE account_id = \(bind: accountId) AND idempotency_key = \(bind: key)
            """
        ).first(decoding: IdempotencyRow.self)
    }

    public static func complete(
        accountId: String, key: String, status: Int, body: Data, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            UPDATE idempotency_keys SET status_code = \(bind: Int64(status)), response_body = \(bind: body)
            WHERE account_id = \(bind: accountId) AND idempotency_key = \(bind: key)
            """
        ).run()
    }

    /// After a failure: a key whose request created nothing is freed for a fresh try; one that created something
    /// is kept, so a retry (once the claim counts as abandoned) resumes from it rather than doing it again.
    public static func release(accountId: String, key: String, on db: any SQLDatabase) async throws {
        try await db.delete(from: "idempotency_keys").where("account_id", .equal, accountId)
            .where("idempotency_key", .equal, key).where("resource", .is, SQLLiteral.null).run()
    }

    /// Takes over a claim an interrupted request left (only if no one else took it since `claimedAt`).
    public static func takeOver(accountId: String, key: String, claimedAt: Int64, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE idempotency_keys SET created_at = \(bind: now)
            WHERE account_id = \(bind: accountId) AND idempotency_key = \(bind: key)
              AND status_code IS NULL AND created_at = \(bind: claimedAt)
            RETURNING idempotency_key
            """
        ).first() != nil
    }

    public static func mark(accountId: String, key: String, resource: String, on db: any SQLDatabase) async throws {
        try await db.update("idempotency_keys").set("resource", to: resource).where("account_id", .equal, accountId)
            .where("idempotency_key", .equal, key).run()
    }
}

public enum WaybillStore {
    public static func grant(orderId: String, staffId: String, now: Int64, expiresAt: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.raw(
            """
            INSERT INTO waybill_grants (order_id, staff_id, granted_at, expires_at)
            VALUES (\(bind: orderId), \(bind: staffId), \(bind: now), \(bind: expiresAt))
            """
        ).run()
    }
}

public struct MaintenanceJobRow: Codable, Sendable, Equatable {
    public var id: String
    public var kind: String
    public var requested_by: String
    /// queued, running, done or failed.
    public var status: String
    public var done: Int64
    public var total: Int64
    /// The error's type when it failed (never its message, which could quote data).
    public var error: String?
    public var created_at: Int64
    public var updated_at: Int64
    public var finished_at: Int64?
    /// What the job was asked to do (JSON), when its kind takes parameters.
    public var parameters: String?
    /// What it found (JSON), when its kind reports something.
    public var result: String?

    public init(id: String, kind: String, requestedBy: String, parameters: String? = nil, now: Int64) {
        self.id = id
        self.kind = kind
        self.parameters = parameters
        self.requested_by = requestedBy
        self.status = "queued"
        self.done = 0
        self.total = 0
        self.created_at = now
        self.updated_at = now
    }
}

public enum MaintenanceJobStore {
    public static func insert(_ row: MaintenanceJobRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "maintenance_jobs").model(row).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> MaintenanceJobRow? {
        try await db.select().column("*").from("maintenance_jobs").where("id", .equal, id)
            .first(decoding: MaintenanceJobRow.self)
    }

    public static func recent(kinds: [String], limit: Int, on db: any SQLDatabase) async throws
        -> [MaintenanceJobRow]
    {
        try await db.select().column("*").from("maintenance_jobs").where("kind", .in, kinds)
            .orderBy("created_at", .descending)
            .orderBy("id").limit(limit).all(decoding: MaintenanceJobRow.self)
    }

    /// A job of this kind not finished yet, if any (one at a time per kind).
    public static func unfinished(kind: String, on db: any SQLDatabase) async throws -> MaintenanceJobRow? {
        try await db.select().column("*").from("maintenance_jobs").where("kind", .equal, kind)
            .where("status", .in, ["queued", "running"]).first(decoding: MaintenanceJobRow.self)
    }

    /// Takes the oldest queued job for this instance; another instance taking it first wins (nil here).
    public static func claimNext(now: Int64, on db: any SQLDatabase) async throws -> MaintenanceJobRow? {
        guard
            let next = try await db.select().column("*").from("maintenance_jobs").where("status", .equal, "queued")
                .orderBy("created_at").limit(1).first(decoding: MaintenanceJobRow.self)
        else { return nil }
        let claimed = try await db.raw(
            """
            UPDATE maintenance_jobs SET status = 'running', updated_at = \(bind: now)
            WHERE id = \(bind: next.id) AND status = 'queued' RETURNING id
            """
        ).first()
        return claimed == nil ? nil : next
    }

    public static func progress(id: String, done: Int64, total: Int64, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.update("maintenance_jobs").set("done", to: done).set("total", to: total)
            .set("updated_at", to: now).where("id", .equal, id).run()
    }

    public static func finish(id: String, error: String?, result: String? = nil, now: Int64, on db: any SQLDatabase)
        async throws
    {
        try await db.update("maintenance_jobs").set("status", to: error == nil ? "done" : "failed")
            .set("error", to: error).set("result", to: result).set("updated_at", to: now).set("finished_at", to: now)
            .where("id", .equal, id).run()
    }

    /// Jobs left running by an instance that stopped go back to the queue (the operations are idempotent).
    public static func requeueStale(before cutoff: Int64, now: Int64, on db: any SQLDatabase) async throws {
        try await db.update("maintenance_jobs").set("status", to: "queued").set("updated_at", to: now)
            .where("status", .equal, "running").where("updated_at", .lessThan, cutoff).run()
    }
}
