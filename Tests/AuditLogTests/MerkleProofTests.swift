import AuditLog
import Testing

@Suite("2.2 security audit: RFC 9162 proofs")
struct MerkleProofTests {
    static let maxSize = 64

    @Test("2.2: appender, memory store and streaming roots equal the reference root for sizes 0...64")
    func roots() async throws {
        // setup
        let leaves = testLeafHashes(Self.maxSize)
        let store = MemoryMerkleStore()
        var failures: [Int] = []
        for size in 0...Self.maxSize {
            // act
            if size > 0 { await store.append([leaves[size - 1]]) }
            let reference = Reference.root(leaves[..<size])
            let appender = try await MerkleAppender.restore(treeSize: UInt64(size), from: store)
            let stored = try await store.rootHash(treeSize: UInt64(size))
            // check
            let streamed = MerkleTree.rootHash(of: leaves[..<size])
            if appender.rootHash != reference || stored != reference || streamed != reference {
                failures.append(size)
            }
        }
        #expect(failures.isEmpty)
        // check: roots of every earlier size are still served after all appends
        for size in 0...Self.maxSize {
            #expect(try await store.rootHash(treeSize: UInt64(size)) == Reference.root(leaves[..<size]))
        }
    }

    @Test("2.2: the appender reports every complete subtree exactly once")
    func appenderNodes() {
        // setup
        var appender = MerkleAppender()
        let leaves = testLeafHashes(100)
        // act
        let first = appender.append(leaves[..<37])
        let second = appender.append(leaves[37...])
        // check
        let ids = (first.nodes + second.nodes).map(\.id)
        #expect(ids.count == 2 * 100 - 100.nonzeroBitCount)
        #expect(Set(ids).count == ids.count)
        #expect(first.treeSize == 37 && second.treeSize == 100)
        #expect(first.rootHash == Reference.root(leaves[..<37]))
        #expect(second.rootHash == Reference.root(leaves[...]))
        #expect(appender.border.count == 100.nonzeroBitCount)
        #expect(throws: AuditLogError.invalidBorder(treeSize: 3, hashCount: 1)) {
            try MerkleAppender(treeSize: 3, border: [leaves[0]])
        }
    }

    @Test("2.2: inclusion proofs match the reference, verify, and fail when altered, for every index and size ≤ 64")
    func inclusionProofs() async throws {
        // setup
        let leaves = testLeafHashes(Self.maxSize)
        let store = await makeStore(leaves)
        let roots = (0...Self.maxSize).map { Reference.root(leaves[..<$0]) }
        var failures: [String] = []
        for size in 1...Self.maxSize {
            for index in 0..<size {
                // act
                let proof = try await store.inclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size))
                // check
                let name = "leaf \(index) of \(size)"
                if proof.hashes != Reference.path(index, leaves[..<size]) || proof.leafHash != leaves[index] {
                    failures.append("\(name): differs from the reference")
                }
                if rejects({ try proof.verify(rootHash: roots[size]) }) {
                    failures.append("\(name): does not verify")
                }
                failures += Self.inclusionTamperings(proof, roots: roots).map { "\(name): accepts \($0)" }
            }
        }
        #expect(failures.isEmpty)
    }

    /// The alterations of `proof` that wrongly verify.
    static func inclusionTamperings(_ proof: InclusionProof, roots: [MerkleHash]) -> [String] {
        let size = Int(proof.treeSize)
        let root = roots[size]
        func accepts(
            _ hash: MerkleHash, _ index: UInt64, _ size: Int, _ path: [MerkleHash], _ root: MerkleHash
        ) -> Bool {
            !rejects {
                try MerkleTree.verifyInclusion(
                    leafHash: hash, leafIndex: index, treeSize: UInt64(size), proof: path, rootHash: root
                )
            }
        }
        var accepted: [String] = []
        let (hash, index, path) = (proof.leafHash, proof.leafIndex, proof.hashes)
        if accepts(tampered(hash), index, size, path, root) { accepted.append("another leaf hash") }
        if accepts(hash, index, size, path, tampered(root)) { accepted.append("another root") }
        if accepts(hash, index + 1, size, path, root) { accepted.append("index + 1") }
        if index > 0, accepts(hash, index - 1, size, path, root) { accepted.append("index - 1") }
        // A root is bound to its size by the signed tree head, so an altered size comes with that size's root.
        if size < roots.count - 1, accepts(hash, index, size + 1, path, roots[size + 1]) {
            accepted.append("size + 1")
        }
        if size > 1, accepts(hash, index, size - 1, path, roots[size - 1]) { accepted.append("size - 1") }
        if accepts(hash, index, size, path + [root], root) { accepted.append("an extra hash") }
        if !path.isEmpty, accepts(hash, index, size, Array(path.dropLast()), root) { accepted.append("a missing hash") }
        for position in path.indices {
            var altered = path
            altered[position] = tampered(altered[position])
            if accepts(hash, index, size, altered, root) { accepted.append("hash \(position) altered") }
        }
        return accepted
    }

    @Test("2.2: consistency proofs match the reference, verify, and fail when altered, for every pair of sizes ≤ 64")
    func consistencyProofs() async throws {
        // setup
        let leaves = testLeafHashes(Self.maxSize)
        let store = await makeStore(leaves)
        let roots = (0...Self.maxSize).map { Reference.root(leaves[..<$0]) }
        var failures: [String] = []
        for second in 1...Self.maxSize {
            for first in 1...second {
                // act
                let proof = try await store.consistencyProof(first: UInt64(first), second: UInt64(second))
                // check
                let name = "\(first) → \(second)"
                let expected = first == second ? [] : Reference.subproof(first, leaves[..<second], true)
                if proof.hashes != expected { failures.append("\(name): differs from the reference") }
                if rejects({ try proof.verify(firstRoot: roots[first], secondRoot: roots[second]) }) {
                    failures.append("\(name): does not verify")
                }
                failures += Self.consistencyTamperings(proof, roots: roots).map { "\(name): accepts \($0)" }
            }
        }
        #expect(failures.isEmpty)
    }

    /// The alterations of `proof` that wrongly verify.
    static func consistencyTamperings(_ proof: ConsistencyProof, roots: [MerkleHash]) -> [String] {
        let (first, second, path) = (Int(proof.first), Int(proof.second), proof.hashes)
        func accepts(
            _ first: Int, _ second: Int, _ path: [MerkleHash], _ root1: MerkleHash? = nil, _ root2: MerkleHash? = nil
        ) -> Bool {
            !rejects {
                try MerkleTree.verifyConsistency(
                    firstSize: UInt64(first), secondSize: UInt64(second), firstRoot: root1 ?? roots[first],
                    secondRoot: root2 ?? roots[second], proof: path
                )
            }
        }
        var accepted: [String] = []
        if accepts(first, second, path, tampered(roots[first])) { accepted.append("another first root") }
        if accepts(first, second, path, nil, tampered(roots[second])) { accepted.append("another second root") }
        // A root is bound to its size by the signed tree head, so an altered size comes with that size's root.
        if first < second, accepts(first + 1, second, path) { accepted.append("first + 1") }
        if first > 1, accepts(first - 1, second, path) { accepted.append("first - 1") }
        if second < roots.count - 1, accepts(first, second + 1, path) { accepted.append("second + 1") }
        if second > first, accepts(first, second - 1, path) { accepted.append("second - 1") }
        if accepts(first, second, path + [roots[first]]) { accepted.append("an extra hash") }
        if !path.isEmpty, accepts(first, second, Array(path.dropLast())) { accepted.append("a missing hash") }
        for position in path.indices {
            var altered = path
            altered[position] = tampered(altered[position])
            if accepts(first, second, altered) { accepted.append("hash \(position) altered") }
        }
        return accepted
    }

    @Test("2.2: trivial consistency cases need an empty proof and matching roots")
    func trivialConsistency() throws {
        // setup
        let leaves = testLeafHashes(5)
        let root = MerkleTree.rootHash(of: leaves)
        // act / check
        try MerkleTree.verifyConsistency(firstSize: 5, secondSize: 5, firstRoot: root, secondRoot: root, proof: [])
        try MerkleTree.verifyConsistency(
            firstSize: 0, secondSize: 5, firstRoot: .emptyTree, secondRoot: root, proof: []
        )
        #expect(throws: AuditLogError.self) {
            try MerkleTree.verifyConsistency(
                firstSize: 5, secondSize: 5, firstRoot: root, secondRoot: tampered(root), proof: []
            )
        }
        #expect(throws: AuditLogError.proofLengthMismatch(hashCount: 1)) {
            try MerkleTree.verifyConsistency(
                firstSize: 5, secondSize: 5, firstRoot: root, secondRoot: root, proof: [root]
            )
        }
        #expect(throws: AuditLogError.invalidTreeSizes(first: 6, second: 5)) {
            try MerkleTree.verifyConsistency(firstSize: 6, secondSize: 5, firstRoot: root, secondRoot: root, proof: [])
        }
        #expect(throws: AuditLogError.proofLengthMismatch(hashCount: 0)) {
            try MerkleTree.verifyConsistency(firstSize: 3, secondSize: 5, firstRoot: root, secondRoot: root, proof: [])
        }
    }

    @Test("2.2: proofs for an old tree size still verify against the old root after more appends")
    func oldSizes() async throws {
        // setup
        let leaves = testLeafHashes(50)
        let store = await makeStore(Array(leaves[..<20]))
        let oldRoot = try await store.rootHash(treeSize: 20)
        let oldProof = try await store.inclusionProof(leafIndex: 13, treeSize: 20)
        // act
        await store.append(Array(leaves[20...]))
        let laterProof = try await store.inclusionProof(leafIndex: 13, treeSize: 20)
        let consistency = try await store.consistencyProof(first: 20, second: 50)
        let newRoot = try await store.rootHash(treeSize: 50)
        // check
        #expect(laterProof == oldProof)
        try laterProof.verify(rootHash: oldRoot)
        try consistency.verify(firstRoot: oldRoot, secondRoot: newRoot)
        #expect(try await store.rootHash(treeSize: 20) == oldRoot)
    }

    @Test("2.2: an appender restored from the store continues the same tree")
    func restoredAppender() async throws {
        // setup
        let leaves = testLeafHashes(77)
        let store = await makeStore(Array(leaves[..<45]))
        var continuous = MerkleAppender()
        continuous.absorb(leaves[..<45])
        // act
        var restored = try await MerkleAppender.restore(treeSize: 45, from: store)
        let fromRestored = restored.append(leaves[45...])
        let fromContinuous = continuous.append(leaves[45...])
        // check
        #expect(restored == continuous)
        #expect(fromRestored == fromContinuous)
        #expect(fromRestored.rootHash == Reference.root(leaves[...]))
    }

    @Test("2.2: proofs outside the stored tree are refused")
    func outOfRange() async throws {
        // setup
        let store = await makeStore(testLeafHashes(10))
        // act / check
        await #expect(throws: AuditLogError.leafIndexOutOfRange(leafIndex: 10, treeSize: 10)) {
            try await store.inclusionProof(leafIndex: 10, treeSize: 10)
        }
        await #expect(throws: AuditLogError.invalidTreeSizes(first: 4, second: 3)) {
            try await store.consistencyProof(first: 4, second: 3)
        }
        await #expect(throws: AuditLogError.missingNode(MerkleNodeID(level: 0, index: 10))) {
            try await store.rootHash(treeSize: 11)
        }
    }
}
