import Domain
import Foundation
import Testing

/// Property-style checks: nothing in Domain traps, whatever the input ("a crash on input is a security bug").
@Suite("Robustness on arbitrary input")
struct RobustnessTests {
    @Test("2.2: validators and the detector never trap on random text")
    func randomText() {
        // setup
        var generator = SeededGenerator(seed: 2024)
        for _ in 0..<3000 {
            let text = Fixtures.randomText(length: Int.random(in: 0...60, using: &generator), using: &generator)
            // act: every entry point that takes user text
            _ = try? ResidentID(text, now: Fixtures.now)
            _ = SocialCreditCode.check(text)
            _ = try? MobileNumber(text)
            _ = try? EmailAddress(text)
            _ = try? Login(text)
            _ = Luhn.isValid(digits: text)
            _ = Luhn.checkDigit(for: text)
            _ = try? Money(parsing: text, currency: .cny)
            _ = try? TextInput.validate(text, maximumLength: 30, multiline: true)
            _ = ID<RobustnessTests>(rawValue: text)
            let matches = CardNumberDetector.matches(in: text)
            let redacted = CardNumberDetector.redacting(text)
            // check: matches are ordered, non-overlapping, inside the text, and redaction removes them
            var previousEnd = text.startIndex
            for match in matches {
                #expect(match.range.lowerBound >= previousEnd)
                #expect(match.range.upperBound <= text.endIndex)
                #expect(CardNumberDetector.digitCounts.contains(match.digitCount))
                previousEnd = match.range.upperBound
            }
            #expect(CardNumberDetector.containsCardNumber(text) == !matches.isEmpty)
            #expect(!CardNumberDetector.containsCardNumber(redacted), "\(text.debugDescription)")
        }
    }

    @Test("2.2: invalid UTF-8 decoded with replacement characters is handled")
    func invalidUTF8() {
        // setup
        let bytes: [UInt8] = [0x34, 0x31, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0x34, 0x31, 0x31, 0x31, 0xED, 0xA0, 0x80]
        let text = String(decoding: bytes + Array("4111111111111111".utf8), as: UTF8.self)
        // act, check
        #expect(CardNumberDetector.containsCardNumber(text))
        #expect(!EmailAddress.isValid(text))
        #expect(!MobileNumber.isValid(text))
        #expect(throws: TextInputError.self) { try TextInput.validate(text, maximumLength: 5) }
    }

    @Test("2.4.2: the detector is linear on huge and adversarial input")
    func hugeInput() {
        // setup: long digit runs, long chains of short groups, long chains of 4-digit groups
        let inputs = [
            String(repeating: "4", count: 1_000_000),
            String(repeating: "1 ", count: 500_000),
            String(repeating: "4111 ", count: 200_000),
            String(repeating: "4111-1111-1111-1111 ", count: 20_000),
            String(repeating: "张三 13800138000 ", count: 50_000),
            String(repeating: "\u{301}", count: 200_000) + "4111111111111111",
        ]
        let expectedCounts = [0, 0, 0, 20_000, 0, 1]
        for (input, expected) in zip(inputs, expectedCounts) {
            // act
            let clock = ContinuousClock()
            var count = -1
            let elapsed = clock.measure { count = CardNumberDetector.matches(in: input).count }
            // check
            #expect(count == expected)
            #expect(elapsed < .seconds(20), "took \(elapsed)")
        }
    }

    @Test("2.2: huge strings are refused by every validator without trapping")
    func hugeValidators() {
        // setup
        let huge = String(repeating: "1", count: 1_000_000)
        let hugeMarks = "1" + String(repeating: "\u{301}", count: 100_000)
        for text in [huge, hugeMarks, huge + "@example.com"] {
            // act, check
            #expect(!ResidentID.isValid(text, now: Fixtures.now))
            #expect(SocialCreditCode.check(text) == .invalid(.length))
            #expect(!MobileNumber.isValid(text))
            #expect(!EmailAddress.isValid(text))
            #expect((try? Login(text)) == nil)
            #expect((try? Money(parsing: text, currency: .cny)) == nil)
        }
    }

    @Test("2.3.4: odd instants never trap the calendar")
    func oddInstants() {
        // setup
        let instants = [
            Date.distantPast, Date.distantFuture, Date(timeIntervalSince1970: .infinity),
            Date(timeIntervalSince1970: -.infinity), Date(timeIntervalSince1970: .nan),
            Date(timeIntervalSince1970: 1e300), Date(timeIntervalSince1970: -1e300),
        ]
        for instant in instants {
            // act
            let day = CalendarDate.on(instant)
            // check
            #expect((1...9999).contains(day.year))
            _ = ResidentID.isValid("11010519491231002X", now: instant)
        }
        #expect(CalendarDate.on(Date(timeIntervalSince1970: 0)) == CalendarDate(year: 1970, month: 1, day: 1))
        #expect(CalendarDate.on(Date(timeIntervalSince1970: 57_600)) == CalendarDate(year: 1970, month: 1, day: 2))
        #expect(CalendarDate.on(Date(timeIntervalSince1970: -1)) == CalendarDate(year: 1970, month: 1, day: 1))
        #expect(
            CalendarDate.on(Date(timeIntervalSince1970: -1), utcOffsetSeconds: 0)
                == CalendarDate(year: 1969, month: 12, day: 31))
    }

    @Test("2.3.4: the calendar round-trips every day from 1900 to 2100")
    func calendarRoundTrip() {
        // setup
        var day = CalendarDate(year: 1900, month: 1, day: 1)
        var seconds: Double = -2_208_988_800  // 1900-01-01T00:00:00Z
        while let current = day, current.year <= 2100 {
            // act
            let computed = CalendarDate.on(Date(timeIntervalSince1970: seconds + 43_200), utcOffsetSeconds: 0)
            // check
            #expect(computed == current)
            if computed != current { break }
            seconds += 86_400
            day =
                CalendarDate(year: current.year, month: current.month, day: current.day + 1)
                ?? CalendarDate(year: current.year, month: current.month + 1, day: 1)
                ?? CalendarDate(year: current.year + 1, month: 1, day: 1)
        }
    }
}
