import Domain
import Foundation
import Testing

@Suite("Typed identifiers")
struct IdentifierTests {
    enum Order {}
    enum Merchant {}

    @Test(
        "2.2: typed IDs accept 1–128 visible ASCII characters only",
        arguments: [
            ("ord_123", true),
            ("550e8400-e29b-41d4-a716-446655440000", true),
            (String(repeating: "a", count: 128), true),
            ("", false),
            (String(repeating: "a", count: 129), false),
            ("has space", false),
            ("line\nbreak", false),
            ("订单", false),
            ("id\u{0}", false),
        ])
    func validation(raw: String, valid: Bool) {
        #expect((ID<Order>(rawValue: raw) != nil) == valid)
    }

    @Test("2.2: typed IDs encode as plain strings and refuse invalid ones when decoding")
    func codable() throws {
        // setup
        let id = try #require(ID<Order>(rawValue: "ord_123"))
        // act
        let encoded = try JSONEncoder().encode([id])
        // check
        #expect(String(decoding: encoded, as: UTF8.self) == #"["ord_123"]"#)
        #expect(try JSONDecoder().decode([ID<Order>].self, from: encoded) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ID<Order>].self, from: Data(#"["bad id"]"#.utf8))
        }
    }

    @Test("2.2: random IDs are lowercase UUIDs and distinct")
    func random() throws {
        // act
        let ids = (0..<100).map { _ in ID<Merchant>.random() }
        // check
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(id.rawValue == id.rawValue.lowercased())
            #expect(UUID(uuidString: id.rawValue) != nil)
            #expect("\(id)" == id.rawValue)
        }
    }
}
