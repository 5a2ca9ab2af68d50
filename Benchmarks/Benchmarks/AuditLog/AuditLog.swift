// The audit log's Merkle tree (Sources/AuditLog): leaf hashing, appends, proofs and signed tree heads.
import AuditLog
import Benchmark
import Crypto
import Foundation

/// xorshift64*: the same leaves and indexes on every run.
struct Random {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
}

/// A leaf shaped like a real event: pseudonyms are 32 hex characters, details a SHA-256.
func leaf(_ n: UInt64) -> AuditLeaf {
    AuditLeaf(
        sequence: n, timestamp: 1_796_000_000_000 + n, eventType: "order.checkout",
        actor: "3f1c9a0e5b7d2c4f8a6e1b3d5c7f9a0b", subject: "3f1c9a0e5b7d2c4f8a6e1b3d5c7f9a0b",
        object: "order:\(n)", outcome: "success", detailsHash: MerkleHash.leaf(Data("details \(n)".utf8)))
}

/// Issue 3's figures are for a log of 10⁶ entries.
let logSize: UInt64 = 1_000_000

/// A 10⁶-leaf log in memory (the same node layout the database keeps), with its root.
final class Log: @unchecked Sendable {
    let store = MemoryMerkleStore()
    let leafHashes: [MerkleHash]
    var root = MerkleHash.emptyTree
    var random = Random(seed: 3)

    init() async {
        leafHashes = (0..<logSize).map { MerkleHash.leaf(Data("event \($0)".utf8)) }
        for start in stride(from: 0, to: leafHashes.count, by: 10_000) {
            await store.append(Array(leafHashes[start..<min(start + 10_000, leafHashes.count)]))
        }
        root = try! await store.rootHash(treeSize: logSize)
    }
}

/// Mutable state kept across iterations.
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,  // one unit for every row, so figures compare at a glance
        warmupIterations: 10,
        scalingFactor: .kilo,  // sub-microsecond work: time 1,000 calls per iteration, report per call
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )
    let one = Benchmark.Configuration(scalingFactor: .one)

    // Every recorded event: canonical bytes, then SHA-256.
    Benchmark("AuditLeaf.leafHash") { benchmark, leaves in
        for n in benchmark.scaledIterations { blackHole(leaves[n].leafHash) }
    } setup: {
        (0..<1_000).map { leaf(UInt64($0)) }
    }

    // The background service integrates leaves one by one into the appender (then stores the nodes).
    Benchmark("MerkleAppender.append, one leaf at a time") { benchmark, state in
        let (appender, hashes) = state
        for n in benchmark.scaledIterations { blackHole(appender.value.append(CollectionOfOne(hashes[n]))) }
    } setup: {
        (Box(MerkleAppender()), (0..<1_000).map { MerkleHash.leaf(Data("event \($0)".utf8)) })
    }

    // Batches as the durable figures use them (250 events per commit), per leaf.
    Benchmark("MerkleAppender.append, 250 per batch (per leaf)", configuration: .init(scalingFactor: .kilo)) {
        benchmark, state in
        let (appender, hashes) = state
        for start in stride(from: 0, to: 1_000, by: 250) {
            blackHole(appender.value.append(hashes[start..<start + 250]))
        }
    } setup: {
        (Box(MerkleAppender()), (0..<1_000).map { MerkleHash.leaf(Data("event \($0)".utf8)) })
    }

    // Proofs as the API serves them: one batched node lookup in the store, then the hashes folded.
    Benchmark("inclusionProof at 10⁶ leaves (MemoryMerkleStore)", configuration: one) { _, log in
        let index = log.random.next() % logSize
        blackHole(try! await log.store.inclusionProof(leafIndex: index, treeSize: logSize))
    } setup: {
        await Log()
    }

    Benchmark("InclusionProof.verify at 10⁶ leaves", configuration: one) { benchmark, state in
        let (log, proofs) = state
        let proof = proofs[benchmark.currentIteration % proofs.count]
        try! proof.verify(rootHash: log.root)
    } setup: { () async -> (Log, [InclusionProof]) in
        let log = await Log()
        var proofs: [InclusionProof] = []
        for _ in 0..<1_000 {
            proofs.append(
                try! await log.store.inclusionProof(leafIndex: log.random.next() % logSize, treeSize: logSize))
        }
        return (log, proofs)
    }

    Benchmark("consistencyProof to 10⁶ leaves (MemoryMerkleStore)", configuration: one) { _, log in
        let first = 1 + log.random.next() % (logSize - 1)
        blackHole(try! await log.store.consistencyProof(first: first, second: logSize))
    } setup: {
        await Log()
    }

    Benchmark("ConsistencyProof.verify to 10⁶ leaves", configuration: one) { benchmark, state in
        let (log, cases) = state
        let (proof, firstRoot) = cases[benchmark.currentIteration % cases.count]
        try! proof.verify(firstRoot: firstRoot, secondRoot: log.root)
    } setup: { () async -> (Log, [(ConsistencyProof, MerkleHash)]) in
        let log = await Log()
        var cases: [(ConsistencyProof, MerkleHash)] = []
        for _ in 0..<200 {
            let first = 1 + log.random.next() % (logSize - 1)
            let proof = try! await log.store.consistencyProof(first: first, second: logSize)
            cases.append((proof, try! await log.store.rootHash(treeSize: first)))
        }
        return (log, cases)
    }

    // `covenant audit checkpoint` and every head the API serves: Ed25519 over 63 bytes.
    Benchmark("SignedTreeHead sign (Ed25519)", configuration: one) { benchmark, key in
        let root = MerkleHash.leaf(Data("root".utf8))
        blackHole(try! SignedTreeHead(treeSize: 1_000_000, timestamp: 1, rootHash: root, signingKey: key))
    } setup: {
        Curve25519.Signing.PrivateKey()
    }

    Benchmark("SignedTreeHead verify", configuration: one) { _, state in
        let (head, key) = state
        try! head.verify(publicKey: key)
    } setup: { () throws -> (SignedTreeHead, Curve25519.Signing.PublicKey) in
        let key = Curve25519.Signing.PrivateKey()
        let head = try SignedTreeHead(
            treeSize: 1_000_000, timestamp: 1, rootHash: MerkleHash.leaf(Data("root".utf8)), signingKey: key)
        return (head, key.publicKey)
    }

    // Issue 3's "verify a 10⁶-entry log" without the database: every leaf re-hashed, then the root.
    Benchmark(
        "recompute 10⁶ leaves and the root",
        configuration: .init(
            timeUnits: .milliseconds, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(10),
            maxIterations: 5)
    ) { _, leaves in
        blackHole(MerkleTree.rootHash(of: leaves.lazy.map(\.leafHash)))
    } setup: {
        (0..<logSize).map(leaf)
    }
}
