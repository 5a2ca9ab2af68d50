public import AuditLog
public import Crypto
import Foundation
import Privacy
import SQLKit
import Storage

/// What `covenant audit verify` found.
public enum AuditVerdict: Sendable, Equatable, CustomStringConvertible {
    case intact(treeSize: UInt64, heads: Int)
    /// `position` is the first leaf index at which the stored log stops matching what was signed.
    case broken(position: UInt64, reason: String)

    public var description: String {
        switch self {
        case .intact(let size, let heads): "audit log intact: \(size) events, \(heads) signed tree heads verified"
        case .broken(let position, let reason): "audit log BROKEN at position \(position): \(reason)"
        }
    }
}

/// Recomputes the audit tree from its events and checks it against every signed head and, optionally, a
/// checkpoint exported earlier. Pure: the loader below feeds it from storage, tests feed it mutated copies.
public enum AuditVerification {
    /// One integrated event as stored: its claimed leaf index, its leaf, and the leaf hash stored at level 0.
    public struct Row: Sendable, Equatable {
        public var leafIndex: Int64
        public var leaf: AuditLeaf
        public var storedLeafHash: MerkleHash?

        public init(leafIndex: Int64, leaf: AuditLeaf, storedLeafHash: MerkleHash?) {
            self.leafIndex = leafIndex
            self.leaf = leaf
            self.storedLeafHash = storedLeafHash
        }
    }

    public static func verify(
        rows: [Row], heads: [SignedTreeHead], publicKey: Curve25519.Signing.PublicKey,
        checkpoint: SignedTreeHead? = nil
    ) -> AuditVerdict {
        let sortedHeads = heads.sorted { $0.treeSize < $1.treeSize }
        for head in sortedHeads {
            do { try head.verify(publicKey: publicKey) } catch {
                return .broken(
                    position: head.treeSize, reason: "tree head of size \(head.treeSize) has a bad signature")
            }
        }
        if let checkpoint {
            do { try checkpoint.verify(publicKey: publicKey) } catch {
                return .broken(position: 0, reason: "the checkpoint's signature does not verify with this log's key")
            }
        }
        var targets = sortedHeads.map { ($0.treeSize, $0.rootHash, "signed tree head") }
        if let checkpoint { targets.append((checkpoint.treeSize, checkpoint.rootHash, "checkpoint")) }
        targets.sort { $0.0 < $1.0 }
        let expectedSize = targets.last?.0 ?? 0

        var appender = MerkleAppender()
        var targetIndex = 0
        var lastGood: UInt64 = 0
        // Sizes of 0 have the empty root.
        while targetIndex < targets.count, targets[targetIndex].0 == 0 {
            if targets[targetIndex].1 != MerkleHash.emptyTree {
                return .broken(position: 0, reason: "empty root mismatch")
            }
            targetIndex += 1
        }
        for (position, row) in rows.enumerated() {
            let index = UInt64(position)
            guard row.leafIndex == Int64(position) else {
                let reason =
                    row.leafIndex > Int64(position)
                    ? "event \(position) is missing (deleted)" : "leaf index \(row.leafIndex) appears twice (inserted)"
                return .broken(position: index, reason: reason)
            }
            guard row.leaf.sequence == index else {
                return .broken(position: index, reason: "event's sequence does not match its position (reordered)")
            }
            let hash = row.leaf.leafHash
            if let stored = row.storedLeafHash, stored != hash {
                return .broken(position: index, reason: "event \(position) was modified after it was logged")
            }
            appender.absorb([hash])
            while targetIndex < targets.count, targets[targetIndex].0 == appender.treeSize {
                let (size, root, what) = targets[targetIndex]
                guard appender.rootHash == root else {
                    return .broken(
                        position: lastGood,
                        reason: "the log from position \(lastGood) on does not match the \(what) of size \(size)")
                }
                lastGood = size
                targetIndex += 1
            }
        }
        if appender.treeSize < expectedSize {
            return .broken(
                position: appender.treeSize,
                reason: "the log ends at \(appender.treeSize) events but was signed at \(expectedSize) (truncated)")
        }
        if appender.treeSize > expectedSize {
            return .broken(
                position: expectedSize,
                reason: "\(appender.treeSize - expectedSize) events were added without a signed head")
        }
        return .intact(treeSize: appender.treeSize, heads: sortedHeads.count)
    }

    /// Loads the integrated events, level-0 hashes and heads from storage and verifies them.
    public static func verifyStored(platform: Platform, checkpoint: SignedTreeHead? = nil) async throws -> AuditVerdict
    {
        let db = platform.db.sql
        var rows: [Row] = []
        var from: Int64 = 0
        let leafHashes = try await storedLeafHashes(on: db)
        while true {
            let page = try await AuditTreeStore.integrated(from: from, limit: 10_000, on: db)
            for event in page {
                guard let index = event.leaf_index else { continue }
                rows.append(
                    Row(
                        leafIndex: index, leaf: try AuditIntegration.leaf(event, index: index),
                        storedLeafHash: leafHashes[index]))
            }
            guard let last = page.last?.leaf_index, page.count == 10_000 else { break }
            from = last + 1
        }
        let heads = try await AuditTreeStore.allHeads(on: db)
        return verify(
            rows: rows, heads: heads, publicKey: platform.keys.auditSigningKey.publicKey, checkpoint: checkpoint)
    }

    private static func storedLeafHashes(on db: any SQLDatabase) async throws -> [Int64: MerkleHash] {
        var result: [Int64: MerkleHash] = [:]
        for row in try await db.raw("SELECT idx, hash FROM audit_nodes WHERE level = 0").all() {
            result[try row.decode(column: "idx", as: Int64.self)] = MerkleHash(
                hex: try row.decode(column: "hash", as: String.self))
        }
        return result
    }
}
