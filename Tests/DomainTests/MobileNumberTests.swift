import Domain
import Testing

@Suite("Mainland mobile numbers")
struct MobileNumberTests {
    @Test(
        "2.3.4: mobile numbers in common written forms normalise to 11 digits",
        arguments: [
            "13800138000", " 13800138000 ", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000",
            "+8613800138000", "86 13800138000", "8613800138000", "0086 138-0013-8000", "+86-138-0013-8000",
            "１３８００１３８０００", "＋８６　１３８００１３８０００",
        ])
    func accepted(text: String) throws {
        // act
        let number = try MobileNumber(text)
        // check
        #expect(number.value == "13800138000")
        #expect(number.e164 == "+8613800138000")
    }

    @Test("2.3.4: every 1[3-9] prefix is a mobile prefix", arguments: 3...9)
    func prefixes(second: Int) throws {
        #expect(try MobileNumber("1\(second)012345678").value == "1\(second)012345678")
    }

    @Test(
        "2.3.4: non-mobile numbers are refused with a typed reason",
        arguments: [
            ("", MobileNumberError.empty),
            ("   ", .empty),
            ("12800138000", .prefix),
            ("10800138000", .prefix),
            ("23800138000", .prefix),
            ("1380013800", .length),
            ("138001380000", .length),
            ("861380013800", .length),
            ("+1 415 555 0100", .countryCode),
            ("+44 13800138000", .countryCode),
            ("138001380a0", .characters),
            ("(138)00138000", .characters),
            ("138.0013.8000", .characters),
            ("1380013800+", .characters),
            ("++8613800138000", .characters),
            ("138\u{0}0013800", .characters),
            ("\u{202E}13800138000", .characters),
        ])
    func refused(text: String, expected: MobileNumberError) {
        #expect(throws: expected) { try MobileNumber(text) }
    }

    @Test("2.3.2: a mobile number prints masked")
    func printsMasked() throws {
        // setup
        let number = try MobileNumber("13800138000")
        // act
        let printed = "\(number)"
        var dumped = ""
        dump(number, to: &dumped)
        // check
        #expect(printed == "138****8000")
        #expect(!String(reflecting: number).contains("13800138000"))
        #expect(!dumped.contains("13800138000"))
    }
}
