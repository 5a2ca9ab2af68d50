import AuditLog
import Foundation
import Testing

@Suite("2.2 security audit: audit leaves")
struct AuditLeafTests {
    static let leaf = AuditLeaf(
        sequence: 1, timestamp: 1_700_000_000_000, eventType: "account.login.failure", actor: "a", subject: "",
        object: "order:123", outcome: "failure", detailsHash: MerkleHash(bytes: Array(0..<32))!
    )

    @Test("2.2: the canonical encoding of an audit leaf matches the golden bytes")
    func goldenBytes() {
        // act
        let hex = Self.leaf.canonicalBytes.map { String(format: "%02x", $0) }.joined()
        // check
        let expected = [
            "01",  // version
            "0000000000000001",  // sequence
            "0000018bcfe56800",  // timestamp 1_700_000_000_000
            "00000015" + "6163636f756e742e6c6f67696e2e6661696c757265",  // "account.login.failure"
            "00000001" + "61",  // actor "a"
            "00000000",  // subject ""
            "00000009" + "6f726465723a313233",  // object "order:123"
            "00000007" + "6661696c757265",  // outcome "failure"
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",  // detailsHash
        ].joined()
        #expect(hex == expected)
        #expect(Self.leaf.leafHash.hex == "152e1f9bd73115fcf2d6ac8a6bea3c50c1b428045667c40b6c37e7ce8813cd35")
    }

    @Test("2.2: moving bytes between fields changes the encoding")
    func unambiguous() {
        // setup
        var shifted = Self.leaf
        shifted.actor = ""
        shifted.subject = "a"
        // act / check
        #expect(shifted.canonicalBytes != Self.leaf.canonicalBytes)
        #expect(shifted.leafHash != Self.leaf.leafHash)
    }

    @Test("2.2: audit leaves encode as JSON with the documented field names")
    func json() throws {
        // setup
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // act
        let data = try encoder.encode(Self.leaf)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        // check
        #expect(
            object?.keys.sorted()
                == ["actor", "detailsHash", "eventType", "object", "outcome", "sequence", "subject", "timestamp"])
        #expect(object?["detailsHash"] as? String == Self.leaf.detailsHash.base64)
        #expect(try JSONDecoder().decode(AuditLeaf.self, from: data) == Self.leaf)
    }
}
