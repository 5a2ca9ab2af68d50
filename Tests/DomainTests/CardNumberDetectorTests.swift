import Domain
import Testing

@Suite("Card numbers (PAN) in free text")
struct CardNumberDetectorTests {
    /// Published test card numbers of the major networks.
    static let testPANs = [
        "4111111111111111",  // Visa
        "5555555555554444",  // Mastercard
        "2223003122003222",  // Mastercard 2-series
        "378282246310005",  // American Express (15)
        "6011111111111117",  // Discover
        "3530111333300000",  // JCB
        "6200000000000005",  // UnionPay
        "6200000000000047",  // UnionPay
        "36227206271667",  // Diners Club (14)
        "4222222222222",  // Visa (13)
        "6250941006528599",  // UnionPay
        "6212345678901265",  // UnionPay (16)
        "6212345678900000003",  // UnionPay (19)
    ]

    @Test("2.4.2: Luhn accepts the test card numbers and rejects one-digit changes", arguments: testPANs)
    func luhn(pan: String) {
        // check
        #expect(Luhn.isValid(digits: pan))
        var digits = Array(pan)
        for position in digits.indices {
            let original = digits[position]
            digits[position] = original == "9" ? "0" : Character(String((Int(String(original)) ?? 0) + 1))
            #expect(!Luhn.isValid(digits: String(digits)))
            digits[position] = original
        }
    }

    @Test(
        "2.4.2: Luhn is false for anything that is not at least two ASCII digits",
        arguments: [
            "", "0", "4111 1111 1111 1111", "4111-1111-1111-1111", "４１１１１１１１１１１１１１１１", "abc", "-18",
        ])
    func luhnInput(text: String) {
        #expect(!Luhn.isValid(digits: text))
    }

    @Test("2.4.2: Luhn.checkDigit completes any payload")
    func luhnCheckDigit() throws {
        // setup
        var generator = SeededGenerator(seed: 10)
        for _ in 0..<500 {
            let length = Int.random(in: 1...18, using: &generator)
            let payload = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            // act
            let check = try #require(Luhn.checkDigit(for: payload))
            // check
            #expect(Luhn.isValid(digits: payload + String(check)))
        }
        #expect(Luhn.checkDigit(for: "") == nil)
        #expect(Luhn.checkDigit(for: "12a") == nil)
    }

    @Test("2.4.2: a UUID whose digit groups read as a card number is an identifier, not a card")
    func uuidsAreNotCards() {
        // 41111111-1111-1111-…: read across the hyphens, the first three groups are the Visa test number
        let uuid = "41111111-1111-1111-abcd-0123456789ab"
        #expect(!CardNumberDetector.containsCardNumber(uuid))
        #expect(!CardNumberDetector.containsCardNumber("listing \(uuid.uppercased()) in the cart"))
        // the same digits written as a card still are one, beside a UUID or not
        #expect(CardNumberDetector.containsCardNumber("4111-1111-1111-1111"))
        #expect(CardNumberDetector.containsCardNumber("\(uuid) paid with 4111 1111 1111 1111"))
        #expect(CardNumberDetector.containsCardNumber("41111111-1111-1111-abcd"), "not a whole UUID")
    }

    @Test("2.4.2: card numbers are detected in free text", arguments: testPANs)
    func detected(pan: String) throws {
        // setup
        let spaced = Self.grouped(pan, separator: " ")
        let dashed = Self.grouped(pan, separator: "-")
        let forms = [
            pan, spaced, dashed,
            "my card is \(pan), please charge it",
            "卡号\(pan)，谢谢",
            "卡号：\(spaced)。",
            "{\"note\":\"\(dashed)\",\"qty\":2}",
            "{\"card\":\(pan)}",
            "card=\(pan)&cvv=123",
            "line one\n\(spaced)\nline three",
            "数量 2 \(spaced)",
            "\(pan)x",
            Self.fullWidth(pan),
        ]
        for text in forms {
            // act
            let found = CardNumberDetector.matches(in: text)
            // check
            #expect(CardNumberDetector.containsCardNumber(text), "not detected: \(text)")
            let match = try #require(found.first, "no match in \(text)")
            #expect(match.digitCount == pan.count)
            #expect(match.lastFour == String(pan.suffix(4)))
            let matched = String(text.unicodeScalars[match.range])
            #expect(Self.digits(of: matched) == pan, "\(matched) in \(text)")
        }
    }

    @Test("2.4.2: several card numbers in one text are all found, and redaction keeps only the last four")
    func severalAndRedacted() {
        // setup
        let text = "Visa 4111 1111 1111 1111 and MC 5555-5555-5555-4444; Amex 378282246310005."
        // act
        let found = CardNumberDetector.matches(in: text)
        let redacted = CardNumberDetector.redacting(text)
        // check
        #expect(found.map(\.lastFour) == ["1111", "4444", "0005"])
        #expect(redacted == "Visa **** 1111 and MC **** 4444; Amex **** 0005.")
        #expect(!CardNumberDetector.containsCardNumber(redacted))
        #expect(CardNumberDetector.redacting("no cards here 2024-01-15") == "no cards here 2024-01-15")
    }

    @Test("2.4.2: adjacent card numbers separated only by spaces are both found")
    func adjacent() {
        // setup
        let text = "4111 1111 1111 1111 5555 5555 5555 4444"
        // act
        let found = CardNumberDetector.matches(in: text)
        // check
        #expect(found.map(\.lastFour) == ["1111", "4444"])
    }

    @Test("2.3.4: valid resident IDs are not card numbers, even from Gansu (62…) passing Luhn")
    func residentIDsNotFlagged() {
        // setup: valid Gansu IDs that also pass Luhn, i.e. look exactly like UnionPay cards
        let lookalikes = Fixtures.gansuIDsPassingLuhn() + Fixtures.gansuIDsPassingLuhn(birth: "20011231")
        #expect(lookalikes.count >= 100)
        for id in lookalikes {
            #expect(ResidentID.isValid(id, now: Fixtures.now))
            for text in [id, "身份证号 \(id) 电话 13800138000", "{\"idNumber\":\"\(id)\"}"] {
                // act, check
                #expect(!CardNumberDetector.containsCardNumber(text), "flagged: \(text)")
                #expect(!CardNumberDetector.containsCardNumber(text, options: .anyPrefix), "flagged: \(text)")
            }
        }
    }

    @Test("2.3.4: resident IDs ending in X are not card numbers either")
    func residentIDsWithX() {
        // setup: IDs whose first 17 digits pass Luhn on their own
        let ids = (0..<1000).map { Fixtures.residentID(region: "620102", birth: "19850615", sequence: $0) }
            .filter { $0.hasSuffix("X") && Luhn.isValid(digits: $0.dropLast()) }
        #expect(!ids.isEmpty)
        for id in ids {
            // act, check
            #expect(!CardNumberDetector.containsCardNumber("ID: \(id)."), "flagged: \(id)")
            #expect(!CardNumberDetector.containsCardNumber(id.lowercased()), "flagged: \(id)")
        }
    }

    @Test("2.4.2: an 18-digit number with an impossible birth date is still a card candidate")
    func notAnIDIsStillACard() throws {
        // setup: 62 + digits, valid Luhn, positions 7–14 "99999999" cannot be a birth date
        let payload = "62010299999999123"
        let pan = payload + String(try #require(Luhn.checkDigit(for: payload)))
        // act, check
        #expect(CardNumberDetector.containsCardNumber("UnionPay \(pan)"))
    }

    @Test(
        "2.4.2: numbers that are not cards are not flagged",
        arguments: [
            "Order 202401151234567890 shipped",  // order number (18 digits, date prefix)
            "订单号 2024011512345674",  // date-based order number, Luhn-valid, no card prefix
            "Call 138 0013 8000 or +86 139-0013-9000",
            "13800138000 13900139000 13700137000",
            "On 2024-01-15 at 12:30:45, 2024-01-16 12 30 45",
            "1700000000000",  // millisecond timestamp
            "ts=1700000000123&next=1700000000456",
            "4111111111111111111111111",  // 25 consecutive digits
            "41111111111111110",  // 17 digits containing a card
            "price 0.4111111111111111 and 4111111111111111.5",  // decimal numbers
            "{\"lat\":39.904200000000003,\"lng\":116.40739999999999}",
            "4111 1111 1111 111",  // 15 digits, not Luhn
            "41 11 11 11 11 11 11 11",  // groups too short to be a card layout
            "4111  1111  1111  1111",  // double spaces break the number
            "4111--1111--1111--1111",
            "4111.1111.1111.1111",
            "550e8400-e29b-41d4-a716-446655440000",  // a UUID
            "v1.2.3 build 20240115",
        ])
    func notFlagged(text: String) {
        #expect(!CardNumberDetector.containsCardNumber(text), "flagged: \(text)")
        #expect(CardNumberDetector.matches(in: text).isEmpty)
    }

    @Test("2.4.2: 13-digit numbers that fail Luhn are never flagged")
    func randomNonLuhn() {
        // setup
        var generator = SeededGenerator(seed: 13)
        var checked = 0
        while checked < 2000 {
            let digits = String((0..<13).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            guard !Luhn.isValid(digits: digits) else { continue }
            checked += 1
            // act, check
            #expect(!CardNumberDetector.containsCardNumber(digits, options: .anyPrefix), "\(digits)")
            #expect(!CardNumberDetector.containsCardNumber("ref \(digits) ok", options: .anyPrefix))
        }
    }

    @Test(
        "2.4.2: the issuer-prefix rule only drops prefixes no card network uses",
        arguments: [
            ("1700000000004", false),  // millisecond-timestamp-like, Luhn-valid
            ("2024011512345674", false),  // date-based order number, Luhn-valid
            ("9111111111111110", false),
            ("2200000000000004", true),  // Mir
            ("2720990000000007", true),  // Mastercard 2-series upper end
            ("8171999927660000", true),  // UnionPay 81
        ])
    func issuerPrefix(number: String, expected: Bool) {
        // check
        #expect(Luhn.isValid(digits: number))
        #expect(CardNumberDetector.containsCardNumber(number) == expected)
        #expect(CardNumberDetector.containsCardNumber(number, options: .anyPrefix))
    }

    @Test("2.4.2: random generated card numbers of every length are detected when grouped by four")
    func generatedPANs() throws {
        // setup
        var generator = SeededGenerator(seed: 4242)
        for _ in 0..<500 {
            let length = Int.random(in: 13...19, using: &generator)
            var payload = ["3", "4", "5", "6"][Int.random(in: 0..<4, using: &generator)]
            while payload.count < length - 1 { payload += String(Int.random(in: 0...9, using: &generator)) }
            let pan = payload + String(try #require(Luhn.checkDigit(for: payload)))
            if pan.count == 18, ResidentID.isValid(pan, now: Fixtures.now) { continue }
            // act, check
            #expect(CardNumberDetector.containsCardNumber("pay with \(Self.grouped(pan, separator: " "))"), "\(pan)")
            #expect(CardNumberDetector.containsCardNumber("\"\(pan)\""), "\(pan)")
        }
    }

    // MARK: Helpers

    static func grouped(_ pan: String, separator: String) -> String {
        if pan.count == 15 {  // Amex layout 4-6-5
            let characters = Array(pan)
            return [characters[0..<4], characters[4..<10], characters[10...]].map { String($0) }
                .joined(separator: separator)
        }
        var groups: [String] = []
        var rest = Substring(pan)
        while !rest.isEmpty {
            groups.append(String(rest.prefix(4)))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: separator)
    }

    static func fullWidth(_ digits: String) -> String {
        String(String.UnicodeScalarView(digits.unicodeScalars.compactMap { Unicode.Scalar($0.value + 0xFEE0) }))
    }

    static func digits(of text: String) -> String {
        String(
            text.unicodeScalars.compactMap { scalar -> Character? in
                switch scalar.value {
                case 0x30...0x39: Character(scalar)
                case 0xFF10...0xFF19: Unicode.Scalar(scalar.value - 0xFEE0).map(Character.init)
                default: nil
                }
            })
    }
}
