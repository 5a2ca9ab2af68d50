import Crypto
import Domain
import Foundation
import Privacy
public import SQLKit
import Storage

/// A verification as its holder (or a reviewer) sees it: state and reason, never the ID number.
public struct VerificationView: Sendable, Codable, Equatable {
    public let accountId: String
    public let kind: String
    /// unverified, pending (a code was sent), review (a person decides), verified or rejected.
    public let status: String
    public let reason: String?
    public let submittedAt: Int64?
    public let decidedAt: Int64?
}

/// Real-name verification (clause 2.3.4; E-commerce Law Art. 27).
///
/// Consumers: name and resident ID number (check digit, a real past birth date), possession of the mobile
/// number by a one-time code, then the name–ID match asked of the identity provider. Merchants: the business
/// licence code (a failing check digit goes to manual review, not a hard refusal) and the legal
/// representative's name and ID number, matched by the provider. The ID number needs the separate
/// `sensitive_identity` consent.
public enum RealName {
    static let codeLifetimeMillis: Int64 = 5 * 60 * 1000
    static let maximumCodeAttempts: Int64 = 5

    public static func status(caller: Caller, platform: Platform) async throws -> VerificationView {
        let row = try await IdentityVerificationStore.find(accountId: caller.accountId, on: platform.db.sql)
        return view(row, accountId: caller.accountId, kind: caller.kind == .merchant ? "merchant" : "consumer")
    }

    /// Step 1 for consumers: checks the ID number and sends a one-time code to the account's mobile number.
    public static func startConsumer(name rawName: String, residentId rawId: String, caller: Caller, platform: Platform)
        async throws -> VerificationView
    {
        guard caller.kind == .consumer else {
            throw Problem.forbidden("Consumers verify here; merchants verify as merchants.")
        }
        let db = platform.db.sql
        try await Consents.require(.sensitiveIdentity, accountId: caller.accountId, on: db)
        let name = try validName(rawName)
        let residentId = try validResidentId(rawId, platform: platform)
        guard let account = try await AccountStore.find(id: caller.accountId, on: db) else {
            throw Problem.unauthenticated
        }
        let loginText = try await AccountFields.login(of: account, platform: platform, on: db)
        guard case .phone(let phone) = try Login(loginText) else {
            throw Problem.invalid(
                "login", "Real-name verification needs a mobile number as the login: correct it first.")
        }
        // One code a minute at most: the number is not flooded, and codes cannot be farmed.
        if let previous = try await IdentityVerificationStore.find(accountId: account.id, on: db),
            previous.status == "pending", platform.now - previous.submitted_at < 60_000
        {
            throw Problem.throttled(retryAfter: Int((60_000 - (platform.now - previous.submitted_at)) / 1000) + 1)
        }
        let idIndex = try platform.keys.blindIndex(residentId.value, purpose: "identity.resident_id")
        if try await IdentityVerificationStore.verifiedElsewhere(idIndex: idIndex, except: account.id, on: db) {
            throw Problem.conflict("This ID number already verifies another account.")
        }
        let code = OneTimeCodes.make()
        let now = platform.now
        let row = try await platform.db.transaction { db in
            let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
            var row = IdentityVerificationRow(
                account_id: account.id, subject_kind: "consumer", status: "pending", submitted_at: now)
            row.name_cipher = try seal(name, "name_cipher", account.id, key)
            row.id_number_cipher = try seal(residentId.value, "id_number_cipher", account.id, key)
            row.id_index = idIndex
            row.code_mac = OneTimeCodes.mac(code, label: "verification-code", key: key)
            row.code_expires_at = now + codeLifetimeMillis
            try await IdentityVerificationStore.save(row, on: db)
            try await AuditTrail.record(
                AuditEvent("verification.start", actor: account.id, subject: account.id, object: "verification"),
                platform: platform, on: db)
            return row
        }
        try await platform.textMessages.send(
            to: phone.value, text: "【Covenant】Your verification code is \(code). It expires in 5 minutes.")
        return view(row, accountId: account.id, kind: "consumer")
    }

    /// Step 2 for consumers: the code proves the number; then the provider matches name and ID number.
    public static func confirmCode(_ code: String, caller: Caller, platform: Platform) async throws -> VerificationView
    {
        let db = platform.db.sql
        guard var row = try await IdentityVerificationStore.find(accountId: caller.accountId, on: db),
            row.status == "pending", let mac = row.code_mac, let expires = row.code_expires_at
        else { throw Problem.conflict("No verification is waiting for a code: start one first.") }
        let key = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: db)
        let now = platform.now
        let counted = try await IdentityVerificationStore.countCodeAttempt(
            accountId: caller.accountId, limit: maximumCodeAttempts, on: db)
        guard now < expires, counted else {
            row.status = "unverified"
            row.reason = "The code expired or was entered wrongly too often; start again."
            row.code_mac = nil
            try await IdentityVerificationStore.save(row, on: db)
            throw Problem.invalid("code", "The code has expired; start again.")
        }
        guard OneTimeCodes.matches(code, label: "verification-code", mac: mac, key: key) else {
            throw Problem.invalid("code", "The code is not correct.")
        }
        let name = try open(row.name_cipher, "name_cipher", caller.accountId, key)
        let residentId = try open(row.id_number_cipher, "id_number_cipher", caller.accountId, key)
        try await ProviderAccess.recordIdentityCheck(subject: caller.accountId, platform: platform)
        let match = try await platform.identityVerifier.verify(name: name, residentId: residentId)
        row.code_mac = nil
        row.code_expires_at = nil
        return try await decide(&row, match: match, by: "provider", platform: platform)
    }

    /// Merchants (owner): the licence code and the legal representative's identity, matched by the provider.
    public static func startMerchant(
        licenceCode: String, representativeName: String, representativeId: String, caller: Caller,
        platform: Platform
    ) async throws -> VerificationView {
        try caller.require(.verifyMerchant)
        let db = platform.db.sql
        try await Consents.require(.sensitiveIdentity, accountId: caller.accountId, on: db)
        let name = try validName(representativeName)
        let residentId = try validResidentId(representativeId, platform: platform)
        let licence: String
        var review: String?
        switch SocialCreditCode.check(licenceCode) {
        case .valid(let code): licence = code.value
        case .needsManualReview(let normalized, _):
            licence = normalized
            review = "The licence code's check character does not match; a reviewer compares it with the licence."
        case .invalid:
            throw Problem.invalid(
                "licenceCode", "The licence code must be 18 characters of the unified social credit code.")
        }
        let now = platform.now
        var row = IdentityVerificationRow(
            account_id: caller.accountId, subject_kind: "merchant", status: "pending", submitted_at: now)
        let key = try await SubjectKeys.key(subject: caller.accountId, platform: platform, on: db)
        row.name_cipher = try seal(name, "name_cipher", caller.accountId, key)
        row.id_number_cipher = try seal(residentId.value, "id_number_cipher", caller.accountId, key)
        row.id_index = try platform.keys.blindIndex(residentId.value, purpose: "identity.resident_id")
        row.licence_cipher = try seal(licence, "licence_cipher", caller.accountId, key)
        let started = row
        try await platform.db.transaction { db in
            try await IdentityVerificationStore.save(started, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "verification.start", actor: caller.accountId, subject: caller.accountId, object: "verification",
                    details: ["kind": "merchant"]),
                platform: platform, on: db)
        }
        try await ProviderAccess.recordIdentityCheck(subject: caller.accountId, platform: platform)
        let match = try await platform.identityVerifier.verify(name: name, residentId: residentId.value)
        if match == .match, let review {
            row.status = "review"
            row.reason = review
            let queued = row
            try await platform.db.transaction { db in
                try await IdentityVerificationStore.save(queued, on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "verification.review", actor: nil, subject: caller.accountId, object: "verification",
                        details: ["reason": "licence check character"]),
                    platform: platform, on: db)
            }
            return view(row, accountId: caller.accountId, kind: "merchant")
        }
        return try await decide(&row, match: match, by: "provider", platform: platform)
    }

    /// A reviewer's decision on a merchant sent to manual review.
    public static func review(accountId: String, approve: Bool, reason: String, caller: Caller, platform: Platform)
        async throws -> VerificationView
    {
        try caller.require(.reviewVerifications)
        let note = try TextInput.singleLine(maximumLength: 500).validate(reason)
        guard var row = try await IdentityVerificationStore.find(accountId: accountId, on: platform.db.sql),
            row.status == "review"
        else { throw Problem.notFound("A verification awaiting review") }
        row.status = approve ? "verified" : "rejected"
        row.reason = note
        row.decided_at = platform.now
        row.decided_by = caller.accountId
        let decided = row
        try await platform.db.transaction { db in
            try await IdentityVerificationStore.save(decided, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "verification.decide", actor: caller.accountId, subject: accountId, object: "verification",
                    outcome: approve ? .success : .failure, details: ["status": decided.status, "by": "review"]),
                platform: platform, on: db)
        }
        return view(decided, accountId: accountId, kind: decided.subject_kind)
    }

    public static func reviewQueue(caller: Caller, platform: Platform) async throws -> [VerificationView] {
        try caller.require(.reviewVerifications)
        return try await IdentityVerificationStore.awaitingReview(on: platform.db.sql).map {
            view($0, accountId: $0.account_id, kind: $0.subject_kind)
        }
    }

    /// The holder's verification for their data export, decrypted.
    static func export(accountId: String, key: SymmetricKey, platform: Platform) async throws
        -> PersonalDataExport.Verification
    {
        guard let row = try await IdentityVerificationStore.find(accountId: accountId, on: platform.db.sql) else {
            return PersonalDataExport.Verification(
                status: "unverified", reason: nil, name: nil, residentId: nil, submittedAt: nil, decidedAt: nil)
        }
        return PersonalDataExport.Verification(
            status: row.status, reason: row.reason,
            name: try row.name_cipher.map { try open($0, "name_cipher", accountId, key) },
            residentId: try row.id_number_cipher.map { try open($0, "id_number_cipher", accountId, key) },
            submittedAt: row.submitted_at, decidedAt: row.decided_at)
    }

    /// The mobile number proven by code changed: a consumer's verification goes back to unverified.
    static func numberChanged(accountId: String, platform: Platform, on db: any SQLDatabase) async throws {
        guard var row = try await IdentityVerificationStore.find(accountId: accountId, on: db),
            row.subject_kind == "consumer", row.status != "unverified"
        else { return }
        row.status = "unverified"
        row.reason = "The mobile number changed; verify again."
        row.code_mac = nil
        row.code_expires_at = nil
        try await IdentityVerificationStore.save(row, on: db)
    }

    /// Refuses what needs a verified account (selling, withdrawals, large orders).
    public static func requireVerified(accountId: String, on db: any SQLDatabase) async throws {
        guard try await IdentityVerificationStore.find(accountId: accountId, on: db)?.status == "verified" else {
            throw Problem(
                type: "verification-required", status: 403, title: "Real-name verification required",
                detail: "This needs a verified account (GET /api/v1/me/verification).")
        }
    }

    // MARK: - Helpers

    private static func decide(
        _ row: inout IdentityVerificationRow, match: IdentityMatch, by decider: String, platform: Platform
    ) async throws -> VerificationView {
        row.status = match == .match ? "verified" : "rejected"
        row.reason = match == .match ? nil : "The name and the ID number do not match the identity provider's record."
        row.decided_at = platform.now
        row.decided_by = decider
        let decided = row
        try await platform.db.transaction { db in
            try await IdentityVerificationStore.save(decided, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "verification.decide", actor: nil, subject: decided.account_id, object: "verification",
                    outcome: match == .match ? .success : .failure,
                    details: ["status": decided.status, "by": decider]),
                platform: platform, on: db)
        }
        return view(decided, accountId: decided.account_id, kind: decided.subject_kind)
    }

    private static func validName(_ raw: String) throws -> String {
        do {
            return try TextInput.singleLine(maximumLength: 64).validate(raw)
        } catch {
            throw Problem.invalid("name", "The name must be 1 to 64 characters, without control characters.")
        }
    }

    private static func validResidentId(_ raw: String, platform: Platform) throws -> ResidentID {
        let now = Date(timeIntervalSince1970: Double(platform.now) / 1000)
        do {
            return try ResidentID(raw, now: now)
        } catch {
            throw Problem.invalid("residentId", error.message)
        }
    }

    private static func seal(_ value: String, _ column: String, _ accountId: String, _ key: SymmetricKey) throws -> Data
    {
        try FieldCipher.seal(
            value, key: key, context: FieldContext(table: "identity_verifications", column: column, row: accountId))
    }

    private static func open(_ sealed: Data?, _ column: String, _ accountId: String, _ key: SymmetricKey) throws
        -> String
    {
        guard let sealed else { throw Problem.conflict("The verification is incomplete: start again.") }
        return try FieldCipher.open(
            sealed, key: key, context: FieldContext(table: "identity_verifications", column: column, row: accountId))
    }

    private static func view(_ row: IdentityVerificationRow?, accountId: String, kind: String) -> VerificationView {
        VerificationView(
            accountId: accountId, kind: row?.subject_kind ?? kind, status: row?.status ?? "unverified",
            reason: row?.reason, submittedAt: row?.submitted_at, decidedAt: row?.decided_at)
    }
}
