import Domain
import Foundation

/// A small deterministic generator (SplitMix64) so property-style loops are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixtures {
    /// A fixed "now": 2026-05-28T20:26:40Z (2026-05-29 in China).
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    /// A resident ID number with a correct check character.
    static func residentID(region: String = "110105", birth: String = "19491231", sequence: Int) -> String {
        let first17 = region + birth + threeDigits(sequence)
        return first17 + String(ResidentID.checkCharacter(for: first17) ?? "?")
    }

    static func threeDigits(_ value: Int) -> String {
        let text = String(value % 1000)
        return String(repeating: "0", count: 3 - text.count) + text
    }

    /// Valid resident ID numbers from Gansu (region 62…) whose 18 digits also pass Luhn:
    /// exactly the numbers a naive card detector would flag.
    static func gansuIDsPassingLuhn(birth: String = "19900101") -> [String] {
        (0..<1000).map { residentID(region: "620102", birth: birth, sequence: $0) }
            .filter { !$0.hasSuffix("X") && Luhn.isValid(digits: $0) }
    }

    /// A random string mixing ASCII, digits, separators, CJK, emoji, combining marks and controls.
    static func randomText(length: Int, using generator: inout SeededGenerator) -> String {
        let pieces: [String] = [
            "0", "1", "4", "6", "9", " ", "-", "+", "@", ".", "X", "x", "a", "Z", "\n", "\t", "\r\n",
            "\u{0}", "\u{7F}", "\u{85}", "\u{200B}", "\u{202E}", "\u{2028}", "\u{301}", "\u{20E3}",
            "\u{FEFF}", "\u{FFFD}", "\u{3000}", "\u{FF10}", "\u{FF19}", "\u{FF38}", "张", "三", "欧",
            "👨‍👩‍👧", "🇨🇳", "é", "ﬁ", "\u{10FFFF}", "\u{E000}", "¥", "%", "\"", "\\", "{", "}",
        ]
        var text = ""
        for _ in 0..<length {
            if Int.random(in: 0..<4, using: &generator) == 0 {
                // Runs of digits make card- and ID-like material more likely.
                let count = Int.random(in: 1...20, using: &generator)
                for _ in 0..<count { text += String(Int.random(in: 0...9, using: &generator)) }
            } else {
                text += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
        }
        return text
    }
}
