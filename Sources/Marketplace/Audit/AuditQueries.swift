public import AuditLog
import Crypto
import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// An integrated event with its inclusion proof, as served to verifiers.
public struct ProvenEvent: Sendable, Codable {
    public let leaf: AuditLeaf
    public let proof: InclusionProof
}

/// A stored event in search results and receipts; pending events have no leaf index yet.
public struct AuditEventView: Sendable, Codable {
    public let id: Int64
    public let leafIndex: Int64?
    public let eventType: String
    public let actor: String
    public let subject: String
    public let object: String
    public let outcome: String
    public let occurredAt: Int64
    /// The decrypted details; nil once the person's key was destroyed or the details were purged.
    public let details: [String: String]?
    public let proof: InclusionProof?
}

/// Reading the audit log: heads and consistency proofs for anyone (they hold no personal data),
/// inclusion proofs for the people an event concerns and for audit staff, search for audit staff.
public enum AuditQueries {
    public static func latestHead(platform: Platform) async throws -> SignedTreeHead {
        if let head = try await AuditTreeStore.latestHead(on: platform.db.sql) { return head }
        throw Problem.notFound("A signed tree head")
    }

    /// Base64 Ed25519 public key that verifies tree heads.
    public static func publicKey(platform: Platform) -> String {
        platform.keys.auditSigningKey.publicKey.rawRepresentation.base64EncodedString()
    }

    public static func consistency(first: Int64, second: Int64, platform: Platform) async throws -> ConsistencyProof {
        let size = try await latestHead(platform: platform).treeSize
        guard first >= 0, second >= first, UInt64(second) <= size else {
            throw Problem.invalid("second", "Sizes must satisfy 0 ≤ first ≤ second ≤ \(size).")
        }
        return try await SQLMerkleStore(db: platform.db.sql).consistencyProof(
            first: UInt64(first), second: UInt64(second))
    }

    /// The event at `leafIndex` with its proof, for audit staff or the people the event names.
    /// Anyone else gets 404, so the call reveals nothing about other people's events.
    public static func proof(leafIndex: Int64, treeSize: Int64?, caller: Caller, platform: Platform) async throws
        -> ProvenEvent
    {
        let db = platform.db.sql
        let head = try await latestHead(platform: platform)
        let size = treeSize.map(UInt64.init) ?? head.treeSize
        guard leafIndex >= 0, UInt64(leafIndex) < size, size <= head.treeSize,
            let event = try await AuditTreeStore.event(leafIndex: leafIndex, on: db)
        else { throw Problem.notFound("The event") }
        let me = platform.keys.pseudonym(caller.accountId)
        let allowed = caller.role.permissions.contains(.readAudit) || event.subject == me || event.actor == me
        guard allowed else { throw Problem.notFound("The event") }
        let proof = try await SQLMerkleStore(db: db).inclusionProof(leafIndex: UInt64(leafIndex), treeSize: size)
        return ProvenEvent(leaf: try AuditIntegration.leaf(event, index: leafIndex), proof: proof)
    }

    /// Access receipts: events about me taken by someone else, each with its proof once integrated.
    public static func receipts(caller: Caller, platform: Platform) async throws -> [AuditEventView] {
        let db = platform.db.sql
        let events = try await AuditTreeStore.receipts(
            subject: platform.keys.pseudonym(caller.accountId), limit: 200, on: db)
        return try await views(events, platform: platform)
    }

    /// Search for `audit.read` staff by type, actor and subject account ids (pseudonymised here), and time.
    /// The search itself is recorded.
    public static func search(
        type: String?, actorId: String?, subjectId: String?, from: Int64?, to: Int64?, caller: Caller,
        platform: Platform
    ) async throws -> [AuditEventView] {
        try caller.require(.readAudit)
        let db = platform.db.sql
        let events = try await AuditTreeStore.search(
            type: type, actor: actorId.map(platform.keys.pseudonym), subject: subjectId.map(platform.keys.pseudonym),
            from: from, to: to, limit: 200, on: db)
        try await AuditTrail.recordAlone(
            AuditEvent(
                "audit.search", actor: caller.accountId, subject: subjectId,
                details: ["type": type ?? "", "actor": actorId ?? "", "results": String(events.count)]),
            platform: platform)
        return try await views(events, platform: platform)
    }

    private static func views(_ events: [StoredAuditEvent], platform: Platform) async throws -> [AuditEventView] {
        let store = SQLMerkleStore(db: platform.db.sql)
        let size = try await AuditTreeStore.latestHead(on: platform.db.sql)?.treeSize ?? 0
        let details = try await AuditDetails.open(hashes: events.map(\.details_hash), platform: platform)
        var views: [AuditEventView] = []
        for event in events {
            var proof: InclusionProof?
            if let index = event.leaf_index, UInt64(index) < size {
                proof = try await store.inclusionProof(leafIndex: UInt64(index), treeSize: size)
            }
            views.append(
                AuditEventView(
                    id: event.id, leafIndex: event.leaf_index, eventType: event.event_type, actor: event.actor,
                    subject: event.subject, object: event.object_ref, outcome: event.outcome,
                    occurredAt: event.occurred_at, details: details[event.details_hash], proof: proof))
        }
        return views
    }
}

/// Decrypts events' details under the data keys of the people they concern.
enum AuditDetails {
    /// Details by hash; events whose key was destroyed (erasure) or whose details were purged are absent.
    static func open(hashes: [String], platform: Platform) async throws -> [String: [String: String]] {
        let db = platform.db.sql
        var keys: [String: SymmetricKey?] = [:]
        var opened: [String: [String: String]] = [:]
        for row in try await AuditStore.details(hashes: Array(Set(hashes)), on: db) {
            if keys[row.key_subject] == nil {
                keys[row.key_subject] = try? await SubjectKeys.key(subject: row.key_subject, platform: platform, on: db)
            }
            guard let key = keys[row.key_subject] ?? nil else { continue }
            let context = FieldContext(table: "audit_details", column: "details_cipher", row: row.key_subject)
            let json = try FieldCipher.open(row.details_cipher, key: key, context: context)
            opened[row.details_hash] = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        }
        return opened
    }
}
