import Crypto
import Domain
import Foundation
import SQLKit
import Storage

public struct RulebookVersionView: Sendable, Codable, Equatable {
    public let document: String
    public let version: String
    public let effectiveAt: Int64
    public let textSHA256: String
    public let text: String
    /// In force now (the latest effective version of its document).
    public let current: Bool
}

/// The versioned rulebook (clause 2.5): the user agreement, the platform rules and the security policy. Consumers and
/// merchants accept the version in force; a newer one must be accepted at the next sign-in before doing business.
public enum Rulebook {
    public static let documents = ["user_agreement", "platform_rules", "security_policy"]
    static let bundledVersion = "2026-11-01"

    /// Publishes the bundled first versions on a database that has none (at start-up).
    public static func ensureBundled(platform: Platform) async throws {
        let existing = Set(try await RulebookStore.all(on: platform.db.sql).map(\.document))
        for document in documents where !existing.contains(document) {
            guard
                let url = Bundle.module.url(
                    forResource: document, withExtension: "md", subdirectory: "Resources/rulebook"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { throw Problem.internalError }
            // Not an audit event: the bundled text is part of the release, and nobody published it.
            try await RulebookStore.insert(
                RulebookVersionRow(
                    document: document, version: bundledVersion, effective_at: 0, text: text, text_hash: hash(text),
                    published_by: "platform", created_at: platform.now), on: platform.db.sql)
        }
    }

    /// Every version, current and upcoming ones marked (public: anyone may read the rules).
    public static func all(platform: Platform) async throws -> [RulebookVersionView] {
        let db = platform.db.sql
        let current = Set(try await RulebookStore.current(now: platform.now, on: db).map(\.id))
        return try await RulebookStore.all(on: db).map {
            RulebookVersionView(
                document: $0.document, version: $0.version, effectiveAt: $0.effective_at, textSHA256: $0.text_hash,
                text: $0.text, current: current.contains($0.id))
        }
    }

    /// Publishes a new version taking effect at `effectiveAt` (now or later: rules are never back-dated).
    public static func publish(
        document: String, version rawVersion: String, effectiveAt: Int64, text rawText: String, caller: Caller,
        platform: Platform
    ) async throws -> RulebookVersionView {
        try caller.require(.publishRules)
        guard documents.contains(document) else { throw Problem.invalid("document", "One of \(documents).") }
        let version = try TextInput.singleLine(maximumLength: 32).validate(rawVersion, field: "version")
        let text = try TextInput.multiline(maximumLength: 100_000).validate(rawText, field: "text")
        guard effectiveAt >= platform.now - 60_000 else {
            throw Problem.invalid("effectiveAt", "A new version takes effect now or later, never in the past.")
        }
        let row = RulebookVersionRow(
            document: document, version: version, effective_at: max(effectiveAt, platform.now), text: text,
            text_hash: hash(text), published_by: caller.accountId, created_at: platform.now)
        do {
            try await platform.db.transaction { db in
                try await RulebookStore.insert(row, on: db)
                try await AuditTrail.record(
                    AuditEvent(
                        "rulebook.publish", actor: caller.accountId, object: "rulebook:\(row.id)",
                        details: ["sha256": row.text_hash, "effectiveAt": String(row.effective_at)]),
                    platform: platform, on: db)
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem.conflict("Version \(version) of \(document) exists already.")
        }
        return RulebookVersionView(
            document: document, version: version, effectiveAt: row.effective_at, textSHA256: row.text_hash, text: text,
            current: row.effective_at <= platform.now)
    }

    /// The caller accepts every version in force for their party (a consumer, or a merchant by its owner).
    /// Returns the versions accepted now ("document@version").
    public static func accept(caller: Caller, platform: Platform) async throws -> [String] {
        guard caller.role == .consumer || caller.role == .owner else {
            throw Problem.forbidden("The merchant's owner accepts the rules for the merchant.")
        }
        return try await platform.db.transaction { db in
            let accepted = try await acceptCurrent(
                party: caller.party, account: caller.accountId, now: platform.now, on: db)
            try await RulebookStore.clearPending(party: caller.party, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "rulebook.accept", actor: caller.accountId, subject: caller.accountId,
                    object: "party:\(caller.party)",
                    details: ["versions": accepted.joined(separator: ",")]), platform: platform, on: db)
            return accepted
        }
    }

    /// Records acceptance of every version in force inside the caller's transaction (whose audit event names them).
    static func acceptCurrent(party: String, account: String, now: Int64, on db: any SQLDatabase) async throws
        -> [String]
    {
        var accepted: [String] = []
        for version in try await RulebookStore.current(now: now, on: db)
        where try await RulebookStore.accept(
            party: party, account: account, document: version.document, version: version.version, now: now, on: db)
        {
            accepted.append(version.id)
        }
        return accepted
    }

    static func hash(_ text: String) -> String { Hex.encode(SHA256.hash(data: Data(text.utf8))) }
}
