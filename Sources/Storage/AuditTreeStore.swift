public import AuditLog
import Foundation
public import SQLKit

/// Complete-subtree hashes of the audit tree in the `audit_nodes` table.
public struct SQLMerkleStore: MerkleNodeStore {
    let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    public func hashes(of nodes: [MerkleNodeID]) async throws -> [MerkleHash] {
        var found: [MerkleNodeID: MerkleHash] = [:]
        // Chunks keep the statement small; proofs need about 2·log2(n) nodes.
        for chunk in stride(from: 0, to: nodes.count, by: 50).map({ Array(nodes[$0..<min($0 + 50, nodes.count)]) }) {
            var query = db.select().column("level").column("idx").column("hash").from("audit_nodes")
            for node in chunk {
                query = query.orWhere {
                    $0.where("level", .equal, node.level).where("idx", .equal, Int64(node.index))
                }
            }
            for row in try await query.all() {
                let id = MerkleNodeID(
                    level: try row.decode(column: "level", as: Int.self),
                    index: UInt64(try row.decode(column: "idx", as: Int64.self)))
                guard let hash = MerkleHash(hex: try row.decode(column: "hash", as: String.self)) else {
                    throw AuditLogError.missingNode(id)
                }
                found[id] = hash
            }
        }
        return try nodes.map { id in
            guard let hash = found[id] else { throw AuditLogError.missingNode(id) }
            return hash
        }
    }

    public func insert(_ nodes: [MerkleNode]) async throws {
        for chunk in stride(from: 0, to: nodes.count, by: 200).map({ Array(nodes[$0..<min($0 + 200, nodes.count)]) }) {
            var insert = db.insert(into: "audit_nodes").columns("level", "idx", "hash")
            for node in chunk {
                insert = insert.values(
                    SQLBind(Int64(node.id.level)), SQLBind(Int64(node.id.index)), SQLBind(node.hash.hex))
            }
            try await insert.run()
        }
    }
}

/// A stored audit event with its leaf index (nil until integrated into the tree).
public struct StoredAuditEvent: Codable, Sendable {
    public var id: Int64
    public var event_type: String
    public var actor: String
    public var subject: String
    public var object_ref: String
    public var outcome: String
    public var occurred_at: Int64
    public var details_hash: String
    public var leaf_index: Int64?
}

/// Signed tree heads and the queries over integrated events.
public enum AuditTreeStore {
    public static func latestHead(on db: any SQLDatabase) async throws -> SignedTreeHead? {
        try await db.raw("SELECT * FROM audit_heads ORDER BY tree_size DESC LIMIT 1").first().map(head)
    }

    public static func head(treeSize: Int64, on db: any SQLDatabase) async throws -> SignedTreeHead? {
        try await db.raw("SELECT * FROM audit_heads WHERE tree_size = \(bind: treeSize)").first().map(head)
    }

    public static func allHeads(on db: any SQLDatabase) async throws -> [SignedTreeHead] {
        try await db.raw("SELECT * FROM audit_heads ORDER BY tree_size").all().map(head)
    }

    public static func insert(_ head: SignedTreeHead, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO audit_heads (tree_size, root_hash, timestamp, signature)
            VALUES (\(bind: Int64(head.treeSize)), \(bind: head.rootHash.hex), \(bind: Int64(head.timestamp)),
              \(bind: head.signature.base64EncodedString()))
            """
        ).run()
    }

    /// Events not yet in the tree, oldest first.
    public static func pending(limit: Int, on db: any SQLDatabase) async throws -> [StoredAuditEvent] {
        try await db.raw(
            "SELECT * FROM audit_events WHERE leaf_index IS NULL ORDER BY id LIMIT \(bind: limit)"
        ).all(decoding: StoredAuditEvent.self)
    }

    public static func assignLeafIndex(_ index: Int64, eventId: Int64, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE audit_events SET leaf_index = \(bind: index) WHERE id = \(bind: eventId)").run()
    }

    /// Integrated events in leaf order, in pages (for verification and export).
    public static func integrated(from: Int64, limit: Int, on db: any SQLDatabase) async throws -> [StoredAuditEvent] {
        try await db.raw(
            """
            SELECT * FROM audit_events WHERE leaf_index IS NOT NULL AND leaf_index >= \(bind: from)
            ORDER BY leaf_index LIMIT \(bind: limit)
            """
        ).all(decoding: StoredAuditEvent.self)
    }

    public static func event(leafIndex: Int64, on db: any SQLDatabase) async throws -> StoredAuditEvent? {
        try await db.raw("SELECT * FROM audit_events WHERE leaf_index = \(bind: leafIndex)")
            .first(decoding: StoredAuditEvent.self)
    }

    /// Search by type, pseudonymous actor or subject, and time (staff with `audit.read`).
    public static func search(
        type: String?, actor: String?, subject: String?, from: Int64?, to: Int64?, limit: Int, on db: any SQLDatabase
    ) async throws -> [StoredAuditEvent] {
        var query = db.select().column("*").from("audit_events")
        if let type { query = query.where("event_type", .equal, type) }
        if let actor { query = query.where("actor", .equal, actor) }
        if let subject { query = query.where("subject", .equal, subject) }
        if let from { query = query.where("occurred_at", .greaterThanOrEqual, from) }
        if let to { query = query.where("occurred_at", .lessThan, to) }
        return try await query.orderBy("id", .descending).limit(limit).all(decoding: StoredAuditEvent.self)
    }

    /// Events about `subject` taken by someone else: the person's access receipts.
    public static func receipts(subject: String, limit: Int, on db: any SQLDatabase) async throws -> [StoredAuditEvent]
    {
        try await db.raw(
            """
            SELECT * FROM audit_events WHERE subject = \(bind: subject) AND actor <> \(bind: subject)
            ORDER BY id DESC LIMIT \(bind: limit)
            """
        ).all(decoding: StoredAuditEvent.self)
    }

    private static func head(_ row: any SQLRow) throws -> SignedTreeHead {
        guard let root = MerkleHash(hex: try row.decode(column: "root_hash", as: String.self)),
            let signature = Data(base64Encoded: try row.decode(column: "signature", as: String.self))
        else { throw AuditTreeStoreError.malformedHead }
        return SignedTreeHead(
            treeSize: UInt64(try row.decode(column: "tree_size", as: Int64.self)),
            timestamp: UInt64(try row.decode(column: "timestamp", as: Int64.self)), rootHash: root,
            signature: signature)
    }
}

public enum AuditTreeStoreError: Error { case malformedHead }
