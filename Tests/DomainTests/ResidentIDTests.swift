import Domain
import Foundation
import Testing

@Suite("Resident ID numbers (GB 11643-1999)")
struct ResidentIDTests {
    @Test(
        "2.3.4: resident ID check digit (GB 11643)",
        arguments: [
            "11010519491231002X",  // the example printed in GB 11643-1999
            "110105194912310029",  // wrong check character
            "440308199001011235",
            "620102199001011232",
        ])
    func checkDigit(number: String) throws {
        // setup
        let first17 = number.prefix(17)
        // act
        let check = ResidentID.checkCharacter(for: first17)
        // check
        let computed = try #require(check)
        #expect(ResidentID.isValid(String(first17) + String(computed), now: Fixtures.now))
        #expect(ResidentID.isValid(number, now: Fixtures.now) == (number.last == computed))
    }

    @Test("2.3.4: a valid resident ID parses, normalises x to X and exposes the birth date")
    func parsesAndNormalises() throws {
        // setup
        let text = "  11010519491231002x "
        // act
        let id = try ResidentID(text, now: Fixtures.now)
        // check
        #expect(id.value == "11010519491231002X")
        #expect(id.birthDate == CalendarDate(year: 1949, month: 12, day: 31))
        #expect(id.birthDateComponents.year == 1949)
        #expect(id.birthDateComponents.month == 12)
        #expect(id.birthDateComponents.day == 31)
        #expect(id.regionCode == "110105")
        #expect(id.checkCharacter == "X")
        #expect(id.age(on: CalendarDate(year: 2026, month: 5, day: 29) ?? id.birthDate) == 76)
    }

    @Test("2.3.4: full-width digits typed with a Chinese IME are accepted")
    func fullWidth() throws {
        // setup
        let text = "１１０１０５１９４９１２３１００２Ｘ"
        // act
        let id = try ResidentID(text, now: Fixtures.now)
        // check
        #expect(id.value == "11010519491231002X")
    }

    @Test(
        "2.3.4: malformed resident IDs are refused with a typed reason",
        arguments: [
            ("", ResidentIDError.length),
            ("11010519491231002", .length),
            ("11010519491231002XX", .length),
            ("11010519491231002Y", .characters),
            ("1101051949123100AX", .characters),
            ("110105194912310\u{301}02X", .characters),  // 18 characters, one with a combining mark
            ("11010519491231 02X", .characters),
            ("110105194912310021", .checkDigit),
        ])
    func refused(text: String, expected: ResidentIDError) {
        // act, check
        #expect(throws: expected) { try ResidentID(text, now: Fixtures.now) }
    }

    @Test(
        "2.3.4: the birth date must be real, from 1900 on and not in the future",
        arguments: [
            "19900230",  // 30 February
            "19001301",  // month 13
            "20230229",  // not a leap year
            "18991231",  // before 1900
            "20260530",  // the day after "now" in China Standard Time
            "20991231",
            "00000000",
        ])
    func birthDate(birth: String) {
        // setup
        let number = Fixtures.residentID(birth: birth, sequence: 12)
        // act, check
        #expect(throws: ResidentIDError.birthDate) { try ResidentID(number, now: Fixtures.now) }
    }

    @Test(
        "2.3.4: edge birth dates that are real are accepted",
        arguments: [
            "19000101", "20000229", "20260529",  // 2026-05-29 is "today" in China at Fixtures.now
        ])
    func edgeBirthDates(birth: String) throws {
        // setup
        let number = Fixtures.residentID(birth: birth, sequence: 7)
        // act
        let id = try ResidentID(number, now: Fixtures.now)
        // check
        let expected = "\(birth.prefix(4))-\(birth.dropFirst(4).prefix(2))-\(birth.suffix(2))"
        #expect(id.birthDate.description == expected)
    }

    @Test("2.3.4: every generated resident ID passes and every single-character mutation fails")
    func mutations() {
        // setup
        var generator = SeededGenerator(seed: 11643)
        let regions = ["110105", "310104", "440305", "620102", "650102"]
        for _ in 0..<200 {
            let year = Int.random(in: 1900...2025, using: &generator)
            let month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...28, using: &generator)
            let birth = String(year) + Fixtures.threeDigits(month).suffix(2) + Fixtures.threeDigits(day).suffix(2)
            let region = regions[Int.random(in: 0..<regions.count, using: &generator)]
            let sequence = Int.random(in: 0...999, using: &generator)
            let number = Fixtures.residentID(region: region, birth: birth, sequence: sequence)
            // act, check: the generated number passes
            #expect(ResidentID.isValid(number, now: Fixtures.now), "\(number)")
            // act, check: any change of one character fails (MOD 11-2 catches every single substitution)
            var characters = Array(number)
            for position in characters.indices {
                let original = characters[position]
                for replacement in Array("0123456789X") where replacement != original {
                    if position < 17, replacement == "X" { continue }
                    characters[position] = replacement
                    #expect(!ResidentID.isValid(String(characters), now: Fixtures.now), "\(String(characters))")
                }
                characters[position] = original
            }
        }
    }

    @Test(
        "2.3.4: checkCharacter(for:) refuses anything but 17 ASCII digits",
        arguments: [
            "", "1101051949123100", "110105194912310021", "1101051949123100X", "１１０１０５１９４９１２３１００２",
        ])
    func checkCharacterInput(first17: String) {
        #expect(ResidentID.checkCharacter(for: first17) == nil)
    }

    @Test("2.3.2: a resident ID prints masked and errors never echo the input")
    func printsMasked() throws {
        // setup
        let id = try ResidentID("11010519491231002X", now: Fixtures.now)
        // act
        let printed = "\(id)"
        let debugPrinted = String(reflecting: id)
        var dumped = ""
        dump(id, to: &dumped)
        // check
        #expect(printed == "1****************X")
        #expect(!debugPrinted.contains("19491231"))
        #expect(!dumped.contains("19491231"))
        for error in [ResidentIDError.length, .characters, .checkDigit, .birthDate] {
            #expect(!error.message.isEmpty)
            #expect(error.description == error.message)
        }
    }
}
