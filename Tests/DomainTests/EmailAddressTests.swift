import Domain
import Testing

@Suite("E-mail addresses")
struct EmailAddressTests {
    @Test(
        "3.2: valid e-mail addresses are accepted with the domain lowercased",
        arguments: [
            ("zhang.san@Example.COM", "zhang.san@example.com"),
            ("  li_si+shop@mail.example.cn\n", "li_si+shop@mail.example.cn"),
            ("Wang-Wu@sub-domain.example.com.cn", "Wang-Wu@sub-domain.example.com.cn"),
            ("12345@qq.com", "12345@qq.com"),
            ("o'brien@xn--fiqs8s.xn--fiqz9s", "o'brien@xn--fiqs8s.xn--fiqz9s"),
            ("a@b.co", "a@b.co"),
        ])
    func accepted(text: String, normalized: String) throws {
        // act
        let address = try EmailAddress(text)
        // check
        #expect(address.value == normalized)
        #expect(address.lookupKey == normalized.lowercased())
    }

    static let tooLongLocal = String(repeating: "a", count: 65) + "@example.com"
    static let tooLongLabel = "zhang@" + String(repeating: "a", count: 64) + ".com"
    static let tooLongAddress = "zhang@" + String(repeating: "abcdefghi.", count: 25) + "com"
    static let malformed: [(String, EmailAddressError)] = [
        ("", EmailAddressError.empty),
        ("zhang san@example.com", .characters),
        ("zhang@exam\tple.com", .characters),
        ("zhang\u{0}@example.com", .characters),
        ("zhang@example.com\u{85}x", .characters),
        ("zhang\u{3000}san@example.com", .characters),
        ("zhang.example.com", .missingAt),
        ("zhang@@example.com", .multipleAt),
        ("a@b@example.com", .multipleAt),
        ("@example.com", .localPart),
        (".zhang@example.com", .localPart),
        ("zhang.@example.com", .localPart),
        ("zh..ang@example.com", .localPart),
        ("张三@example.com", .localPart),
        ("\"quoted\"@example.com", .localPart),
        (tooLongLocal, .localPart),
        ("zhang@", .domain),
        ("zhang@localhost", .domain),
        ("zhang@example..com", .domain),
        ("zhang@example.com.", .domain),
        ("zhang@-example.com", .domain),
        ("zhang@example-.com", .domain),
        ("zhang@exa_mple.com", .domain),
        ("zhang@例子.中国", .domain),
        ("zhang@1.2.3.4", .domain),
        ("zhang@[127.0.0.1]", .domain),
        (tooLongLabel, .domain),
        (tooLongAddress, .length),
    ]

    @Test("3.2: malformed e-mail addresses are refused with a typed reason", arguments: malformed)
    func refused(text: String, expected: EmailAddressError) {
        #expect(throws: expected) { try EmailAddress(text) }
    }

    @Test("3.2: the 254-character limit is inclusive")
    func lengthLimit() throws {
        // setup
        let domain = String(repeating: "abcdefghi.", count: 24) + "com"  // 243 characters
        let local = String(repeating: "a", count: 254 - 1 - domain.count)
        // act, check
        #expect(try EmailAddress(local + "@" + domain).value.count == 254)
        #expect(throws: EmailAddressError.length) { try EmailAddress("a" + local + "@" + domain) }
    }

    @Test("2.3.2: an e-mail address prints masked")
    func printsMasked() throws {
        // setup
        let address = try EmailAddress("zhang@example.com")
        // act, check
        #expect("\(address)" == "z***@example.com")
        #expect(!String(reflecting: address).contains("zhang"))
    }
}
