import App
import ArgumentParser
import AuditLog
import Crypto
import Domain
import Foundation
import Logging
import Marketplace
import Privacy
import SQLKit
import Storage

/// Benchmarks that report figures (docs/benchmarks.md); never part of the test run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure hot paths and print figures.",
        subcommands: [Audit.self, ShopBench.self, ShieldBench.self, RiskBench.self, RiskShareBench.self])

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audit log: durable appends, integration, verification, proof sizes (issue 3 targets).")
        @Option(help: "Events to append to a fresh SQLite database.") var events = 50_000
        @Option(help: "Events per durable commit (group commit).") var batch = 100
        @Option(help: "Leaves for the in-memory proof and verification figures.") var leaves = 1_000_000

        func run() async throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("covenant-bench-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var config = AppConfig()
            config.dataDir = dir
            let platform = try await Runtime.open(config: config, logger: Runtime.quietLogger())
            say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; SQLite WAL, synchronous=FULL")

            // Durable appends, `batch` events per commit, each encrypted and pseudonymised as in production.
            var start = ContinuousClock.now
            for first in stride(from: 0, to: events, by: batch) {
                let group = (first..<min(first + batch, events)).map { n in
                    AuditEvent(
                        "bench.event", actor: "actor-\(n % 1000)", subject: "subject-\(n % 1000)",
                        object: "order:\(n)", details: ["n": String(n)])
                }
                try await platform.db.transaction { db in
                    try await AuditTrail.record(group, platform: platform, on: db)
                }
            }
            let appendSeconds = seconds(ContinuousClock.now - start)
            say(
                String(
                    format: "append: %d events in %.2f s = %.0f events/s (%d per durable commit)", events,
                    appendSeconds, Double(events) / appendSeconds, batch))

            start = ContinuousClock.now
            var integrated = 0
            while true {
                let n = try await AuditIntegration.integrate(platform: platform)
                if n == 0 { break }
                integrated += n
            }
            let integrateSeconds = seconds(ContinuousClock.now - start)
            say(
                String(
                    format: "integrate: %d events in %.2f s = %.0f events/s", integrated, integrateSeconds,
                    Double(integrated) / integrateSeconds))

            start = ContinuousClock.now
            let verdict = try await AuditVerification.verifyStored(platform: platform)
            say(
                String(format: "verify stored: %@ in %.2f s", verdict.description, seconds(ContinuousClock.now - start))
            )

            // Audit's share of a durable action: the same write with and without its audit event.
            let rounds = 200
            start = ContinuousClock.now
            for n in 0..<rounds {
                try await platform.db.transaction { db in
                    try await benchWrite(n, on: db)
                }
            }
            let plain = seconds(ContinuousClock.now - start) / Double(rounds)
            start = ContinuousClock.now
            for n in 0..<rounds {
                try await platform.db.transaction { db in
                    try await benchWrite(n, on: db)
                    try await AuditTrail.record(
                        AuditEvent("bench.action", actor: "actor-1", subject: "subject-1"), platform: platform, on: db)
                }
            }
            let audited = seconds(ContinuousClock.now - start) / Double(rounds)
            say(
                String(
                    format: "audit overhead on a durable action: %.3f ms → %.3f ms (+%.1f%%)", plain * 1000,
                    audited * 1000, (audited / plain - 1) * 100))
            await platform.db.shutdown()

            // In memory: proof size and full verification at `leaves` entries.
            let key = Curve25519.Signing.PrivateKey()
            var rows: [AuditVerification.Row] = []
            rows.reserveCapacity(leaves)
            let store = MemoryMerkleStore()
            var hashes: [MerkleHash] = []
            hashes.reserveCapacity(leaves)
            for n in 0..<leaves {
                let leaf = AuditLeaf(
                    sequence: UInt64(n), timestamp: UInt64(n), eventType: "bench.event", actor: "a\(n % 1000)",
                    subject: "s\(n % 997)", object: "order:\(n)", outcome: "success",
                    detailsHash: MerkleHash.leaf(Data("\(n)".utf8)))
                let hash = leaf.leafHash
                rows.append(AuditVerification.Row(leafIndex: Int64(n), leaf: leaf, storedLeafHash: hash))
                hashes.append(hash)
            }
            let result = await store.append(hashes)
            let head = try SignedTreeHead(
                treeSize: result.treeSize, timestamp: 0, rootHash: result.rootHash, signingKey: key)
            let proof = try await store.inclusionProof(leafIndex: UInt64(leaves / 2 + 1), treeSize: result.treeSize)
            let proofBytes = try JSONEncoder().encode(proof).count
            say(
                "inclusion proof at \(leaves) entries: \(proof.hashes.count) hashes, \(proof.hashes.count * 32) bytes "
                    + "raw, \(proofBytes) bytes as JSON")
            start = ContinuousClock.now
            let bigVerdict = AuditVerification.verify(rows: rows, heads: [head], publicKey: key.publicKey)
            say(
                String(
                    format: "verify %d entries: %@ in %.2f s", leaves, bigVerdict.description,
                    seconds(ContinuousClock.now - start)))
        }

        /// A small durable write standing for an action (a sign-in attempt row).
        private func benchWrite(_ n: Int, on db: any SQLDatabase) async throws {
            try await LoginAttemptStore.record(
                id: UUID().uuidString, accountId: nil, loginIndex: "bench", ipIndex: "bench", succeeded: true,
                at: Int64(n), on: db)
        }

        private func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }
}
