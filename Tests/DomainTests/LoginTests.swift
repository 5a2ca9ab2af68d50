import Domain
import Testing

@Suite("Logins")
struct LoginTests {
    @Test(
        "3.2: a login is a mobile number or an e-mail address",
        arguments: [
            ("+86 138-0013-8000", "13800138000", true),
            ("13800138000", "13800138000", true),
            ("Zhang@Example.com", "Zhang@example.com", false),
        ])
    func parses(text: String, normalized: String, isPhone: Bool) throws {
        // act
        let login = try Login(text)
        // check
        #expect(login.normalized == normalized)
        if case .phone = login { #expect(isPhone) } else { #expect(!isPhone) }
    }

    @Test("3.2: a login's lookup key ignores e-mail case")
    func lookupKey() throws {
        #expect(try Login("Zhang@Example.com").lookupKey == "zhang@example.com")
        #expect(try Login("138 0013 8000").lookupKey == "13800138000")
    }

    @Test(
        "3.2: a bad login says what was wrong",
        arguments: [
            ("", LoginError.empty),
            ("  ", .empty),
            ("12345", .phone(.length)),
            ("12800138000", .phone(.prefix)),
            ("zhang", .email(.missingAt)),
            ("zhang@", .email(.domain)),
            ("张三", .email(.missingAt)),
        ])
    func refused(text: String, expected: LoginError) {
        // act, check
        #expect(throws: expected) { try Login(text) }
        #expect(!expected.message.isEmpty)
    }

    @Test("2.3.2: a login is masked by kind")
    func masked() throws {
        #expect(Masking.mask(login: try Login("13800138000")) == "138****8000")
        #expect(Masking.mask(login: try Login("zhang@example.com")) == "z***@example.com")
        #expect("\(try Login("13800138000"))" == "138****8000")
    }
}
