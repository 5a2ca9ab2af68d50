#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// A mainland resident identity card number (GB 11643-1999), checked with ISO 7064 MOD 11-2
/// (clause 2.3.4: real-name verification).
///
/// Eighteen characters: a six-digit region code, the birth date `YYYYMMDD`, a three-digit
/// sequence number and a check character (`0`–`9` or `X`). Printing the value shows it masked.
public struct ResidentID: Sendable, Hashable {
    /// The normalised number: 17 digits and an uppercase check character.
    public let value: String
    /// The birth date encoded in positions 7–14.
    public let birthDate: CalendarDate

    /// The weights for positions 1–17.
    static let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    /// The check character for each value of the weighted sum mod 11.
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
    /// The earliest accepted birth year.
    public static let earliestBirthYear = 1900

    /// Parses and validates a resident ID number.
    ///
    /// Surrounding white space is ignored, full-width digits are folded to ASCII and a lowercase
    /// `x` is accepted. The birth date must be a real date from 1900 on and not after the
    /// day of `now` in China Standard Time.
    /// - Throws: `ResidentIDError` naming the first rule the input breaks.
    public init(_ text: String, now: Date) throws(ResidentIDError) {
        let candidate = TextScan.foldingFullWidth(TextScan.trimmed(text))
        let values = try Self.checkedValues(candidate)
        guard let date = Self.birthDate(in: values), date.year >= Self.earliestBirthYear,
            date <= CalendarDate.on(now)
        else { throw .birthDate }
        self.value = String(candidate.uppercased())
        self.birthDate = date
    }

    /// Whether `text` is a valid resident ID number at `now`.
    public static func isValid(_ text: String, now: Date) -> Bool {
        (try? ResidentID(text, now: now)) != nil
    }

    /// The check character for the first 17 digits, or `nil` unless `first17` is exactly
    /// 17 ASCII digits. Useful to generate test numbers.
    public static func checkCharacter(for first17: some StringProtocol) -> Character? {
        guard let values = TextScan.asciiDigitValues(first17), values.count == 17 else { return nil }
        return checkCharacter(forValues: values)
    }

    /// The six-digit administrative region code (positions 1–6).
    public var regionCode: String { String(value.prefix(6)) }

    /// The birth date as `DateComponents` (year, month, day).
    public var birthDateComponents: DateComponents { birthDate.dateComponents }

    /// The holder's age in whole years on `date`.
    public func age(on date: CalendarDate) -> Int { birthDate.years(until: date) }

    /// The check character of the number (position 18).
    public var checkCharacter: Character { value.last ?? "0" }

    // MARK: - Internals shared with the card-number detector

    static func checkCharacter(forValues values: some Collection<UInt8>) -> Character {
        var sum = 0
        for (value, weight) in zip(values, weights) { sum += Int(value) * weight }
        return checkCharacters[sum % 11]
    }

    /// Whether 17 digit values plus a check character form a number with a correct check
    /// character and a real birth date from 1900 on (no upper bound: no clock is available).
    static func isPlausible(first17 values: [UInt8], check: Character) -> Bool {
        guard values.count == 17, checkCharacter(forValues: values) == check,
            let date = birthDate(in: values)
        else { return false }
        return date.year >= earliestBirthYear
    }

    /// Validates length, characters and check character; returns the 17 digit values.
    private static func checkedValues(_ candidate: String) throws(ResidentIDError) -> [UInt8] {
        let bytes = Array(candidate.utf8.prefix(19))
        guard bytes.count == 18, bytes.allSatisfy({ $0 < 0x80 }) else {
            throw TextScan.hasCharacterCount(candidate, 18) ? .characters : .length
        }
        var values: [UInt8] = []
        values.reserveCapacity(17)
        for byte in bytes.prefix(17) {
            guard let value = TextScan.digitValue(ofASCII: byte) else { throw .characters }
            values.append(value)
        }
        let check: Character
        switch bytes[17] {
        case 0x30...0x39: check = Character(Unicode.Scalar(bytes[17]))
        case UInt8(ascii: "X"), UInt8(ascii: "x"): check = "X"
        default: throw .characters
        }
        guard checkCharacter(forValues: values) == check else { throw .checkDigit }
        return values
    }

    private static func birthDate(in values: [UInt8]) -> CalendarDate? {
        guard values.count >= 14 else { return nil }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(values[$1]) } }
        return CalendarDate(year: number(6..<10), month: number(10..<12), day: number(12..<14))
    }
}

extension ResidentID: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked number (`1****************X`), so interpolation never leaks it.
    public var description: String { Masking.mask(residentID: self) }
    /// The masked number.
    public var debugDescription: String { "ResidentID(\(description))" }
    /// A mirror that shows only the masked number.
    public var customMirror: Mirror { Mirror(self, children: ["masked": description]) }
}

/// Why a resident ID number was refused.
public enum ResidentIDError: HumanReadableError {
    /// Not 18 characters long.
    case length
    /// Contains something other than 17 digits followed by a digit or `X`.
    case characters
    /// The check character does not match the first 17 digits.
    case checkDigit
    /// The birth date is not a real date, is before 1900 or is in the future.
    case birthDate

    /// The human-readable message.
    public var message: String {
        switch self {
        case .length: "A resident ID number has 18 characters."
        case .characters: "A resident ID number is 17 digits followed by a digit or X."
        case .checkDigit: "The resident ID number's check character is wrong; please check the number."
        case .birthDate: "The birth date in the resident ID number is not a valid date."
        }
    }
}
