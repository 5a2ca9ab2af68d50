import AuditLog
import Crypto
import Foundation
import Testing

@Suite("2.2 security audit: RFC 9162 hashing")
struct MerkleHashTests {
    /// The leaves of the RFC 6962 / Certificate Transparency reference test tree.
    static let ctLeaves = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { MerkleHash.leaf(hexBytes($0)) }

    static func hexBytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func hashes(_ hexes: [String]) -> [MerkleHash] { hexes.map { MerkleHash(hex: $0)! } }

    @Test("2.2: the empty tree root is SHA-256 of the empty string")
    func emptyRoot() async throws {
        // setup
        let store = MemoryMerkleStore()
        // act
        let stored = try await store.rootHash(treeSize: 0)
        let streamed = MerkleTree.rootHash(of: [])
        // check
        let expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(MerkleHash.emptyTree.hex == expected)
        #expect(stored.hex == expected)
        #expect(streamed.hex == expected)
    }

    @Test("2.2: leaf and node hashes are domain-separated with 0x00 and 0x01")
    func domainSeparation() {
        // setup
        let left = MerkleHash.leaf([0x61])
        let right = MerkleHash.leaf([0x62])
        // act
        let node = MerkleHash.node(left, right)
        // check
        #expect(left.data == Data(SHA256.hash(data: [0x00, 0x61])))
        #expect(node.data == Data(SHA256.hash(data: [0x01] + left.data + right.data)))
        #expect(MerkleHash.leaf([]).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    }

    @Test("2.2: roots of the Certificate Transparency test tree for sizes 1...8")
    func ctRoots() {
        // setup
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        // act
        let roots = (1...8).map { MerkleTree.rootHash(of: Self.ctLeaves.prefix($0)).hex }
        // check
        #expect(roots == expected)
    }

    @Test("2.2: proofs of the Certificate Transparency test tree")
    func ctProofs() async throws {
        // setup
        let store = await makeStore(Self.ctLeaves)
        // act
        let inclusion = try await store.inclusionProof(leafIndex: 0, treeSize: 8)
        let from1 = try await store.consistencyProof(first: 1, second: 8)
        let from6 = try await store.consistencyProof(first: 6, second: 8)
        let from2 = try await store.consistencyProof(first: 2, second: 5)
        // check
        let path0 = Self.hashes([
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
        #expect(inclusion.hashes == path0)
        #expect(from1.hashes == path0)
        #expect(
            from6.hashes
                == Self.hashes([
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]))
        #expect(
            from2.hashes
                == Self.hashes([
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]))
    }

    @Test("2.2: hashes convert to and from hex, base64 and JSON")
    func conversions() throws {
        // setup
        let hash = MerkleHash(bytes: Array(0..<32))!
        // act
        let json = String(decoding: try JSONEncoder().encode([hash]), as: UTF8.self)
        let decoded = try JSONDecoder().decode([MerkleHash].self, from: Data(json.utf8))
        // check
        #expect(hash.hex == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        #expect(MerkleHash(hex: hash.hex.uppercased()) == hash)
        #expect(MerkleHash(base64: hash.base64) == hash)
        #expect(json == #"["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="]"#)
        #expect(decoded == [hash])
        #expect(MerkleHash(bytes: Array(0..<31)) == nil)
        #expect(MerkleHash(hex: String(hash.hex.dropLast())) == nil)
        #expect(MerkleHash(hex: "zz" + hash.hex.dropFirst(2)) == nil)
        #expect(MerkleHash(base64: "AAEC") == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([MerkleHash].self, from: Data(#"["AAEC"]"#.utf8))
        }
    }
}
