import AuditLog
import Foundation
import Testing

/// A store that answers every lookup with the same hash and counts what it was asked.
actor CountingStore: MerkleNodeStore {
    private(set) var calls = 0
    private(set) var nodes = 0

    func hashes(of ids: [MerkleNodeID]) -> [MerkleHash] {
        calls += 1
        nodes += ids.count
        return ids.map { _ in .emptyTree }
    }

    func reset() {
        (calls, nodes) = (0, 0)
    }
}

@Suite("2.2 security audit: scale")
struct ScaleTests {
    static let million: UInt64 = 1_000_000

    @Test("2.2: at 10^6 leaves an inclusion proof is at most 640 B and needs one batched O(log n) lookup")
    func inclusionProofSize() async throws {
        // setup
        let store = CountingStore()
        var worst = (hashes: 0, nodes: 0, calls: 0)
        let edges: [UInt64] = [0, 1, 524_287, 524_288, 999_935, 999_998, 999_999]
        for index in edges + Array(stride(from: 7, to: Self.million, by: 9_973)) {
            await store.reset()
            // act
            let proof = try await store.inclusionProof(leafIndex: index, treeSize: Self.million)
            // check
            let (nodes, calls) = await (store.nodes, store.calls)
            worst = (max(worst.hashes, proof.hashes.count), max(worst.nodes, nodes), max(worst.calls, calls))
        }
        #expect(worst.hashes <= 20)
        #expect(worst.hashes * MerkleHash.byteCount <= 640)
        #expect(worst.calls == 1)
        #expect(worst.nodes <= 2 * 20)
    }

    @Test("2.2: at 10^6 leaves a consistency proof needs one batched O(log n) lookup")
    func consistencyProofSize() async throws {
        // setup
        let store = CountingStore()
        for first in [1, 2, 3, 1_000, 524_288, 524_289, 999_999] as [UInt64] {
            await store.reset()
            // act
            let proof = try await store.consistencyProof(first: first, second: Self.million)
            // check
            let (nodes, calls) = await (store.nodes, store.calls)
            #expect(proof.hashes.count <= 2 * 20)
            #expect(calls == 1)
            #expect(nodes <= 3 * 20)
        }
    }

    @Test("2.2: streaming root of a larger log equals the memory store's root")
    func streamingRoot() async throws {
        // setup
        let leaves = testLeafHashes(5_003)
        let store = await makeStore(leaves)
        // act
        let streamed = MerkleTree.rootHash(of: leaves)
        // check
        #expect(try await store.rootHash(treeSize: 5_003) == streamed)
        #expect(try await store.rootHash(treeSize: 4_096) == MerkleTree.rootHash(of: leaves[..<4_096]))
    }

    @Test(
        "2.2: a 10^6-entry log is re-verified in under 10 s (set COVENANT_BENCH=1, release build)",
        .enabled(if: ProcessInfo.processInfo.environment["COVENANT_BENCH"] == "1")
    )
    func millionEntries() throws {
        // setup
        let details = sha256("details")
        let clock = ContinuousClock()
        // act
        let start = clock.now
        let root = MerkleTree.rootHash(
            of: (0..<Self.million).lazy.map { sequence in
                AuditLeaf(
                    sequence: sequence, timestamp: 1_700_000_000_000 + sequence, eventType: "account.login.failure",
                    actor: "ps_4f2a", subject: "", object: "order:\(sequence)", outcome: "failure",
                    detailsHash: details
                ).leafHash
            })
        let elapsed = clock.now - start
        // check
        print("10^6 audit leaves encoded, hashed and folded into \(root.hex) in \(elapsed)")
        #expect(elapsed < .seconds(10))
    }
}
