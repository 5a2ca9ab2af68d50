import Domain
import Testing

@Suite("Unified social credit codes (GB 32100-2015)")
struct SocialCreditCodeTests {
    @Test(
        "2.3.4: business licence code check character (GB 32100)",
        arguments: [
            "91350100M000100Y43", "914403001922038216", "91310000132200821H",
        ])
    func validCodes(code: String) throws {
        // act
        let result = SocialCreditCode.check(code)
        let computed = SocialCreditCode.checkCharacter(for: code.prefix(17))
        // check
        guard case .valid(let parsed) = result else {
            Issue.record("expected valid, got \(result)")
            return
        }
        #expect(parsed.value == code)
        #expect(parsed.isCheckCharacterValid)
        #expect(computed == code.last)
    }

    @Test("2.3.4: a code is normalised to uppercase and exposes its parts")
    func normalises() throws {
        // act
        let result = SocialCreditCode.check(" 91350100m000100y43\n")
        // check
        guard case .valid(let code) = result else {
            Issue.record("expected valid, got \(result)")
            return
        }
        #expect(code.value == "91350100M000100Y43")
        #expect(code.registrationAuthority == "9")
        #expect(code.regionCode == "350100")
        #expect("\(code)" == "91350100M000100Y43")
    }

    @Test("2.3.4: a check-character mismatch goes to manual review, not refusal")
    func mismatchNeedsReview() throws {
        // setup
        let code = "91110000100000000Y"  // well-formed; its check character should be R
        // act
        let result = SocialCreditCode.check(code)
        let accepted = SocialCreditCode.acceptedAfterReview(code)
        // check
        #expect(result == .needsManualReview(code, .checkCharacterMismatch))
        let reviewed = try #require(accepted)
        #expect(!reviewed.isCheckCharacterValid)
        #expect(reviewed.value == code)
        #expect(SocialCreditCode.checkCharacter(for: code.prefix(17)) == "R")
    }

    @Test(
        "2.3.4: malformed codes are refused outright",
        arguments: [
            ("", SocialCreditCodeError.length),
            ("91350100M000100Y4", .length),
            ("91350100M000100Y433", .length),
            ("91350100I000100Y43", .characters),  // I is not in the alphabet
            ("91350100O000100Y43", .characters),
            ("91350100S000100Y43", .characters),
            ("91350100V000100Y43", .characters),
            ("91350100Z000100Y43", .characters),
            ("91350100M000100Y4 ", .length),  // trimmed to 17
            ("9135010 M000100Y43", .characters),
            ("91350100M000100Y4张", .characters),
        ])
    func malformed(text: String, expected: SocialCreditCodeError) {
        // act
        let result = SocialCreditCode.check(text)
        // check
        #expect(result == .invalid(expected))
        #expect(SocialCreditCode.acceptedAfterReview(text) == nil)
    }

    @Test("2.3.4: every generated code is valid and every single substitution is caught")
    func generatedCodes() throws {
        // setup
        var generator = SeededGenerator(seed: 32100)
        let alphabet = SocialCreditCode.alphabet
        for _ in 0..<200 {
            let first17 = String((0..<17).map { _ in alphabet[Int.random(in: 0..<31, using: &generator)] })
            let check = try #require(SocialCreditCode.checkCharacter(for: first17))
            let code = first17 + String(check)
            // act, check
            guard case .valid = SocialCreditCode.check(code) else {
                Issue.record("generated code \(code) is not valid")
                continue
            }
            var characters = Array(code)
            let position = Int.random(in: 0..<18, using: &generator)
            let original = characters[position]
            for replacement in alphabet where replacement != original {
                characters[position] = replacement
                #expect(
                    SocialCreditCode.check(String(characters))
                        == .needsManualReview(
                            String(characters), .checkCharacterMismatch))
            }
        }
    }

    @Test(
        "2.3.4: checkCharacter(for:) refuses anything but 17 alphabet characters",
        arguments: [
            "", "91350100M000100Y", "91350100M000100Y43", "91350100m000100Y4", "91350100I000100Y4",
        ])
    func checkCharacterInput(first17: String) {
        #expect(SocialCreditCode.checkCharacter(for: first17) == nil)
    }
}
