// The data catalog in code (clauses 1.1.1, 1.1.2, 2.3.1, 2.3.2): every column of every table the platform
// stores, with its category, grade, stored form, encryption, retention, purpose and legal basis.
// A test compares it with the live schema, so a new column cannot ship without being classified.
public import Foundation

/// What kind of information a column holds (clauses 1.1.1 and 1.1.2).
public enum DataCategory: String, Sendable, Hashable, Codable, CaseIterable {
    /// Personal information (clause 1.1.1, PIPL Art. 4): identifies a person alone or combined with other data.
    case personal
    /// Sensitive personal information (PIPL Art. 28): biometrics, religion, specific identity, health,
    /// financial accounts, whereabouts, anything about minors under 14.
    case sensitivePersonal = "sensitive_personal"
    /// Transaction information (clause 1.1.2): products, orders, payments, logistics, reviews, messages.
    case transaction
    /// Credentials, key material and the state that decides who may do what (clause 3.2, 4.x).
    case accountSecurity = "account_security"
    /// Bookkeeping that says nothing about a person: counters, timestamps of platform records, hashes.
    case operational
}

/// How much harm disclosure, tampering or loss would do (GB/T 43697-2024; when in doubt, grade up).
///
/// Within the platform: `core` is material that unlocks other data or accounts (keys, second-factor
/// secrets); `important` is personal information in any form the platform can read or re-link, credential
/// verifiers and authorization state; `general` is identifiers, timestamps and hashes that harm no one alone.
public enum DataGrade: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case general
    case important
    case core

    private var rank: Int {
        switch self {
        case .general: 0
        case .important: 1
        case .core: 2
        }
    }

    /// Orders grades from `general` (lowest) to `core` (highest).
    public static func < (lhs: DataGrade, rhs: DataGrade) -> Bool { lhs.rank < rhs.rank }
}

/// What a column actually stores: the value itself, or a form that cannot be read back (clause 2.3.2,
/// de-identification).
public enum StoredForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// The value itself (in the clear unless the entry says `encrypted`).
    case value
    /// A random internal identifier, or a reference to one; meaningless outside the platform.
    case identifier
    /// A coarsened value that no longer singles anyone out (for example "Firefox on Linux").
    case generalised
    /// A keyed HMAC for exact lookups; the value cannot be recovered from it.
    case blindIndex = "blind_index"
    /// A keyed pseudonym of a person, stable per person; re-linkable only with the pseudonym key.
    case pseudonym
    /// A one-way hash or hash-based verifier (passwords, tokens, integrity hashes).
    case hash
}

/// How long a column's values are kept.
public enum Retention: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Kept while the account exists; erased (or crypto-shredded) when it is deleted.
    case untilAccountDeleted
    /// Kept for a number of days after an event.
    case days(Int, after: String = "recording")
    /// Kept for a number of months after an event (network logs: at least 6, Cybersecurity Law Art. 21).
    case months(Int, after: String = "recording")
    /// Kept for a number of years after an event (transaction records: at least 3, E-commerce Law Art. 31).
    case years(Int, after: String = "recording")
    /// Kept for the life of the platform: only for data that holds no personal information in clear.
    case permanent

    /// The shortest time the period can be, in milliseconds, counting months as 31 days and years as 366, so
    /// nothing is removed before the law's minimum; nil when the period is not a span of time.
    public var minimumMillis: Int64? {
        let day: Int64 = 86_400_000
        switch self {
        case .days(let count, _): return Int64(count) * day
        case .months(let count, _): return Int64(count) * 31 * day
        case .years(let count, _): return Int64(count) * 366 * day
        case .untilAccountDeleted, .permanent: return nil
        }
    }

    /// The period in words, e.g. "6 months after recording".
    public var description: String {
        func period(_ count: Int, _ unit: String, _ after: String) -> String {
            "\(count) \(unit)\(count == 1 ? "" : "s") after \(after)"
        }
        switch self {
        case .untilAccountDeleted: return "until the account is deleted"
        case .days(let count, let after): return period(count, "day", after)
        case .months(let count, let after): return period(count, "month", after)
        case .years(let count, let after): return period(count, "year", after)
        case .permanent: return "permanent"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, count, after
    }

    /// Encodes as `{"kind": "months", "count": 6, "after": "recording"}`; `kind` alone for the open-ended cases.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func period(_ kind: String, _ count: Int, _ after: String) throws {
            try container.encode(kind, forKey: .kind)
            try container.encode(count, forKey: .count)
            try container.encode(after, forKey: .after)
        }
        switch self {
        case .untilAccountDeleted: try container.encode("until_account_deleted", forKey: .kind)
        case .days(let count, let after): try period("days", count, after)
        case .months(let count, let after): try period("months", count, after)
        case .years(let count, let after): try period("years", count, after)
        case .permanent: try container.encode("permanent", forKey: .kind)
        }
    }

    /// Decodes the form `encode(to:)` writes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        func count() throws -> Int { try container.decode(Int.self, forKey: .count) }
        func after() throws -> String { try container.decode(String.self, forKey: .after) }
        switch kind {
        case "until_account_deleted": self = .untilAccountDeleted
        case "days": self = .days(try count(), after: try after())
        case "months": self = .months(try count(), after: try after())
        case "years": self = .years(try count(), after: try after())
        case "permanent": self = .permanent
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown retention kind \(kind)")
        }
    }
}

/// One stored column: what it holds and how it is protected (clause 2.3.2).
public struct CatalogEntry: Sendable, Hashable, Codable {
    /// The table, exactly as in the database.
    public let table: String
    /// The column, exactly as in the database.
    public let column: String
    /// What kind of information it is.
    public let category: DataCategory
    /// How much harm its disclosure, tampering or loss would do.
    public let grade: DataGrade
    /// Whether the column holds the value itself or a de-identified form of it.
    public let form: StoredForm
    /// Whether the stored bytes are ciphertext (field-level AES-GCM, or a key wrapped by the master key).
    public let encrypted: Bool
    /// How long it is kept.
    public let retention: Retention
    /// Why the platform stores it, in one English sentence.
    public let purpose: String
    /// The legal basis for storing it (PIPL Art. 13 and the law that requires it, if any).
    public let legalBasis: String

    /// Creates an entry.
    public init(
        table: String, column: String, category: DataCategory, grade: DataGrade, form: StoredForm = .value,
        encrypted: Bool, retention: Retention, purpose: String, legalBasis: String
    ) {
        self.table = table
        self.column = column
        self.category = category
        self.grade = grade
        self.form = form
        self.encrypted = encrypted
        self.retention = retention
        self.purpose = purpose
        self.legalBasis = legalBasis
    }
}

/// The catalog of every stored column (clauses 1.1.1, 1.1.2, 2.3.2), rendered for readers and machines.
public enum DataCatalog {
    /// Every column of every table, grouped by table in schema order.
    public static let entries: [CatalogEntry] = tables.flatMap { $0.entries }

    /// The entry for one column, or `nil` if the column is not catalogued.
    public static func entry(table: String, column: String) -> CatalogEntry? {
        byColumn[Key(table: table, column: column)]
    }

    /// The catalog as a Markdown document: a table per database table, in schema order.
    public static func markdown() -> String {
        var lines = [
            "# Data catalog",
            "",
            "Clauses 1.1.1 (personal information), 1.1.2 (transaction information) and 2.3.2 (classification, "
                + "grading and encrypted storage): every column of every table Covenant stores, with its category, "
                + "grade, stored form, encryption, retention, purpose and legal basis.",
            "",
            "Generated by `covenant privacy catalog` from `Sources/Privacy/DataCatalog.swift`; do not edit by hand. "
                + "A test (`DataCatalogTests`) fails if a database column is missing here or an entry names a "
                + "column that does not exist.",
            "",
            "- **Categories**: `personal` (clause 1.1.1), `sensitive_personal` (PIPL Art. 28), `transaction` "
                + "(clause 1.1.2), `account_security` (credentials, keys, authorization state), `operational`.",
            "- **Grades** (GB/T 43697-2024, graded up when in doubt): `core` unlocks other data or accounts; "
                + "`important` is personal information the platform can read or re-link, credential verifiers and "
                + "authorization state; `general` harms no one alone.",
            "- **Stored as**: `value` (the value itself), `identifier` (random internal id), `generalised` "
                + "(coarsened), `blind_index` (keyed HMAC), `pseudonym` (keyed), `hash` (one-way).",
            "- **Encrypted**: AES-256-GCM under the person's own data key, bound to table, column and row; data "
                + "keys are wrapped by the versioned master key and destroyed on erasure (crypto-shredding).",
            "",
            summaryLine(),
        ]
        let transactionCount = entries.filter { $0.category == .transaction }.count
        if transactionCount == 0 {
            lines += [
                "",
                "No table holds transaction information (clause 1.1.2) yet; orders, payments, logistics and reviews "
                    + "will be catalogued here when their tables are added.",
            ]
        }
        for table in tables {
            lines += ["", "## `\(table.name)`", "", table.summary, ""]
            lines.append("| column | category | grade | stored as | encrypted | retention | purpose | legal basis |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for entry in table.entries {
                let cells = [
                    "`\(entry.column)`", entry.category.rawValue, entry.grade.rawValue, entry.form.rawValue,
                    entry.encrypted ? "yes" : "no", entry.retention.description, entry.purpose, entry.legalBasis,
                ]
                lines.append("| " + cells.map(escape).joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The catalog as a JSON array sorted by table, then column, with sorted keys (stable across runs).
    public static func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let sorted = entries.sorted { ($0.table, $0.column) < ($1.table, $1.column) }
        return try encoder.encode(sorted)
    }

    // MARK: - Rendering helpers

    private struct Key: Hashable {
        let table: String
        let column: String
    }

    private static let byColumn: [Key: CatalogEntry] = Dictionary(
        entries.map { (Key(table: $0.table, column: $0.column), $0) }, uniquingKeysWith: { first, _ in first })

    private static func summaryLine() -> String {
        let personal = entries.filter { $0.category == .personal || $0.category == .sensitivePersonal }
        let personalValues = personal.filter { $0.form == .value }
        let grades = DataGrade.allCases.reversed().map { grade in
            "\(entries.filter { $0.grade == grade }.count) \(grade.rawValue)"
        }
        let encrypted = personalValues.filter(\.encrypted).count
        return "\(entries.count) columns in \(tables.count) tables; \(personal.count) hold personal information "
            + "(\(personalValues.count) as values, \(encrypted) of them encrypted; the rest as identifiers, blind "
            + "indexes, pseudonyms or generalised values); graded \(grades.joined(separator: ", "))."
    }

    private static func escape(_ cell: String) -> String {
        cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    // MARK: - The catalog

    /// One table's columns with the table's usual retention and legal basis.
    private struct Table {
        let name: String
        let summary: String
        let entries: [CatalogEntry]

        init(
            _ name: String, summary: String, retention: Retention, legalBasis: String, _ columns: [Column]
        ) {
            self.name = name
            self.summary = summary
            self.entries = columns.map { column in
                CatalogEntry(
                    table: name, column: column.name, category: column.category, grade: column.grade,
                    form: column.form, encrypted: column.encrypted, retention: column.retention ?? retention,
                    purpose: column.purpose, legalBasis: column.legalBasis ?? legalBasis)
            }
        }
    }

    private struct Column {
        let name: String
        let category: DataCategory
        let grade: DataGrade
        let form: StoredForm
        let encrypted: Bool
        let retention: Retention?
        let legalBasis: String?
        let purpose: String

        init(
            _ name: String, _ category: DataCategory, _ grade: DataGrade, form: StoredForm = .value,
            encrypted: Bool = false, retention: Retention? = nil, legalBasis: String? = nil, _ purpose: String
        ) {
            self.name = name
            self.category = category
            self.grade = grade
            self.form = form
            self.encrypted = encrypted
            self.retention = retention
            self.legalBasis = legalBasis
            self.purpose = purpose
        }
    }

    private enum Basis {
        static let contract =
            "PIPL Art. 13(1)(2): necessary to perform the user agreement (for staff: human-resources management)"
        static let realName =
            "E-commerce Law Art. 27 and Cybersecurity Law Art. 24: real-name verification; PIPL Art. 13(1)(3), "
            + "with separate consent for the ID number (Art. 29)"
        static let listings =
            "E-commerce Law Art. 17 (true and complete information) and Art. 31 (records kept at least 3 years)"
        static let orders =
            "PIPL Art. 13(1)(2): performing the purchase contract; E-commerce Law Art. 31 (kept at least 3 years)"
        static let consent =
            "PIPL Art. 13(1)(1), 14 and 15: consent, and proof of it; Art. 29 and 23: separate consents"
        static let security =
            "PIPL Art. 13(1)(2) and Art. 51: account security the user agreement requires (clauses 3.2, 4.x)"
        static let networkLog =
            "PIPL Art. 13(1)(3): legal obligation; Cybersecurity Law Art. 21 (network logs kept at least 6 months)"
        static let audit =
            "PIPL Art. 13(1)(3) and Art. 51: security audit; Cybersecurity Law Art. 21 (clause 2.2)"
        static let operations =
            "No personal information: running the platform's services reliably (Cybersecurity Law Art. 21, E-commerce "
            + "Law Art. 30)"
        static let keys = "PIPL Art. 51: encryption and key management protecting personal information (clause 2.3.2)"
        static let governance =
            "E-commerce Law Art. 32 and 36 (platform rules and their enforcement, made public) and Art. 31 (records "
            + "kept at least 3 years); PIPL Art. 13(1)(3)"
        static let providers =
            "PIPL Art. 21 and 23 (entrusted processing and provision to others, supervised) and E-commerce Law Art. 30 "
            + "(the platform answers for the security of its services); clause 2.6"
        static let incidents =
            "PIPL Art. 57 and Cybersecurity Law Art. 25 (incident response, notifying people and the authority); "
            + "clause 2.3.6"
        static let training =
            "PIPL Art. 13(1)(2): human-resources management; PIPL Art. 51(4): security training of staff (clause 2.3.3)"
        static let rights =
            "PIPL Art. 13(1)(3): legal obligation to answer rights requests (PIPL Arts. 44-50, clause 2.3.5)"
        static let notPersonal = "Not personal information: platform operation (clause 2.1)"
        static let accounting =
            "Accounting Law and Accounting Archives Measures (records kept 30 years); no personal data in clear"
        static let risk =
            "PIPL Art. 13(1)(2) and (5): protecting consumers and the platform from fraud; E-commerce Law Art. 17 "
            + "and clauses 2.4.1 and 2.4.3 (risk monitoring and controls)"
    }

    /// What is left of a deleted account (id, role, dates): kept as long as the records that law requires to
    /// be kept may point to it (E-commerce Law Art. 31: 3 years).
    private static let tombstone = Retention.years(3, after: "the account is deleted")

    private static let tables: [Table] = [
        Table(
            "subject_keys",
            summary: "One data key per person (and one for events about no person); every personal field is "
                + "encrypted under its owner's key. Erasure destroys the wrapped key and keeps a tombstone.",
            retention: tombstone, legalBasis: Basis.keys,
            [
                Column(
                    "subject_id", .personal, .general, form: .identifier,
                    "Whose data key this is: an account id, or `platform:audit`; kept after erasure as a tombstone "
                        + "so an erased person's key is never silently re-created."),
                Column(
                    "master_version", .accountSecurity, .general,
                    "Version of the master key that wrapped the data key, so keys can be rotated."),
                Column(
                    "wrapped_key", .accountSecurity, .core, encrypted: true, retention: .untilAccountDeleted,
                    "The person's AES-256 data key, wrapped by the master key; destroyed on erasure, which makes "
                        + "every field encrypted under it unreadable (crypto-shredding)."),
                Column("created_at", .operational, .general, "When the data key was created."),
                Column(
                    "destroyed_at", .operational, .general,
                    "When the data key was destroyed: evidence that an erasure was carried out."),
            ]),
        Table(
            "accounts",
            summary: "Consumer, merchant and platform staff accounts. Contact and name are encrypted; logins are "
                + "found by blind index. Deleting an account leaves a storage-only tombstone: contact and name "
                + "crypto-shredded, credentials and blind index cleared.",
            retention: tombstone, legalBasis: Basis.contract,
            [
                Column(
                    "id", .personal, .general, form: .identifier,
                    "Random account id that links the account's rows; reveals nothing by itself."),
                Column(
                    "kind", .accountSecurity, .important, legalBasis: Basis.security,
                    "Which party the account belongs to (consumer, merchant, platform), which selects what it may "
                        + "reach."),
                Column(
                    "role", .accountSecurity, .important, legalBasis: Basis.security,
                    "The account's role, checked on every route (least privilege, clause 2.3.3)."),
                Column(
                    "merchant_id", .accountSecurity, .important, form: .identifier, legalBasis: Basis.security,
                    "The merchant (owner account id) a merchant owner or staff account acts for; scopes merchant "
                        + "data."),
                Column(
                    "login_kind", .operational, .general,
                    "Whether the login is a mobile number or an e-mail address, to normalise and mask it."),
                Column(
                    "login_index", .personal, .important, form: .blindIndex, retention: .untilAccountDeleted,
                    "Blind index (keyed HMAC) of the normalised login, to find the account at sign-in without "
                        + "storing the login in clear; re-linkable only with the blind-index key."),
                Column(
                    "login_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The login (mobile number or e-mail address), used to contact the account holder and shown "
                        + "to them masked."),
                Column(
                    "display_name_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The name the account holder chose to be addressed by (may be their real name)."),
                Column(
                    "password_hash", .accountSecurity, .important, form: .hash, retention: .untilAccountDeleted,
                    legalBasis: Basis.security,
                    "Bcrypt hash of the password, to verify sign-ins; the password itself is never stored."),
                Column(
                    "must_change_password", .accountSecurity, .general, legalBasis: Basis.security,
                    "Whether the holder must replace a one-time password issued by the platform."),
                Column(
                    "totp_secret_cipher", .accountSecurity, .core, encrypted: true, retention: .untilAccountDeleted,
                    legalBasis: Basis.security,
                    "The two-factor (TOTP) shared secret; whoever reads it can produce second-factor codes."),
                Column(
                    "totp_enabled", .accountSecurity, .important, retention: .untilAccountDeleted,
                    legalBasis: Basis.security,
                    "Whether sign-in requires a second factor; switching it off weakens the account."),
                Column(
                    "totp_last_step", .accountSecurity, .general, legalBasis: Basis.security,
                    "The last TOTP time step accepted, so a code cannot be used twice."),
                Column(
                    "status", .accountSecurity, .important, legalBasis: Basis.security,
                    "Whether the account may sign in: `active`, or `erased` once deleted."),
                Column("created_at", .operational, .general, "When the account was created."),
                Column("updated_at", .operational, .general, "When the account was last changed."),
            ]),
        Table(
            "sessions",
            summary: "Signed-in sessions. Only the token's hash is stored; the device is described coarsely.",
            retention: .months(6, after: "the session ends"), legalBasis: Basis.security,
            [
                Column(
                    "id", .accountSecurity, .general, form: .identifier,
                    "Random session id, so the holder can list and revoke sessions."),
                Column(
                    "token_hash", .accountSecurity, .important, form: .hash,
                    "SHA-256 of the bearer token, to authenticate requests; the token itself is never stored."),
                Column(
                    "account_id", .personal, .general, form: .identifier, "The account the session belongs to."),
                Column("created_at", .accountSecurity, .general, "When the session was opened."),
                Column(
                    "last_seen_at", .accountSecurity, .general,
                    "When the session was last used, for the idle timeout."),
                Column("expires_at", .accountSecurity, .general, "When the session ends regardless of use."),
                Column(
                    "idle_timeout_ms", .accountSecurity, .general, "How long the session may stay idle."),
                Column(
                    "two_factor", .accountSecurity, .general,
                    "Whether the session was opened with a second factor."),
                Column(
                    "device_label", .personal, .general, form: .generalised,
                    "Coarse description of the client (browser family and operating system, e.g. \"Firefox on "
                        + "Linux\"), so the holder can recognise their sessions; not the user agent."),
                Column("revoked_at", .accountSecurity, .general, "When the session was signed out or revoked."),
                Column(
                    "rules_pending", .accountSecurity, .general,
                    "Whether the party had a new rulebook version to accept when the session began (2.5)."),
            ]),
        Table(
            "login_attempts",
            summary: "Sign-in attempts for lockout and per-address throttling (clause 2.2); a network log.",
            retention: .months(6), legalBasis: Basis.networkLog,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the attempt."),
                Column(
                    "account_id", .personal, .general, form: .identifier,
                    "The account the attempt was for, if the login exists; counts failures towards a lockout."),
                Column(
                    "login_index", .personal, .important, form: .blindIndex,
                    "Blind index of the login that was tried (existing or not), so unknown and known logins lock "
                        + "alike and nobody learns which exist."),
                Column(
                    "ip_index", .personal, .important, form: .blindIndex,
                    "Blind index (keyed HMAC) of the client IP address (IPv6 by /64), to throttle an address "
                        + "without storing it; graded up because the key holder can confirm a guessed address."),
                Column("succeeded", .accountSecurity, .general, "Whether the attempt succeeded."),
                Column("at", .accountSecurity, .general, "When the attempt was made."),
            ]),
        Table(
            "login_locks",
            summary: "Lockouts after repeated failed sign-ins (PCI DSS 8.3.4), by login, known or not.",
            retention: .months(6), legalBasis: Basis.networkLog,
            [
                Column(
                    "login_index", .personal, .important, form: .blindIndex,
                    "Blind index of the locked login; the same for logins that exist and that do not."),
                Column("locked_until", .accountSecurity, .general, "End of the current lockout, if any."),
                Column(
                    "reset_at", .accountSecurity, .general,
                    "Failures before this moment no longer count (after a lockout, a success or an unlock)."),
            ]),
        Table(
            "recovery_codes",
            summary: "One-time two-factor recovery codes, stored as hashes; replaced when regenerated.",
            retention: .untilAccountDeleted, legalBasis: Basis.security,
            [
                Column(
                    "code_hash", .accountSecurity, .important, form: .hash,
                    "SHA-256 of a 60-bit one-time recovery code, to verify it; the code itself is shown once "
                        + "and never stored."),
                Column("account_id", .personal, .general, form: .identifier, "The account the code belongs to."),
                Column("used_at", .accountSecurity, .general, "When the code was used (each works once)."),
            ]),
        Table(
            "known_devices",
            summary: "Devices and networks an account has signed in from, to warn about new ones.",
            retention: .untilAccountDeleted, legalBasis: Basis.security,
            [
                Column("account_id", .personal, .general, form: .identifier, "The account that signed in."),
                Column(
                    "device_index", .personal, .important, form: .blindIndex,
                    "Blind index (keyed HMAC) of client IP address and user agent, to notice a new device or "
                        + "network without storing either."),
                Column("first_seen_at", .accountSecurity, .general, "When the device was first seen."),
            ]),
        Table(
            "step_up_codes",
            summary: "The one-time code sent to an account's own login when the risk engine challenges a sign-in "
                + "and the account has no authenticator app (clause 2.4.3): kept until used, replaced, or a day "
                + "after it expired.",
            retention: .days(1, after: "the code was sent"), legalBasis: Basis.security,
            [
                Column("account_id", .personal, .general, form: .identifier, "The account being confirmed."),
                Column("purpose", .operational, .general, "What the code confirms (`sign-in`)."),
                Column(
                    "code_mac", .accountSecurity, .important, form: .hash,
                    "HMAC of the six-digit code under the holder's data key (the code itself is never stored)."),
                Column("issued_at", .accountSecurity, .general, "When it was sent."),
                Column("expires_at", .accountSecurity, .general, "When it expires (five minutes later)."),
                Column("attempts", .accountSecurity, .general, "Codes tried (five use it up)."),
            ]),
        Table(
            "security_notices",
            summary: "Security notices shown to the account holder (new device, lockout).",
            retention: .untilAccountDeleted, legalBasis: Basis.security,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the notice."),
                Column("account_id", .personal, .general, form: .identifier, "The account the notice is for."),
                Column("kind", .accountSecurity, .general, "What happened (new-device, locked)."),
                Column(
                    "message", .accountSecurity, .general,
                    "Notice text shown to the holder; holds no address or identifier, only the generalised "
                        + "device label."),
                Column("created_at", .accountSecurity, .general, "When the notice was raised."),
                Column("read_at", .accountSecurity, .general, "When the holder read the notice."),
            ]),
        Table(
            "audit_events",
            summary: "The security audit log (clause 2.2), written in the same transaction as each action; each "
                + "event is a leaf of the tamper-evident Merkle tree, so it is kept and never changed.",
            retention: .permanent, legalBasis: Basis.audit,
            [
                Column("id", .operational, .general, form: .identifier, "Order in which events were written."),
                Column("event_type", .operational, .general, "What happened, e.g. `account.login.failure`."),
                Column(
                    "actor", .personal, .important, form: .pseudonym,
                    "Keyed pseudonym of the account that acted (empty for the platform); re-linkable only with "
                        + "the pseudonym key."),
                Column(
                    "subject", .personal, .important, form: .pseudonym,
                    "Keyed pseudonym of the person the event concerns (empty if none)."),
                Column(
                    "object_ref", .personal, .general, form: .identifier,
                    "The object acted on, as `type:id` (e.g. `session:…`, `account:…`); internal random ids only."),
                Column("outcome", .operational, .general, "success, failure or denied."),
                Column("occurred_at", .operational, .general, "When the event happened."),
                Column(
                    "details_hash", .operational, .general, form: .hash,
                    "SHA-256 of the encrypted details, committed to the leaf so details cannot change unnoticed."),
                Column(
                    "leaf_index", .operational, .general,
                    "Position of the event in the Merkle tree, once integrated."),
            ]),
        Table(
            "audit_details",
            summary: "Details of audit events, encrypted under the data key of the person concerned, so erasing "
                + "the person erases their details while the event's hash stays in the log.",
            retention: .permanent, legalBasis: Basis.audit,
            [
                Column(
                    "details_hash", .operational, .general, form: .hash,
                    "SHA-256 of the sealed details: the same hash the audit event (and its Merkle leaf) carries."),
                Column(
                    "key_subject", .personal, .general, form: .identifier,
                    "Whose data key encrypts the details: an account id, or `platform:audit`."),
                Column(
                    "details_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "Event details (reasons, counts, flags) as encrypted JSON; crypto-shredded with the "
                        + "person's data key, the ciphertext kept so the event's details hash still verifies."),
            ]),
        Table(
            "audit_nodes",
            summary: "Complete-subtree hashes of the audit Merkle tree (RFC 9162); hashes only, no personal data.",
            retention: .permanent, legalBasis: Basis.notPersonal,
            [
                Column("level", .operational, .general, "Height of the subtree (0 for leaves)."),
                Column("idx", .operational, .general, "Index of the subtree within its level."),
                Column(
                    "hash", .operational, .general, form: .hash,
                    "SHA-256 of the subtree, to build roots and proofs."),
            ]),
        Table(
            "audit_heads",
            summary: "Signed tree heads of the audit log: size, root hash, time and Ed25519 signature.",
            retention: .permanent, legalBasis: Basis.notPersonal,
            [
                Column("tree_size", .operational, .general, "Number of events the head commits to."),
                Column("root_hash", .operational, .general, form: .hash, "Merkle root over those events."),
                Column("timestamp", .operational, .general, "When the head was signed."),
                Column(
                    "signature", .operational, .general,
                    "Ed25519 signature over the head, so anyone can check it came from the platform."),
            ]),
        Table(
            "staff_training",
            summary: "Confidentiality training of platform staff (clause 2.3.3): only staff with current training "
                + "may see unmasked personal information.",
            retention: .years(3, after: "the training expires"), legalBasis: Basis.training,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the record."),
                Column("staff_id", .personal, .general, form: .identifier, "The staff account that was trained."),
                Column(
                    "completed_at", .accountSecurity, .important,
                    "When the training was completed; gates access to unmasked personal information."),
                Column(
                    "expires_at", .accountSecurity, .important,
                    "When the training lapses and the access it grants ends."),
                Column(
                    "recorded_by", .personal, .general, form: .identifier,
                    "The administrator account that recorded the training, for accountability."),
            ]),
        Table(
            "privacy_requests",
            summary: "Requests to query, correct or delete personal information (clause 2.3.5), with their deadlines "
                + "of 15 working days; kept after deletion as proof that each was answered in time.",
            retention: .years(3, after: "the request is completed"), legalBasis: Basis.rights,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the request."),
                Column(
                    "account_id", .personal, .general, form: .identifier,
                    "The account whose holder made the request."),
                Column("kind", .operational, .general, "What was asked: export, correction or deletion."),
                Column("status", .operational, .general, "Where the request stands (open, completed)."),
                Column("created_at", .operational, .general, "When the request was made."),
                Column("due_at", .operational, .general, "When the answer is due (15 working days)."),
                Column("completed_at", .operational, .general, "When the request was answered."),
                Column(
                    "handled_by", .personal, .general, form: .identifier,
                    "The staff account that answered the request, or `self-service`."),
            ]),
        Table(
            "consents",
            summary: "What each person consented to, per purpose and privacy-notice version (clause 2.3.1); a "
                + "withdrawn consent stays as proof of what was allowed when.",
            retention: .years(3, after: "the consent is withdrawn or the account deleted"), legalBasis: Basis.consent,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the record."),
                Column(
                    "account_id", .personal, .general, form: .identifier, "The account whose holder consented."),
                Column("purpose", .operational, .general, "What was consented to (see the privacy notice)."),
                Column("notice_version", .operational, .general, "The version of the privacy notice consented to."),
                Column("granted_at", .operational, .general, "When consent was given."),
                Column("withdrawn_at", .operational, .general, "When it was withdrawn, if it was."),
            ]),
        Table(
            "identity_verifications",
            summary: "Real-name verification of consumers and merchants (clause 2.3.4; E-commerce Law Art. 27): "
                + "the state, the name and resident ID number checked with the identity provider, the business "
                + "licence code, and the one-time code proving the mobile number.",
            retention: .untilAccountDeleted, legalBasis: Basis.realName,
            [
                Column("account_id", .personal, .general, form: .identifier, "The account being verified."),
                Column("subject_kind", .operational, .general, "`consumer` or `merchant`."),
                Column("status", .accountSecurity, .important, "unverified, pending, review, verified or rejected."),
                Column("reason", .operational, .general, "Why it was rejected or sent to manual review."),
                Column(
                    "name_cipher", .personal, .important, encrypted: true,
                    "The real name (for merchants, the legal representative's)."),
                Column(
                    "id_number_cipher", .sensitivePersonal, .core, encrypted: true,
                    "The resident ID number checked with the identity provider (sensitive: separate consent)."),
                Column(
                    "id_index", .sensitivePersonal, .important, form: .blindIndex,
                    "Blind index of the resident ID number: one verified consumer account per person."),
                Column(
                    "licence_cipher", .personal, .important, encrypted: true,
                    "The merchant's unified social credit code (a sole trader's identifies a person)."),
                Column(
                    "code_mac", .accountSecurity, .important, form: .hash,
                    "HMAC of the one-time code sent to the mobile number, under the holder's data key."),
                Column("code_expires_at", .accountSecurity, .general, "When the one-time code expires."),
                Column("code_attempts", .accountSecurity, .general, "Wrong codes entered (five end the attempt)."),
                Column("submitted_at", .operational, .general, "When verification was requested."),
                Column("decided_at", .operational, .general, "When it was decided."),
                Column(
                    "decided_by", .personal, .general, form: .identifier,
                    "Who decided: `provider`, or the staff account that reviewed it."),
            ]),
        Table(
            "listings",
            summary:
                "Merchants' listings (clause 2.4.1): what is offered, at what price, screened for prohibited goods, "
                + "false claims, contact details and card numbers before it is published.",
            retention: .years(3, after: "the listing is withdrawn"), legalBasis: Basis.listings,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the listing."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant that offers it."),
                Column("title", .transaction, .general, "The title shown to buyers (screened; no contact details)."),
                Column("description", .transaction, .general, "The description shown to buyers (screened)."),
                Column("image_refs", .transaction, .general, "References to the listing's images (JSON array)."),
                Column("price_fen", .transaction, .general, "The price in fen; checkout takes it from here only."),
                Column("stock", .transaction, .general, "Units available, reserved atomically at checkout."),
                Column("category", .transaction, .general, "The category it is listed under."),
                Column("status", .transaction, .general, "published, review, rejected or withdrawn."),
                Column("screening_reasons", .operational, .general, "Why screening or a reviewer held or refused it."),
                Column("created_at", .operational, .general, "When it was created."),
                Column("updated_at", .operational, .general, "When it last changed."),
                Column(
                    "reviewed_by", .personal, .general, form: .identifier, "The staff account that reviewed it, if any."
                ),
            ]),
        Table(
            "cart_items",
            summary: "What a consumer has put in their cart; prices are never stored here (checkout reads them).",
            retention: .untilAccountDeleted, legalBasis: Basis.contract,
            [
                Column("account_id", .personal, .general, form: .identifier, "The consumer."),
                Column("listing_id", .transaction, .general, form: .identifier, "The listing."),
                Column("quantity", .transaction, .general, "How many units."),
                Column("added_at", .transaction, .general, "When it was added."),
            ]),
        Table(
            "checkouts",
            summary: "One checkout of a cart: the orders it created (one per merchant) share its id (clause 1.1.2).",
            retention: .years(3, after: "the checkout"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the checkout."),
                Column("buyer_id", .personal, .general, form: .identifier, "The consumer who checked out."),
                Column("total_fen", .transaction, .general, "The total of its orders, in fen."),
                Column("created_at", .transaction, .general, "When it was made."),
            ]),
        Table(
            "orders",
            summary: "Orders (clause 1.1.2: transaction information), one per merchant, in the guaranteed-trade "
                + "states; kept 3 years after they end (E-commerce Law Art. 31).",
            retention: .years(3, after: "the order ends"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the order."),
                Column("checkout_id", .operational, .general, form: .identifier, "The checkout that created it."),
                Column("buyer_id", .personal, .general, form: .identifier, "The consumer who bought."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant who sells."),
                Column("status", .transaction, .important, "Where it stands in the guaranteed-trade states."),
                Column("total_fen", .transaction, .important, "What it costs, in fen, from the server's prices."),
                Column("pay_by", .transaction, .general, "When it is cancelled if still unpaid (15 minutes)."),
                Column("created_at", .transaction, .general, "When it was placed."),
                Column("updated_at", .transaction, .general, "When its state last changed."),
                Column(
                    "recipient_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "Recipient name, mobile number and address, under the buyer's key; merchants see them masked "
                        + "except through a waybill that stops working 15 days after completion (clause 2.3.2)."),
                Column("carrier", .transaction, .general, "The carrier the merchant shipped with."),
                Column("tracking_number", .transaction, .general, "The carrier's tracking number."),
                Column("shipped_at", .transaction, .general, "When the merchant shipped it."),
                Column("delivered_at", .transaction, .general, "When delivery was recorded."),
                Column(
                    "receipt_due_at", .transaction, .general,
                    "When receipt is confirmed for the buyer (10 days after delivery, or shipment until then)."),
                Column("receipt_extended_at", .transaction, .general, "When the buyer used their one extension."),
                Column(
                    "ship_due_at", .transaction, .general,
                    "When a paid order is to be shipped by (48 hours after payment by default; held by force majeure)."),
                Column("shipping_late_at", .transaction, .general, "When it was found not shipped by then."),
                Column("completed_at", .transaction, .general, "When it completed and its escrow was released."),
                Column(
                    "delivery_province", .personal, .general, form: .generalised,
                    "The province it ships to (no city, district or street): force-majeure periods cover regions."),
                Column(
                    "logistics_provider_id", .operational, .general, form: .identifier,
                    "The logistics provider the shipment was handed to: only its credential reads the waybill."),
            ]),
        Table(
            "payments",
            summary: "One payment per checkout through the licensed payment institution (clause 2.4.2): the "
                + "platform keeps the provider's references, a keyed pseudonym of the card token, the brand and the "
                + "last four digits; never a card number, expiry or security code.",
            retention: .years(3, after: "the orders end"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the payment."),
                Column("checkout_id", .operational, .general, form: .identifier, "The checkout it pays for."),
                Column("provider", .transaction, .general, "Which payment institution handled it."),
                Column("intent_id", .transaction, .general, form: .identifier, "The provider's payment intent."),
                Column("amount_fen", .transaction, .important, "The amount asked for, in fen."),
                Column("currency", .transaction, .general, "The currency (CNY)."),
                Column("status", .transaction, .important, "pending, succeeded or mismatch."),
                Column("pay_url", .transaction, .general, "The provider's hosted payment page."),
                Column(
                    "token_index", .transaction, .important, form: .blindIndex,
                    "Keyed pseudonym of the provider's card token (fake-review signals compare it; it cannot pay)."),
                Column("card_brand", .transaction, .general, "The card's brand, as the provider reported it."),
                Column("card_last4", .transaction, .general, "The card's last four digits, as the provider reported."),
                Column(
                    "payer_address_index", .accountSecurity, .general, form: .blindIndex,
                    "Keyed pseudonym of the network address the payment was started from: failed payments are "
                        + "counted per address to stop card testing (clause 2.2)."),
                Column("created_at", .operational, .general, "When the payment was opened."),
                Column("updated_at", .operational, .general, "When its state last changed."),
            ]),
        Table(
            "payment_events",
            summary: "Ids of the payment provider's callbacks already applied, so a duplicate delivery changes "
                + "nothing; callbacks older than 300 seconds are refused, so a day's ids suffice.",
            retention: .days(2), legalBasis: Basis.notPersonal,
            [
                Column("event_id", .operational, .general, form: .identifier, "The provider's event id."),
                Column("type", .operational, .general, "The kind of event."),
                Column("received_at", .operational, .general, "When it was first applied."),
            ]),
        Table(
            "ledger_entries",
            summary: "The double-entry ledger's entries (capture, release, refund, payout): accounting records, "
                + "kept permanently so every balance stays provable.",
            retention: .permanent, legalBasis: Basis.accounting,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the entry."),
                Column(
                    "kind", .transaction, .important,
                    "What happened: capture, mismatch, release, refund, payout (and their settlement)."),
                Column("order_id", .transaction, .general, form: .identifier, "The order it concerns, if one."),
                Column("reference", .operational, .general, "What makes it happen once (e.g. release:<order>)."),
                Column("created_at", .transaction, .general, "When it was posted."),
            ]),
        Table(
            "ledger_postings",
            summary: "The postings of each ledger entry: an account and a signed amount; each entry sums to zero.",
            retention: .permanent, legalBasis: Basis.accounting,
            [
                Column("entry_id", .operational, .general, form: .identifier, "The entry."),
                Column(
                    "account", .transaction, .important,
                    "clearing, fees, refunds, payouts, escrow:<order>, merchant:<merchant>, suspense:<checkout>."),
                Column("amount_fen", .transaction, .important, "Fen; debit positive, credit negative."),
            ]),
        Table(
            "refunds",
            summary: "Refunds paid back through the payment institution: pending until it confirms.",
            retention: .years(3, after: "the order ends"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id; the provider's reference."),
                Column("order_id", .operational, .general, form: .identifier, "The order refunded."),
                Column("payment_id", .operational, .general, form: .identifier, "The payment it goes back to."),
                Column("provider_refund_id", .transaction, .general, form: .identifier, "The provider's refund."),
                Column("amount_fen", .transaction, .important, "How much, in fen."),
                Column("status", .transaction, .general, "pending or succeeded."),
                Column("created_at", .transaction, .general, "When it was opened."),
            ]),
        Table(
            "payouts",
            summary: "Merchants' payouts through the payment institution (only for real-name verified merchants).",
            retention: .years(3, after: "the payout"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id; the provider's reference."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant paid."),
                Column("requested_by", .personal, .general, form: .identifier, "The owner who asked for it."),
                Column("amount_fen", .transaction, .important, "How much, in fen."),
                Column("status", .transaction, .general, "pending or paid."),
                Column("provider_payout_id", .transaction, .general, form: .identifier, "The provider's payout."),
                Column("created_at", .transaction, .general, "When it was asked for."),
                Column("updated_at", .transaction, .general, "When its state last changed."),
            ]),
        Table(
            "reviews",
            summary: "Buyers' reviews of completed order lines (screened like listings) and merchants' replies; "
                + "an erased buyer's review text is removed.",
            retention: .years(3, after: "the review"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the review."),
                Column("order_id", .operational, .general, form: .identifier, "The completed order."),
                Column("listing_id", .transaction, .general, form: .identifier, "The listing reviewed."),
                Column("buyer_id", .personal, .general, form: .identifier, "Who wrote it."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant reviewed."),
                Column("rating", .transaction, .general, "1 to 5 stars."),
                Column(
                    "body", .transaction, .general, retention: .untilAccountDeleted,
                    "What the buyer wrote and chose to publish (screened; emptied when their account is erased)."),
                Column("reply", .transaction, .general, "The merchant's reply (cannot delete the review)."),
                Column("created_at", .transaction, .general, "When it was written."),
                Column("replied_at", .transaction, .general, "When the merchant replied."),
            ]),
        Table(
            "review_signals",
            summary: "Signs that a review may be fake (shared devices or payment tokens with the merchant, bursts), "
                + "recorded for the risk engine.",
            retention: .years(1, after: "the signal"), legalBasis: Basis.risk,
            [
                Column("review_id", .operational, .general, form: .identifier, "The review."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant it favours."),
                Column("kind", .operational, .general, "shared_device, shared_payment_token or burst."),
                Column("detail", .operational, .general, "What was seen (counts; no personal data)."),
                Column("created_at", .operational, .general, "When it was recorded."),
            ]),
        Table(
            "waybill_grants",
            summary: "Each time merchant staff opened an order's waybill (the full address, for shipping), and when "
                + "it stops working (clause 2.3.3: every access accountable).",
            retention: .months(6, after: "the grant"), legalBasis: Basis.orders,
            [
                Column("order_id", .operational, .general, form: .identifier, "The order."),
                Column("staff_id", .personal, .general, form: .identifier, "Who opened it."),
                Column("granted_at", .operational, .general, "When."),
                Column(
                    "expires_at", .operational, .general,
                    "When the waybill stops working (15 days after completion); 0 while the order is open."),
            ]),
        Table(
            "order_lines",
            summary: "What each order bought: a copy of title and price at checkout, so later edits change nothing.",
            retention: .years(3, after: "the order ends"), legalBasis: Basis.orders,
            [
                Column("order_id", .operational, .general, form: .identifier, "The order."),
                Column("listing_id", .transaction, .general, form: .identifier, "The listing bought."),
                Column("title", .transaction, .general, "Its title at checkout."),
                Column("price_fen", .transaction, .important, "Its unit price at checkout, in fen."),
                Column("quantity", .transaction, .general, "How many units."),
            ]),
        Table(
            "idempotency_keys",
            summary: "The first response to each request that creates orders or moves money, by the client's "
                + "Idempotency-Key, so a retried request has one effect.",
            retention: .days(2), legalBasis: Basis.orders,
            [
                Column("account_id", .personal, .general, form: .identifier, "Who sent the request."),
                Column("idempotency_key", .operational, .general, "The client's key for the request."),
                Column("fingerprint", .operational, .general, form: .hash, "SHA-256 of method, path and body."),
                Column("status_code", .operational, .general, "The stored response's status; empty while in flight."),
                Column(
                    "response_body", .transaction, .general,
                    "The stored response (order ids, totals, states; no personal fields)."),
                Column(
                    "created_at", .operational, .general, "When the request first arrived (or a retry took it over)."),
                Column(
                    "resource", .operational, .general, form: .identifier,
                    "What the request created (checkout:ID, payout:ID), so a retry after a crash resumes it."),
            ]),
        Table(
            "risk_decisions",
            summary: "Every risk decision (clause 2.4.3): the event, the outcome, the score, the reasons with their "
                + "contributions, the features it saw and the rule-set and model versions.",
            retention: .years(3, after: "the decision"), legalBasis: Basis.risk,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the decision."),
                Column("event", .operational, .general, "What was scored: checkout, login, payment, payout and so on."),
                Column("account_id", .personal, .general, form: .identifier, "Whose action was scored."),
                Column("object", .operational, .general, "What was scored."),
                Column("outcome", .transaction, .important, "allow, review, challenge or block."),
                Column("score", .transaction, .general, "The total score."),
                Column("reasons", .operational, .general, "Reason codes with their contributions (JSON)."),
                Column(
                    "features", .transaction, .general,
                    "The features the decision saw: counts, amounts, ages (JSON; no personal data)."),
                Column("rule_set_version", .operational, .general, "The rules that decided."),
                Column("model_version", .operational, .general, "The model that scored, if any."),
                Column("shadow_outcome", .operational, .general, "What a shadow rule set would have decided."),
                Column("created_at", .operational, .general, "When."),
            ]),
        Table(
            "risk_cases",
            summary: "Decisions of `review` waiting for a risk analyst, their claim and their label.",
            retention: .years(3, after: "the case"), legalBasis: Basis.risk,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the case."),
                Column("decision_id", .operational, .general, form: .identifier, "The decision reviewed."),
                Column("account_id", .personal, .general, form: .identifier, "Whose action it was."),
                Column("status", .operational, .general, "open, claimed or decided."),
                Column("claimed_by", .personal, .general, form: .identifier, "The analyst holding it."),
                Column("label", .transaction, .important, "fraud or legitimate (feeds model training)."),
                Column(
                    "note", .personal, .important, encrypted: true,
                    "The analyst's note, sealed under the account's key (no identifiers allowed in it)."),
                Column("created_at", .operational, .general, "When it was opened."),
                Column("decided_at", .operational, .general, "When it was decided."),
            ]),
        Table(
            "risk_lists",
            summary: "Allow and deny lists of the risk engine: accounts, devices, payment tokens or hashed phones.",
            retention: .years(3, after: "the entry is added"), legalBasis: Basis.risk,
            [
                Column("list", .operational, .general, "allow or deny."),
                Column("kind", .operational, .general, "account, device, token or phone."),
                Column(
                    "value_index", .personal, .general, form: .identifier,
                    "The account id, or a keyed pseudonym of the device, token or phone."),
                Column("added_by", .personal, .general, form: .identifier, "Who added it."),
                Column("added_at", .operational, .general, "When."),
            ]),
        Table(
            "disputes",
            summary: "Complaint and dispute cases (clause 2.4.4): what the consumer asks, offers, the outcome with "
                + "the rule applied, and the deadline of the party that must act.",
            retention: .years(3, after: "the case"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the case."),
                Column("order_id", .operational, .general, form: .identifier, "The order in dispute."),
                Column("consumer_id", .personal, .general, form: .identifier, "The consumer."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant."),
                Column("reason", .transaction, .general, "not_received, not_as_described, damaged, and so on."),
                Column("remedy", .transaction, .general, "What the consumer asks for."),
                Column("amount_fen", .transaction, .important, "The refund asked for, in fen."),
                Column("status", .transaction, .important, "Where the case stands."),
                Column("offer_remedy", .transaction, .general, "The merchant's offer."),
                Column("offer_amount_fen", .transaction, .general, "The refund the merchant offers."),
                Column("outcome_remedy", .transaction, .important, "How the case ends."),
                Column("outcome_amount_fen", .transaction, .important, "The refund it ends with."),
                Column("rule_applied", .transaction, .general, "Why: the rule or agreement that decided."),
                Column("decided_by", .personal, .general, form: .identifier, "The arbitrator who decided."),
                Column("appealed", .transaction, .general, "Whether the decision was appealed (once at most)."),
                Column("due_at", .transaction, .general, "When the party that must act runs out of time."),
                Column("created_at", .operational, .general, "When it was opened."),
                Column("updated_at", .operational, .general, "When it last changed."),
            ]),
        Table(
            "dispute_events",
            summary: "Each case's timeline: transitions and the parties' messages, each under its author's key.",
            retention: .years(3, after: "the case"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("dispute_id", .operational, .general, form: .identifier, "The case."),
                Column("author_id", .personal, .general, form: .identifier, "Who wrote or acted."),
                Column("party", .operational, .general, "consumer, merchant, arbitrator or system."),
                Column(
                    "kind", .operational, .general,
                    "What happened: opened, countered, message, escalated, decided and so on."),
                Column(
                    "text_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The message (screened: no card numbers or contact details), under its author's key."),
                Column("created_at", .operational, .general, "When."),
            ]),
        Table(
            "dispute_evidence",
            summary: "Evidence images (PNG or JPEG by content, no EXIF), encrypted under their author's key; seen "
                + "only by the parties and arbitrators.",
            retention: .years(3, after: "the case"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("dispute_id", .operational, .general, form: .identifier, "The case."),
                Column("author_id", .personal, .general, form: .identifier, "Who sent it."),
                Column("content_type", .operational, .general, "image/png or image/jpeg, from the content."),
                Column("size_bytes", .operational, .general, "Its size."),
                Column(
                    "image_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The image, AES-256-GCM under its author's key."),
                Column("created_at", .operational, .general, "When."),
            ]),
        Table(
            "force_majeure",
            summary: "Force-majeure periods (clause 1.1.4): cause, scope and time; deadlines in scope pause.",
            retention: .years(3, after: "the period"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the period."),
                Column("cause", .operational, .general, "natural_disaster, war, government_action or change_in_law."),
                Column("scope", .operational, .general, "platform, category or merchant."),
                Column("scope_values", .operational, .general, "The categories or merchant ids in scope (JSON)."),
                Column("starts_at", .operational, .general, "When it starts."),
                Column("ends_at", .operational, .general, "When it ends."),
                Column("declared_by", .personal, .general, form: .identifier, "The staff member who declared it."),
                Column("settled_at", .operational, .general, "When the deadlines it paused were moved on."),
                Column("created_at", .operational, .general, "When it was declared."),
                Column("updated_at", .operational, .general, "When it last changed."),
            ]),
        Table(
            "complaints",
            summary:
                "Merchants' complaints about consumers (abusive behaviour, fraudulent claims) and staff decisions.",
            retention: .years(3, after: "the complaint"), legalBasis: Basis.orders,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("merchant_id", .operational, .general, form: .identifier, "The merchant complaining."),
                Column("author_id", .personal, .general, form: .identifier, "The merchant account that wrote it."),
                Column("consumer_id", .personal, .general, form: .identifier, "The consumer complained about."),
                Column("order_id", .operational, .general, form: .identifier, "The order it concerns."),
                Column("reason", .transaction, .general, "abusive_behaviour or fraudulent_claim."),
                Column(
                    "text_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The merchant's account of it, under the author's key."),
                Column("status", .transaction, .general, "open, upheld or dismissed."),
                Column("handled_by", .personal, .general, form: .identifier, "The arbitrator who decided."),
                Column(
                    "note", .personal, .important, encrypted: true,
                    "The decision's note, sealed under the consumer's key (no identifiers allowed in it)."),
                Column("created_at", .operational, .general, "When it was filed."),
                Column("decided_at", .operational, .general, "When it was decided."),
            ]),
        Table(
            "rulebook_versions",
            summary: "The user agreement, platform rules and security policy, every version with its effective date "
                + "(clause 2.5).",
            retention: .permanent, legalBasis: Basis.notPersonal,
            [
                Column("id", .operational, .general, form: .identifier, "document@version."),
                Column("document", .operational, .general, "user_agreement, platform_rules or security_policy."),
                Column("version", .operational, .general, "The version's name."),
                Column("effective_at", .operational, .general, "When it takes effect."),
                Column("text", .operational, .general, "The text as published."),
                Column("text_hash", .operational, .general, form: .hash, "SHA-256 of the text."),
                Column("published_by", .operational, .general, form: .identifier, "platform, or the staff account."),
                Column("created_at", .operational, .general, "When it was published."),
            ]),
        Table(
            "rule_acceptances",
            summary: "Who accepted which version of the rulebook and when (clause 2.5), as proof of agreement.",
            retention: .years(3, after: "a newer acceptance"), legalBasis: Basis.contract,
            [
                Column("id", .operational, .general, form: .identifier, "party|document@version."),
                Column("party_id", .personal, .general, form: .identifier, "The consumer or merchant bound."),
                Column("account_id", .personal, .general, form: .identifier, "The account that accepted."),
                Column("document", .operational, .general, "Which document."),
                Column("version", .operational, .general, "Which version."),
                Column("accepted_at", .operational, .general, "When it was accepted."),
            ]),
        Table(
            "violations",
            summary: "Violations of the platform rules from screening, the risk engine, lost disputes, reports by "
                + "users and staff findings (clause 2.5).",
            retention: .years(3, after: "recording"), legalBasis: Basis.governance,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("party_id", .personal, .general, form: .identifier, "The consumer or merchant concerned."),
                Column("party_kind", .operational, .general, "consumer or merchant."),
                Column("rule_ref", .operational, .general, "The rule broken, e.g. platform-rules/listings.misleading."),
                Column("source", .operational, .general, "screening, risk, dispute, report or staff."),
                Column(
                    "source_ref", .personal, .general, form: .identifier,
                    "What it came from: a listing, risk case, dispute, or the reporting account."),
                Column(
                    "evidence_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The evidence, under the party's key."),
                Column("status", .operational, .general, "reported, confirmed or dismissed."),
                Column("recorded_by", .personal, .general, form: .identifier, "Who recorded it (or platform)."),
                Column("decided_by", .personal, .general, form: .identifier, "Who decided a report."),
                Column("sanction_id", .operational, .general, form: .identifier, "The sanction that answered it."),
                Column("created_at", .operational, .general, "When it was recorded."),
                Column("decided_at", .operational, .general, "When a report was decided."),
            ]),
        Table(
            "sanctions",
            summary: "Sanctions on the ladder warning, restriction, suspension, termination, ban (clause 2.5).",
            retention: .years(3, after: "it is lifted"), legalBasis: Basis.governance,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("party_id", .personal, .general, form: .identifier, "The consumer or merchant sanctioned."),
                Column("party_kind", .operational, .general, "consumer or merchant."),
                Column("level", .operational, .general, "The rung of the ladder."),
                Column("functions", .operational, .general, "Restricted functions (JSON array)."),
                Column("rule_ref", .operational, .general, "The rule it enforces."),
                Column(
                    "reason_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The reason given to the party, under the party's key."),
                Column("starts_at", .operational, .general, "When it starts."),
                Column("ends_at", .operational, .general, "When it ends (none for termination and ban)."),
                Column("imposed_by", .personal, .general, form: .identifier, "The staff member who imposed it."),
                Column("lifted_at", .operational, .general, "When it was lifted (end, appeal or staff)."),
                Column("lift_reason", .operational, .general, "Why it was lifted."),
                Column("created_at", .operational, .general, "When it was recorded."),
            ]),
        Table(
            "sanction_appeals",
            summary: "Appeals against sanctions, one per sanction, decided by a different member of staff (2.5).",
            retention: .years(3, after: "the appeal"), legalBasis: Basis.governance,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("sanction_id", .operational, .general, form: .identifier, "The sanction appealed."),
                Column("appellant_id", .personal, .general, form: .identifier, "The account that appealed."),
                Column(
                    "statement_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "The appellant's statement, under their key."),
                Column("status", .operational, .general, "pending, upheld or rejected."),
                Column("decided_by", .personal, .general, form: .identifier, "Who decided it."),
                Column(
                    "decision_note", .personal, .important, encrypted: true,
                    "The decision's note, sealed under the sanctioned party's key (no identifiers allowed in it)."),
                Column("created_at", .operational, .general, "When it was filed."),
                Column("decided_at", .operational, .general, "When it was decided."),
            ]),
        Table(
            "providers",
            summary: "Third-party payment, logistics, customer-service and identity providers the platform supervises "
                + "(clause 2.6): licences, contract and data-processing agreement.",
            retention: .years(3, after: "the contract ends"), legalBasis: Basis.providers,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("kind", .operational, .general, "payment, logistics, customer_service or identity."),
                Column("legal_name", .operational, .general, "The company's registered name."),
                Column("licence_code", .operational, .general, "Unified social credit code (check digit verified)."),
                Column("qualification", .operational, .general, "The licence its kind requires (number)."),
                Column("contract_ref", .operational, .general, "The service contract's reference."),
                Column("dpa_ref", .operational, .general, "The data-processing agreement's reference."),
                Column(
                    "contacts_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "Contact people (name, mobile, role), under the provider's key."),
                Column("status", .operational, .general, "active, suspended or revoked."),
                Column("created_by", .personal, .general, form: .identifier, "The staff member who registered it."),
                Column("created_at", .operational, .general, "When it was registered."),
                Column("updated_at", .operational, .general, "When it last changed."),
            ]),
        Table(
            "provider_assessments",
            summary: "Security assessments of providers: date, assessor, questionnaire, findings, result, next review.",
            retention: .years(3, after: "the assessment"), legalBasis: Basis.providers,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("provider_id", .operational, .general, form: .identifier, "The provider assessed."),
                Column("assessed_on", .operational, .general, "When it was assessed."),
                Column("assessor", .operational, .general, "The assessing organisation or team."),
                Column("questionnaire", .operational, .general, "Questions and answers (JSON)."),
                Column("findings", .operational, .general, "What the assessment found."),
                Column("result", .operational, .general, "pass, conditional or fail."),
                Column("next_review_at", .operational, .general, "When it must be assessed again."),
                Column("recorded_by", .personal, .general, form: .identifier, "The staff member who recorded it."),
                Column("created_at", .operational, .general, "When it was recorded."),
            ]),
        Table(
            "provider_credentials",
            summary: "Providers' API credentials: only the token's hash, the public key that signs requests, scopes, "
                + "expiry and IP allow-list.",
            retention: .months(6, after: "the credential ends"), legalBasis: Basis.providers,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("provider_id", .operational, .general, form: .identifier, "Whose credential."),
                Column(
                    "secret_hash", .accountSecurity, .important, form: .hash,
                    "SHA-256 of the token, to authenticate; the token is shown once and never stored."),
                Column("public_key", .accountSecurity, .general, "The provider's Ed25519 key that signs requests."),
                Column("scopes", .accountSecurity, .general, "What the credential may do (JSON array)."),
                Column("ip_allow", .accountSecurity, .general, "Addresses it may be used from (JSON array)."),
                Column("expires_at", .accountSecurity, .general, "When it stops working."),
                Column("created_by", .personal, .general, form: .identifier, "The staff member who issued it."),
                Column("created_at", .operational, .general, "When it was issued."),
                Column("revoked_at", .accountSecurity, .general, "When it was revoked."),
                Column("last_used_at", .accountSecurity, .general, "When it was last used (to the minute)."),
            ]),
        Table(
            "disclosures",
            summary: "Every disclosure of a person's data to a provider (PIPL Art. 23; clause 2.6): who, whose, which "
                + "fields, why, on what basis. The person sees their own.",
            retention: .years(3, after: "the disclosure"), legalBasis: Basis.providers,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("provider_id", .operational, .general, form: .identifier, "The provider that received it."),
                Column("subject_id", .personal, .general, form: .identifier, "Whose data was disclosed."),
                Column("fields", .operational, .general, "Which fields (JSON array of names, not values)."),
                Column("purpose", .operational, .general, "Why: delivery, or the customer-service purpose."),
                Column("legal_basis", .operational, .general, "The legal basis."),
                Column("reference", .operational, .general, form: .identifier, "The order it concerned."),
                Column("actor", .operational, .general, "carrier, or the customer-service agent's id at the provider."),
                Column("disclosed_at", .operational, .general, "When."),
            ]),
        Table(
            "incidents",
            summary: "Network security incidents (clause 1.1.3): type, discovery, grade, people affected, clocks for "
                + "the regulator and for notifying people (clause 2.3.6).",
            retention: .years(3, after: "the incident is closed"), legalBasis: Basis.incidents,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("type", .operational, .general, "The kind of incident (clause 1.1.3)."),
                Column("title", .operational, .general, "A short title, used as the cause in notices."),
                Column(
                    "description_cipher", .operational, .important, encrypted: true,
                    "What happened, under the platform's key (it may describe systems and weaknesses)."),
                Column("discovered_at", .operational, .general, "When it was discovered: the clocks start here."),
                Column("owner_id", .personal, .general, form: .identifier, "The staff member who owns it."),
                Column("status", .operational, .general, "open, contained, resolved or closed."),
                Column("grade", .operational, .general, "The national grade, computed and never below the floor."),
                Column("grade_floor", .operational, .general, "The grade staff set by hand."),
                Column("people", .operational, .general, "How many people were affected."),
                Column("sensitive_records", .operational, .general, "How many of them had sensitive data exposed."),
                Column("categories", .operational, .general, "The categories of data concerned (JSON array)."),
                Column("measures", .operational, .general, "What the platform did, as told to people."),
                Column("regulator_due_at", .operational, .general, "When the regulator's report is due."),
                Column("regulator_reported_at", .operational, .general, "When it was produced."),
                Column("notify_due_at", .operational, .general, "When people must have been told."),
                Column("notices_sent_at", .operational, .general, "When the notices were queued."),
                Column("created_at", .operational, .general, "When it was registered."),
                Column("updated_at", .operational, .general, "When it last changed."),
            ]),
        Table(
            "incident_events",
            summary: "Each incident's timeline of actions.",
            retention: .years(3, after: "the incident is closed"), legalBasis: Basis.incidents,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("incident_id", .operational, .general, form: .identifier, "The incident."),
                Column("kind", .operational, .general, "What kind of step."),
                Column("note", .operational, .general, "What was done (no personal data)."),
                Column("actor", .personal, .general, form: .identifier, "The staff member."),
                Column("at", .operational, .general, "When."),
            ]),
        Table(
            "incident_subjects",
            summary: "The people an incident affected and which categories of their data, from the impact analysis.",
            retention: .years(3, after: "the incident is closed"), legalBasis: Basis.incidents,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("incident_id", .operational, .general, form: .identifier, "The incident."),
                Column("subject_id", .personal, .general, form: .identifier, "The person affected."),
                Column("subject_kind", .operational, .general, "consumer or merchant."),
                Column("categories", .operational, .general, "Categories of their data concerned (JSON array)."),
                Column("notification_id", .operational, .general, form: .identifier, "Their notice."),
            ]),
        Table(
            "incident_tasks",
            summary: "Remediation tasks of incidents, with due dates.",
            retention: .years(3, after: "the incident is closed"), legalBasis: Basis.incidents,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("incident_id", .operational, .general, form: .identifier, "The incident."),
                Column("title", .operational, .general, "What must be done."),
                Column("due_at", .operational, .general, "By when."),
                Column("done_at", .operational, .general, "When it was done."),
                Column("done_by", .personal, .general, form: .identifier, "Who did it."),
                Column("created_at", .operational, .general, "When it was added."),
            ]),
        Table(
            "notifications",
            summary: "The notification outbox: notices to people by channel, with attempts and delivery records.",
            retention: .years(3, after: "creation"), legalBasis: Basis.incidents,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("recipient_id", .personal, .general, form: .identifier, "Who it is for."),
                Column("channel", .operational, .general, "inbox, sms or email."),
                Column("subject", .operational, .general, "Its subject line (no personal data)."),
                Column(
                    "body_cipher", .personal, .important, encrypted: true, retention: .untilAccountDeleted,
                    "Its text, under the recipient's key."),
                Column("reference", .operational, .general, form: .identifier, "What it is about (incident:id)."),
                Column("status", .operational, .general, "pending, delivered or failed."),
                Column("attempts", .operational, .general, "How many attempts were made."),
                Column("next_attempt_at", .operational, .general, "When it is tried next."),
                Column("delivered_at", .operational, .general, "When it was delivered."),
                Column("last_error", .operational, .general, "The last failure's kind (no personal data)."),
                Column("created_at", .operational, .general, "When it was queued."),
            ]),
        Table(
            "vulnerabilities",
            summary: "The vulnerability register: findings, severity, fix-by date, status (clause 2.2).",
            retention: .years(3, after: "it is closed"), legalBasis: Basis.notPersonal,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("title", .operational, .general, "What was found."),
                Column("component", .operational, .general, "Where."),
                Column("reference", .operational, .general, "CVE or report reference."),
                Column("severity", .operational, .general, "critical, high, medium or low."),
                Column("found_at", .operational, .general, "When it was found."),
                Column("fix_by", .operational, .general, "When it must be fixed, by severity."),
                Column("status", .operational, .general, "open, fixed or accepted."),
                Column("note", .operational, .general, "How it was fixed, or why the risk was accepted."),
                Column("recorded_by", .personal, .general, form: .identifier, "The staff member who recorded it."),
                Column("closed_at", .operational, .general, "When it was closed."),
                Column("updated_at", .operational, .general, "When it last changed."),
            ]),
        Table(
            "risk_signals",
            summary: "The risk engine's observations, published by each instance for the others, so that the "
                + "sliding-window counters of every instance count all the traffic (clause 2.4.3). Entities are "
                + "numbers drawn from keyed pseudonyms; kept one day, the longest window.",
            retention: .days(1, after: "the observation"), legalBasis: Basis.risk,
            [
                Column("seq", .operational, .general, form: .identifier, "Number given by the database."),
                Column("instance", .operational, .general, "Which server instance observed it (a random id)."),
                Column("at", .operational, .general, "When it was observed."),
                Column("kind", .operational, .general, "The event kind, or payment_failed for a decline."),
                Column(
                    "account", .personal, .general, form: .hash,
                    "The account, as a number drawn from its id (SHA-256, truncated)."),
                Column("account_created_at", .operational, .general, "When the account was created."),
                Column(
                    "device", .personal, .general, form: .hash,
                    "The device, as a number drawn from its keyed blind index."),
                Column(
                    "ip", .personal, .general, form: .hash,
                    "The network address, as a number drawn from its keyed blind index."),
                Column(
                    "token", .personal, .general, form: .hash,
                    "The payment card, as a number drawn from a keyed index of its brand and last four digits."),
                Column("address", .personal, .general, form: .hash, "The shipping address, as a keyed number."),
                Column("merchant", .operational, .general, form: .hash, "The merchant, as a number drawn from its id."),
                Column("amount_fen", .transaction, .general, "The amount of the event, in fen."),
            ]),
        Table(
            "maintenance_jobs",
            summary: "Long operations started from the operations console (data-key re-wrap, login re-index, risk "
                + "backtests) and their progress; the audit log keeps who started each one for good.",
            retention: .months(12, after: "the job finishes"), legalBasis: Basis.keys,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("kind", .operational, .general, "keys.rewrap, keys.reindex or risk.backtest."),
                Column(
                    "requested_by", .personal, .general, form: .identifier,
                    "The staff account that started the job (an account id)."),
                Column("status", .operational, .general, "queued, running, done or failed."),
                Column("done", .operational, .general, "How many items were processed so far."),
                Column("total", .operational, .general, "How many items there were to process."),
                Column("error", .operational, .general, "The error's type when the job failed (never its text)."),
                Column("created_at", .operational, .general, "When the job was started."),
                Column("updated_at", .operational, .general, "When its progress last changed."),
                Column("finished_at", .operational, .general, "When it finished."),
                Column(
                    "parameters", .operational, .general,
                    "What the job was asked to do (a backtest's traffic: seed and sizes), JSON."),
                Column(
                    "result", .operational, .general,
                    "What it found (a backtest's report: counts per outcome and campaign, reason codes), JSON."),
            ]),
        Table(
            "service_leases",
            summary: "Which server instance runs each background service (audit integration, timers, retention, "
                + "jobs, backups), so that several instances run each exactly once at a time.",
            retention: .permanent, legalBasis: Basis.operations,
            [
                Column("name", .operational, .general, form: .identifier, "The background service."),
                Column("holder", .operational, .general, "The instance holding it (host name, process id, random id)."),
                Column("expires_at", .operational, .general, "When the lease lapses unless the holder renews it."),
                Column("acquired_at", .operational, .general, "When the holder took it."),
            ]),
        Table(
            "shield_usage",
            summary: "Rate-limit tokens each server instance took, by bucket, read by the other instances so that "
                + "the limits hold across them (clause 2.2); kept one day (a bucket refills within minutes).",
            retention: .days(1, after: "the round"), legalBasis: Basis.networkLog,
            [
                Column("seq", .operational, .general, form: .identifier, "Number given by the database."),
                Column("instance", .operational, .general, "Which server instance took them (a random id)."),
                Column("at", .operational, .general, "When."),
                Column(
                    "bucket", .personal, .general, form: .hash,
                    "Route class and the keyed blind index of the address (or the account id): no address in clear."),
                Column("tokens", .operational, .general, "How many requests the bucket paid for."),
            ]),
        Table(
            "shield_bans",
            summary: "Addresses the intrusion shield banned, until when and why (clause 2.2); shared by all instances.",
            retention: .months(6, after: "the ban ends"), legalBasis: Basis.networkLog,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column(
                    "ip_index", .personal, .general, form: .hash,
                    "Keyed blind index of the address (the address itself is not stored here)."),
                Column("reason", .operational, .general, "attack signatures, probing or credential_stuffing."),
                Column("until", .operational, .general, "When the ban ends."),
                Column("created_at", .operational, .general, "When it began."),
            ]),
        Table(
            "shield_events",
            summary: "The shield's detections, counted towards bans (the audit log has each detection in full).",
            retention: .months(6), legalBasis: Basis.networkLog,
            [
                Column("id", .operational, .general, form: .identifier, "Random id."),
                Column("ip_index", .personal, .general, form: .hash, "Keyed blind index of the address."),
                Column("kind", .operational, .general, "The attack class detected."),
                Column("at", .operational, .general, "When."),
            ]),
        Table(
            "platform_configuration",
            summary: "The security settings in force (lockout, sessions, password hashing), kept so that a change "
                + "between starts is recorded in the audit log (clause 2.2).",
            retention: .permanent, legalBasis: Basis.notPersonal,
            [
                Column("name", .operational, .general, "Name of the setting."),
                Column("value", .operational, .general, "Its value when last in force."),
                Column("changed_at", .operational, .general, "When it took this value."),
            ]),
        Table(
            "_fluent_migrations",
            summary: "FluentKit's record of which schema migrations have been applied.",
            retention: .permanent, legalBasis: Basis.notPersonal,
            [
                Column("id", .operational, .general, form: .identifier, "Random id of the record."),
                Column("name", .operational, .general, "Name of the applied migration."),
                Column("batch", .operational, .general, "Batch in which it was applied."),
                Column("created_at", .operational, .general, "When it was applied."),
                Column("updated_at", .operational, .general, "When the record last changed."),
            ]),
    ]
}
