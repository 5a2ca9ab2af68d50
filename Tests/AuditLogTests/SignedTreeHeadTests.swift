import AuditLog
import Crypto
import Foundation
import Testing

@Suite("2.2 security audit: signed tree heads")
struct SignedTreeHeadTests {
    static var key: Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(repeating: UInt8(7), count: 32))
    }
    static let root = MerkleHash(bytes: Array(0..<32))!

    @Test("2.2: the signed bytes are the prefix, big-endian size and timestamp, then the root")
    func signedBytes() {
        // act
        let bytes = SignedTreeHead.signedBytes(treeSize: 0x0102, timestamp: 1_700_000_000_000, rootHash: Self.root)
        // check
        let expected =
            Data("covenant-sth-v1".utf8).map { String(format: "%02x", $0) }.joined()
            + "0000000000000102" + "0000018bcfe56800" + Self.root.hex
        #expect(bytes.count == 63)
        #expect(bytes.map { String(format: "%02x", $0) }.joined() == expected)
    }

    @Test("2.2: a signed tree head verifies with the log key and fails after altering any field")
    func signAndVerify() throws {
        // setup
        let head = try SignedTreeHead(
            treeSize: 37, timestamp: 1_700_000_000_000, rootHash: Self.root, signingKey: Self.key
        )
        let publicKey = Self.key.publicKey
        var signature = head.signature
        signature[5] ^= 1
        let (size, time, root) = (head.treeSize, head.timestamp, head.rootHash)
        let altered = [
            SignedTreeHead(treeSize: size + 1, timestamp: time, rootHash: root, signature: head.signature),
            SignedTreeHead(treeSize: size, timestamp: time + 1, rootHash: root, signature: head.signature),
            SignedTreeHead(treeSize: size, timestamp: time, rootHash: tampered(root), signature: head.signature),
            SignedTreeHead(treeSize: size, timestamp: time, rootHash: root, signature: signature),
        ]
        // act / check
        try head.verify(publicKey: publicKey)
        #expect(head.signature.count == 64)
        for head in altered {
            #expect(throws: AuditLogError.invalidSignature(treeSize: head.treeSize)) {
                try head.verify(publicKey: publicKey)
            }
        }
        let otherKey = Curve25519.Signing.PrivateKey().publicKey
        #expect(throws: AuditLogError.invalidSignature(treeSize: 37)) { try head.verify(publicKey: otherKey) }
    }

    @Test("2.2: tree heads encode as JSON with base64 root and signature")
    func json() throws {
        // setup
        let head = SignedTreeHead(treeSize: 3, timestamp: 42, rootHash: Self.root, signature: Data([1, 2, 3]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dataEncodingStrategy = .deferredToData
        // act
        let json = String(decoding: try encoder.encode(head), as: UTF8.self)
        let decoded = try JSONDecoder().decode(SignedTreeHead.self, from: Data(json.utf8))
        // check
        #expect(json == #"{"rootHash":"\#(Self.root.base64)","signature":"AQID","timestamp":42,"treeSize":3}"#)
        #expect(decoded == head)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                SignedTreeHead.self,
                from: Data(#"{"rootHash":"\#(Self.root.base64)","signature":"!","timestamp":42,"treeSize":3}"#.utf8)
            )
        }
    }
}
