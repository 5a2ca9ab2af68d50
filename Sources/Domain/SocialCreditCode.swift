/// A unified social credit code (GB 32100-2015), the number on a business licence
/// (clause 2.3.4: merchant real-name verification).
///
/// Eighteen characters over `0123456789ABCDEFGHJKLMNPQRTUWXY`: registration authority,
/// organisation type, six-digit region code, nine-character organisation code and a check
/// character. Some lawfully issued early codes fail the check, so a mismatch is routed to
/// manual review (`SocialCreditCodeCheck.needsManualReview`) rather than refused.
public struct SocialCreditCode: Sendable, Hashable, CustomStringConvertible {
    /// The normalised (uppercase) code.
    public let value: String
    /// Whether the check character matches; `false` only for codes accepted by manual review.
    public let isCheckCharacterValid: Bool

    /// The 31-character alphabet, in value order.
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    /// The weights for positions 1–17: `3^(i-1) mod 31`.
    static let weights: [Int] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Checks a code: well-formed with a matching check character is `.valid`; well-formed with
    /// a mismatching one is `.needsManualReview`; anything else is `.invalid`.
    ///
    /// Surrounding white space is ignored, full-width forms are folded and letters uppercased.
    public static func check(_ text: String) -> SocialCreditCodeCheck {
        let candidate = TextScan.foldingFullWidth(TextScan.trimmed(text))
        switch values(of: candidate) {
        case .failure(let error):
            return .invalid(error)
        case .success(let values):
            let normalized = String(candidate.uppercased())
            let expected = checkValue(for: values.prefix(17))
            if expected == values[17] {
                return .valid(SocialCreditCode(value: normalized, isCheckCharacterValid: true))
            }
            return .needsManualReview(normalized, .checkCharacterMismatch)
        }
    }

    /// A code that a reviewer accepted although its check character does not match.
    /// Returns `nil` unless `text` is well-formed (18 characters of the alphabet).
    public static func acceptedAfterReview(_ text: String) -> SocialCreditCode? {
        switch check(text) {
        case .valid(let code): code
        case .needsManualReview(let normalized, _): SocialCreditCode(value: normalized, isCheckCharacterValid: false)
        case .invalid: nil
        }
    }

    /// The check character for the first 17 characters, or `nil` unless `first17` is exactly
    /// 17 characters of the alphabet (uppercase). Useful to generate test codes.
    public static func checkCharacter(for first17: some StringProtocol) -> Character? {
        var values: [Int] = []
        for byte in first17.utf8 {
            guard let value = value(ofASCII: byte), values.count < 17 else { return nil }
            values.append(value)
        }
        guard values.count == 17 else { return nil }
        return alphabet[checkValue(for: values[...])]
    }

    /// The registration authority code (position 1), e.g. `9` for market regulation.
    public var registrationAuthority: Character { value.first ?? "0" }

    /// The six-digit administrative region code (positions 3–8).
    public var regionCode: String { String(value.dropFirst(2).prefix(6)) }

    /// The code itself (a business licence number is public information).
    public var description: String { value }

    // MARK: - Internals

    private init(value: String, isCheckCharacterValid: Bool) {
        self.value = value
        self.isCheckCharacterValid = isCheckCharacterValid
    }

    private static let valueByByte: [Int] = {
        var table = [Int](repeating: -1, count: 128)
        for (index, character) in alphabet.enumerated() {
            if let ascii = character.asciiValue { table[Int(ascii)] = index }
        }
        return table
    }()

    private static func value(ofASCII byte: UInt8) -> Int? {
        guard byte < 128 else { return nil }
        let value = valueByByte[Int(byte)]
        return value >= 0 ? value : nil
    }

    private static func checkValue(for values: ArraySlice<Int>) -> Int {
        var sum = 0
        for (value, weight) in zip(values, weights) { sum += value * weight }
        return (31 - sum % 31) % 31
    }

    private static func values(of candidate: String) -> Result<[Int], SocialCreditCodeError> {
        let bytes = Array(candidate.utf8.prefix(19))
        guard bytes.count == 18, bytes.allSatisfy({ $0 < 0x80 }) else {
            return .failure(TextScan.hasCharacterCount(candidate, 18) ? .characters : .length)
        }
        var values: [Int] = []
        values.reserveCapacity(18)
        for byte in bytes {
            let upper = (0x61...0x7A).contains(byte) ? byte - 0x20 : byte
            guard let value = value(ofASCII: upper) else { return .failure(.characters) }
            values.append(value)
        }
        return .success(values)
    }
}

/// The outcome of checking a unified social credit code.
public enum SocialCreditCodeCheck: Sendable, Hashable {
    /// Well-formed and the check character matches.
    case valid(SocialCreditCode)
    /// Well-formed (the normalised code is attached) but needs a person to look at it.
    case needsManualReview(String, SocialCreditCodeReviewReason)
    /// Malformed: refuse it.
    case invalid(SocialCreditCodeError)
}

/// Why a well-formed unified social credit code needs manual review.
public enum SocialCreditCodeReviewReason: HumanReadableError {
    /// The check character does not match (true of some lawfully issued early codes).
    case checkCharacterMismatch

    /// The human-readable message.
    public var message: String {
        switch self {
        case .checkCharacterMismatch:
            "The code's check character does not match; a member of staff will verify the licence."
        }
    }
}

/// Why a unified social credit code was refused as malformed.
public enum SocialCreditCodeError: HumanReadableError {
    /// Not 18 characters long.
    case length
    /// Contains a character outside `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z).
    case characters

    /// The human-readable message.
    public var message: String {
        switch self {
        case .length: "A unified social credit code has 18 characters."
        case .characters: "A unified social credit code uses only digits and the letters A–Y except I, O, S, V and Z."
        }
    }
}
