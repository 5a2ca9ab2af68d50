import AuditLog
import Crypto
import Foundation
import Testing

/// The JSON fixtures that `tools/audit/test_verify.py` checks the Python verifier against: a 37-leaf log
/// signed with a key from a fixed seed. `COVENANT_WRITE_FIXTURES=1` (re)writes them; otherwise the committed
/// files are checked against what this log produces.
@Suite("2.2 security audit: verifier fixtures")
struct FixtureTests {
    static let directory = URL(filePath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "tools/audit/fixtures")
    /// The fixture log key, from the seed 00 01 02 … 1f.
    static var key: Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(0..<32) as [UInt8])
    }
    static let (treeSize, oldSize, leafIndex): (UInt64, UInt64, UInt64) = (37, 20, 9)

    /// Leaf `sequence` of the fixture log; some fields are empty and some non-ASCII.
    static func leaf(_ sequence: UInt64) -> AuditLeaf {
        let types = ["account.login.success", "account.login.failure", "order.create", "order.refund"]
        return AuditLeaf(
            sequence: sequence, timestamp: 1_767_225_600_000 + sequence * 1_000,
            eventType: types[Int(sequence % 4)], actor: sequence % 3 == 0 ? "" : "ps_actor_\(sequence)",
            subject: "ps_subject_\(sequence % 5)",
            object: sequence % 2 == 0 ? "order:\(sequence)" : "ticket:\(sequence)/é",
            outcome: ["success", "failure", "denied"][Int(sequence % 3)], detailsHash: sha256("details \(sequence)")
        )
    }

    /// The fixture files, by name, as JSON values (the public key as a base64 string).
    static func fixtures() async throws -> [String: any Encodable] {
        let store = MemoryMerkleStore()
        await store.append((0..<treeSize).map { leaf($0).leafHash })
        func head(_ size: UInt64) async throws -> SignedTreeHead {
            try SignedTreeHead(
                treeSize: size, timestamp: 1_767_225_700_000 + size,
                rootHash: try await store.rootHash(treeSize: size), signingKey: key
            )
        }
        let inclusion = try await store.inclusionProof(leafIndex: leafIndex, treeSize: treeSize)
        return [
            "public-key.json": key.publicKey.rawRepresentation.base64EncodedString(),
            "head.json": try await head(treeSize),
            "old-head.json": try await head(oldSize),
            "leaf.json": leaf(leafIndex),
            "inclusion.json": inclusion,
            "proof-response.json": ProofResponse(leaf: leaf(leafIndex), proof: inclusion),
            "consistency.json": try await store.consistencyProof(first: oldSize, second: treeSize),
        ]
    }

    static func json(_ value: any Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value) + Data("\n".utf8)
    }

    @Test("2.2: the Python verifier's fixtures match the Swift log")
    func fixturesMatch() async throws {
        // setup
        let fixtures = try await Self.fixtures()
        if ProcessInfo.processInfo.environment["COVENANT_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for (name, value) in fixtures {
                try Self.json(value).write(to: Self.directory.appending(path: name))
            }
        }
        for (name, value) in fixtures {
            // act
            let path = Self.directory.appending(path: name)
            guard let stored = try? Data(contentsOf: path) else {
                Issue.record("missing fixture \(name): run with COVENANT_WRITE_FIXTURES=1")
                continue
            }
            // check: every file but the heads is deterministic; heads must carry a valid signature.
            if let head = value as? SignedTreeHead {
                let storedHead = try JSONDecoder().decode(SignedTreeHead.self, from: stored)
                #expect(storedHead.signedBytes == head.signedBytes, "\(name)")
                try storedHead.verify(publicKey: Self.key.publicKey)
            } else {
                #expect(stored == (try Self.json(value)), "\(name) is stale: run with COVENANT_WRITE_FIXTURES=1")
            }
        }
    }
}

/// The body of `GET /api/v1/audit/events/{sequence}/proof`.
struct ProofResponse: Encodable {
    let leaf: AuditLeaf
    let proof: InclusionProof
}
