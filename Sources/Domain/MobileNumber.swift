/// A mainland China mobile number: 11 digits, `1[3-9]` then nine digits.
///
/// Parsing accepts an optional `+86`, `86` or `0086` country prefix, spaces and dashes, and
/// full-width digits; the value is always the bare 11 digits. Printing it shows it masked.
public struct MobileNumber: Sendable, Hashable {
    /// The normalised 11 digits.
    public let value: String

    /// Parses a mobile number.
    /// - Throws: `MobileNumberError` naming the first rule the input breaks.
    public init(_ text: String) throws(MobileNumberError) {
        let folded = TextScan.foldingFullWidth(TextScan.trimmed(text))
        guard !folded.isEmpty else { throw .empty }
        guard !TextScan.hasMoreCharacters(folded, than: 32) else { throw .length }
        var digits: [UInt8] = []
        var sawPlus = false
        for byte in folded.utf8 {
            switch byte {
            case 0x30...0x39:
                digits.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"):
                continue
            case UInt8(ascii: "+") where digits.isEmpty && !sawPlus:
                sawPlus = true
            default:
                throw .characters
            }
        }
        if sawPlus {
            guard digits.starts(with: Array("86".utf8)) else { throw .countryCode }
            digits.removeFirst(2)
        } else if digits.count == 13, digits.starts(with: Array("86".utf8)) {
            digits.removeFirst(2)
        } else if digits.count == 15, digits.starts(with: Array("0086".utf8)) {
            digits.removeFirst(4)
        }
        guard digits.count == 11 else { throw .length }
        guard digits[0] == UInt8(ascii: "1"), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(digits[1])
        else { throw .prefix }
        self.value = String(decoding: digits, as: UTF8.self)
    }

    /// Whether `text` parses as a mainland mobile number.
    public static func isValid(_ text: String) -> Bool {
        (try? MobileNumber(text)) != nil
    }

    /// The number in E.164 form, `+86` followed by the 11 digits.
    public var e164: String { "+86" + value }
}

extension MobileNumber: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked number (`138****8000`), so interpolation never leaks it.
    public var description: String { Masking.mask(phone: self) }
    /// The masked number.
    public var debugDescription: String { "MobileNumber(\(description))" }
    /// A mirror that shows only the masked number.
    public var customMirror: Mirror { Mirror(self, children: ["masked": description]) }
}

/// Why a mobile number was refused.
public enum MobileNumberError: HumanReadableError {
    /// Nothing was entered.
    case empty
    /// Contains something other than digits, spaces, dashes and a leading `+`.
    case characters
    /// A country code other than China's (+86).
    case countryCode
    /// Not 11 digits (after removing the country code).
    case length
    /// Does not start with 13–19.
    case prefix

    /// The human-readable message.
    public var message: String {
        switch self {
        case .empty: "Please enter a mobile number."
        case .characters: "A mobile number may contain only digits, spaces, dashes and a leading +86."
        case .countryCode: "Only mainland China mobile numbers (+86) are accepted."
        case .length: "A mainland mobile number has 11 digits."
        case .prefix: "A mainland mobile number starts with 13 to 19."
        }
    }
}
