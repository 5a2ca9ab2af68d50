import Domain
import Testing

@Suite("User text input")
struct TextInputTests {
    @Test(
        "2.2: single-line text is trimmed and accepted",
        arguments: [
            ("  Hello  ", "Hello"),
            ("\u{3000}张三\u{3000}", "张三"),
            ("e\u{301}mile", "e\u{301}mile"),
            ("👨‍👩‍👧 family", "👨‍👩‍👧 family"),
            ("tab\u{200D}join", "tab\u{200D}join"),
        ])
    func singleLine(text: String, expected: String) throws {
        #expect(try TextInput.validate(text, maximumLength: 20) == expected)
    }

    @Test("2.2: multi-line text keeps tabs and normalises line breaks to \\n")
    func multiline() throws {
        // setup
        let rules = TextInput.multiline(maximumLength: 100)
        // act
        let result = try rules.validate("\r\nline 1\r\n\tline 2\rline 3\nline 4\u{2028}end\n\n")
        // check
        #expect(result == "line 1\n\tline 2\nline 3\nline 4\nend")
    }

    @Test(
        "2.2: control characters, bidi overrides and stray line breaks are refused",
        arguments: [
            ("a\u{0}b", false, TextInputError.controlCharacter),
            ("a\u{7}b", true, .controlCharacter),
            ("a\u{1B}[31mb", true, .controlCharacter),
            ("a\u{7F}b", false, .controlCharacter),
            ("a\u{85}b", false, .controlCharacter),
            ("a\u{9B}b", true, .controlCharacter),
            ("invoice\u{202E}fdp.exe", false, .controlCharacter),
            ("a\u{2066}b", true, .controlCharacter),
            ("a\tb", false, .controlCharacter),
            ("a\nb", false, .lineBreak),
            ("a\r\nb", false, .lineBreak),
            ("a\u{2029}b", false, .lineBreak),
            ("", false, .empty),
            (" \n\t\u{3000} ", true, .empty),
        ])
    func refused(text: String, multiline: Bool, expected: TextInputError) {
        #expect(throws: expected) { try TextInput.validate(text, maximumLength: 50, multiline: multiline) }
    }

    @Test("2.2: the length limit counts characters, not bytes")
    func lengthInCharacters() throws {
        // setup
        let chinese = String(repeating: "张", count: 10)
        let emoji = String(repeating: "👨‍👩‍👧", count: 10)
        // act, check
        #expect(try TextInput.validate(chinese, maximumLength: 10) == chinese)
        #expect(try TextInput.validate(emoji, maximumLength: 10) == emoji)
        #expect(throws: TextInputError.tooLong(maximum: 9)) { try TextInput.validate(chinese, maximumLength: 9) }
        #expect(try TextInput.validate("", maximumLength: 10, allowsEmpty: true) == "")
        #expect(throws: TextInputError.tooLong(maximum: 0)) { try TextInput.validate("a", maximumLength: -3) }
    }

    @Test("2.2: a huge input is refused quickly as too long")
    func huge() {
        // setup
        let huge = String(repeating: "a\u{0}", count: 2_000_000)
        // act, check
        #expect(throws: TextInputError.tooLong(maximum: 1000)) {
            try TextInput.singleLine(maximumLength: 1000).validate(huge)
        }
    }

    @Test("2.2: error messages are human and never echo the input")
    func messages() {
        let errors: [TextInputError] = [.empty, .tooLong(maximum: 80), .lineBreak, .controlCharacter]
        for error in errors {
            #expect(!error.message.isEmpty)
            #expect("\(error)" == error.message)
        }
        #expect(TextInputError.tooLong(maximum: 80).message.contains("80"))
    }
}
