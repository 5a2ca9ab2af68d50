// Small internal helpers for scanning user text without trapping.

enum TextScan {
    /// The value 0–9 of an ASCII digit byte, or `nil`.
    @inline(__always)
    static func digitValue(ofASCII byte: UInt8) -> UInt8? {
        (0x30...0x39).contains(byte) ? byte &- 0x30 : nil
    }

    /// The value 0–9 of an ASCII or full-width digit scalar, or `nil`.
    @inline(__always)
    static func digitValue(of scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x30...0x39: UInt8(truncatingIfNeeded: scalar.value &- 0x30)
        case 0xFF10...0xFF19: UInt8(truncatingIfNeeded: scalar.value &- 0xFF10)
        default: nil
        }
    }

    /// The ASCII digit values of `text`, or `nil` when any byte is not an ASCII digit.
    static func asciiDigitValues(_ text: some StringProtocol) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            guard let value = digitValue(ofASCII: byte) else { return nil }
            values.append(value)
        }
        return values
    }

    /// `text` with full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space (U+3000)
    /// folded to ASCII, so input typed with a Chinese IME in full-width mode is accepted.
    static func foldingFullWidth(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= 0x3000 }) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0xFF01...0xFF5E:
                scalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value &- 0xFEE0)))
            case 0x3000:
                scalars.append(" ")
            default:
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// `text` without leading and trailing characters made only of white space (Unicode White_Space).
    static func trimmed(_ text: String) -> String {
        func isBlank(_ character: Character) -> Bool {
            character.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
        }
        guard let first = text.firstIndex(where: { !isBlank($0) }),
            let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }
}

extension TextScan {
    /// Whether `text` has exactly `count` characters, walking at most `count + 1` of them.
    static func hasCharacterCount(_ text: some StringProtocol, _ count: Int) -> Bool {
        text.index(text.startIndex, offsetBy: count, limitedBy: text.endIndex) == text.endIndex
    }

    /// Whether `text` has more than `count` characters, walking at most `count + 1` of them.
    static func hasMoreCharacters(_ text: some StringProtocol, than count: Int) -> Bool {
        guard count >= 0 else { return true }
        guard let index = text.index(text.startIndex, offsetBy: count, limitedBy: text.endIndex) else { return false }
        return index != text.endIndex
    }
}
