import AuditLog
import Foundation
import Privacy
import SQLKit
import Storage

/// Integrates pending audit events into the Merkle tree in batches and publishes a signed tree head
/// (clause 2.2 security audit). Leaf indexes are assigned here, by one writer, so the order of commits
/// of the actions never matters.
public enum AuditIntegration {
    /// Integrates up to `limit` pending events; returns how many were integrated.
    @discardableResult
    public static func integrate(limit: Int = 5_000, platform: Platform) async throws -> Int {
        try await platform.db.transaction { db in
            // One integrator at a time even if two instances both believe they hold the lease (a paused holder
            // whose lease lapsed): the second waits, then finds the events integrated.
            if platform.db.location.isPostgres {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.lockKey))").run()
            }
            let pending = try await AuditTreeStore.pending(limit: limit, on: db)
            guard !pending.isEmpty else { return 0 }
            let store = SQLMerkleStore(db: db)
            let size = try await AuditTreeStore.latestHead(on: db)?.treeSize ?? 0
            var appender = try await MerkleAppender.restore(treeSize: size, from: store)
            var leafHashes: [MerkleHash] = []
            for (offset, event) in pending.enumerated() {
                let index = Int64(size) + Int64(offset)
                try await AuditTreeStore.assignLeafIndex(index, eventId: event.id, on: db)
                leafHashes.append(try leaf(event, index: index).leafHash)
            }
            let result = appender.append(leafHashes)
            try await store.insert(result.nodes)
            let head = try SignedTreeHead(
                treeSize: result.treeSize, timestamp: UInt64(max(0, platform.now)), rootHash: result.rootHash,
                signingKey: platform.keys.auditSigningKey)
            try await AuditTreeStore.insert(head, on: db)
            return pending.count
        }
    }

    static let lockKey: Int64 = 0x4155_4449_54  // "AUDIT"

    /// The leaf an event becomes at `index`.
    static func leaf(_ event: StoredAuditEvent, index: Int64) throws -> AuditLeaf {
        AuditLeaf(
            sequence: UInt64(index), timestamp: UInt64(max(0, event.occurred_at)), eventType: event.event_type,
            actor: event.actor, subject: event.subject, object: event.object_ref, outcome: event.outcome,
            detailsHash: MerkleHash(hex: event.details_hash) ?? MerkleHash.emptyTree)
    }
}
