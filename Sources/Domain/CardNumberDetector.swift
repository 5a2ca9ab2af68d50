/// Finds payment card numbers (PANs) in free text, so they can be refused before anything is
/// stored or logged (clause 2.4.2: the platform never obtains or stores full card numbers).
///
/// A match is a run of 13–19 digits that passes the Luhn check, written either without
/// separators or as digit groups joined by single spaces or dashes (`4111 1111 1111 1111`,
/// `5555-5555-5555-4444`). Full-width digits count as digits. To keep false alarms low:
/// - the digits are never part of a longer digit run or of a decimal number (`0.4111…`);
/// - in a grouped number every group but the last has at least 3 digits (so dates and
///   times such as `2024-01-15 12 30` never join up);
/// - an 18-digit run (or 17 digits and `X`) that is a valid resident ID number with a real
///   birth date is not a card (REFERENCE.md: Gansu IDs start with 62 like UnionPay cards);
/// - with `Options.standard`, the first digits must be a payment-network prefix
///   (3–6, Mastercard 2221–2720, Mir 2200–2204, UnionPay/RuPay 81–82), which rules out
///   millisecond timestamps (`17…`), phone numbers (`1…`) and date-based order numbers (`2024…`).
///
/// The scan is a single linear pass over the Unicode scalars with bounded work per scalar;
/// it never traps. Callers should percent-decode or JSON-decode text first when they can.
public enum CardNumberDetector {
    /// The lengths of card numbers, in digits.
    public static let digitCounts = 13...19

    /// Tuning for the detector.
    public struct Options: Sendable, Hashable {
        /// Whether a match must start with a payment-network prefix (see the type's documentation).
        public var requiresIssuerPrefix: Bool

        /// Creates options.
        public init(requiresIssuerPrefix: Bool = true) {
            self.requiresIssuerPrefix = requiresIssuerPrefix
        }

        /// The default: issuer prefixes required.
        public static let standard = Options()
        /// The most cautious setting: any Luhn-valid run of 13–19 digits (except resident IDs).
        public static let anyPrefix = Options(requiresIssuerPrefix: false)
    }

    /// Whether `text` contains anything that looks like a card number. UUIDs in it are skipped: they are the
    /// platform's identifiers and what clients send as Idempotency-Keys, and their digit groups, read across the
    /// hyphens, pass the issuer-prefix and Luhn checks about once in 60,000.
    public static func containsCardNumber(_ text: String, options: Options = .standard) -> Bool {
        var found = false
        var scanner = CardNumberScanner(options: options)
        scanner.scan(withoutUUIDs(text)) { _ in
            found = true
            return false
        }
        return found
    }

    static func withoutUUIDs(_ text: String) -> String {
        guard text.utf8.count >= 36, text.utf8.contains(UInt8(ascii: "-")) else { return text }
        return text.replacing(
            /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/, with: " ")
    }

    /// Every card-number-like sequence in `text`, in order, without overlaps.
    public static func matches(in text: String, options: Options = .standard) -> [CardNumberMatch] {
        var found: [CardNumberMatch] = []
        var scanner = CardNumberScanner(options: options)
        scanner.scan(text) { match in
            found.append(match)
            return true
        }
        return found
    }

    /// `text` with every card number replaced by its masked form (`**** 1234`).
    public static func redacting(_ text: String, options: Options = .standard) -> String {
        let found = matches(in: text, options: options)
        guard !found.isEmpty else { return text }
        let scalars = text.unicodeScalars
        var output = String.UnicodeScalarView()
        var position = scalars.startIndex
        for match in found {
            output.append(contentsOf: scalars[position..<match.range.lowerBound])
            output.append(contentsOf: Masking.mask(cardLastFour: match.lastFour).unicodeScalars)
            position = match.range.upperBound
        }
        output.append(contentsOf: scalars[position...])
        return String(output)
    }
}

/// A card-number-like sequence found in text.
public struct CardNumberMatch: Sendable, Hashable {
    /// Where the number is, separators included. The bounds are Unicode-scalar aligned
    /// (use them with `text.unicodeScalars` or to replace a subrange).
    public let range: Range<String.Index>
    /// How many digits the number has (13–19).
    public let digitCount: Int
    /// The last four digits (ASCII), the only part that may be kept or shown.
    public let lastFour: String
}

/// The single-pass scanner behind `CardNumberDetector`.
struct CardNumberScanner {
    /// A maximal run of digits (at most 19 long) inside a chain of groups joined by single separators.
    private struct Group {
        var start: String.Index
        var end: String.Index
        var digitStart: Int
        var count: Int
        var followedByX: Bool
    }

    private let options: CardNumberDetector.Options
    private var digits: [UInt8] = []
    private var groups: [Group] = []
    private var cursor = 0
    private var stopped = false

    init(options: CardNumberDetector.Options) {
        self.options = options
    }

    /// Scans `text`, calling `emit` for each match until it returns `false`.
    mutating func scan(_ text: String, emit: (CardNumberMatch) -> Bool) {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var groupStart: String.Index?
        var groupCount = 0
        var groupDigitStart = 0
        var groupIsBroken = false
        var chainOpen = false
        var previous: Unicode.Scalar = " "
        var beforePrevious: Unicode.Scalar = " "

        while index != scalars.endIndex, !stopped {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            if let value = TextScan.digitValue(of: scalar) {
                if groupStart == nil {
                    groupStart = index
                    groupCount = 0
                    groupDigitStart = digits.count
                    // The fraction of a decimal number (`3.1415…`) is not a card.
                    groupIsBroken = previous == "." && TextScan.digitValue(of: beforePrevious) != nil
                }
                groupCount += 1
                if groupCount <= CardNumberDetector.digitCounts.upperBound {
                    digits.append(value)
                } else {
                    groupIsBroken = true
                }
            } else if let start = groupStart {
                // The integer part of a decimal number (`4111….5`) is not a card either.
                if scalar == ".", next != scalars.endIndex, TextScan.digitValue(of: scalars[next]) != nil {
                    groupIsBroken = true
                }
                let group = Group(
                    start: start, end: index, digitStart: groupDigitStart, count: groupCount,
                    followedByX: Self.isX(scalar)
                )
                endGroup(group, broken: groupIsBroken, emit: emit)
                groupStart = nil
                chainOpen = Self.isSeparator(scalar)
                if !chainOpen { flushChain(emit: emit) }
            } else if chainOpen {
                chainOpen = false
                flushChain(emit: emit)
            }
            beforePrevious = previous
            previous = scalar
            index = next
        }
        if let start = groupStart, !stopped {
            let group = Group(
                start: start, end: scalars.endIndex, digitStart: groupDigitStart, count: groupCount,
                followedByX: false
            )
            endGroup(group, broken: groupIsBroken, emit: emit)
        }
        flushChain(emit: emit)
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "-", "\u{00A0}", "\u{3000}", "\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{FF0D}": true
        default: false
        }
    }

    private static func isX(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "X" || scalar == "x" || scalar == "\u{FF38}" || scalar == "\u{FF58}"
    }

    private mutating func endGroup(_ group: Group, broken: Bool, emit: (CardNumberMatch) -> Bool) {
        if broken {
            // Part of a longer run or a decimal number: it cannot be, or join, a card number.
            flushChain(emit: emit)
        } else {
            groups.append(group)
            process(final: false, emit: emit)
        }
    }

    private mutating func flushChain(emit: (CardNumberMatch) -> Bool) {
        process(final: true, emit: emit)
        groups.removeAll(keepingCapacity: true)
        digits.removeAll(keepingCapacity: true)
        cursor = 0
    }

    /// Decides every candidate start whose longest window is known (all of them when `final`).
    private mutating func process(final: Bool, emit: (CardNumberMatch) -> Bool) {
        let maximum = CardNumberDetector.digitCounts.upperBound
        while cursor < groups.count, !stopped {
            var total = 0
            var best: (end: Int, count: Int)?
            var end = cursor
            var decided = final
            while end < groups.count {
                // Only the last group of a grouped number may be shorter than 3 digits.
                if end > cursor, groups[end - 1].count < 3 {
                    decided = true
                    break
                }
                total += groups[end].count
                if total > maximum {
                    decided = true
                    break
                }
                if total >= CardNumberDetector.digitCounts.lowerBound, isCardNumber(from: cursor, through: end) {
                    best = (end, total)
                }
                end += 1
            }
            guard decided else { break }
            if let best {
                let lastDigit = groups[best.end].digitStart + groups[best.end].count
                let lastFour = digits[(lastDigit - 4)..<lastDigit].map { Character(String($0)) }
                let match = CardNumberMatch(
                    range: groups[cursor].start..<groups[best.end].end,
                    digitCount: best.count,
                    lastFour: String(lastFour)
                )
                stopped = !emit(match)
                cursor = best.end + 1
            } else {
                cursor += 1
            }
        }
        compact()
    }

    private func isCardNumber(from first: Int, through last: Int) -> Bool {
        let lower = groups[first].digitStart
        let upper = groups[last].digitStart + groups[last].count
        let number = digits[lower..<upper]
        guard Luhn.isValid(values: number) else { return false }
        if options.requiresIssuerPrefix, !Self.hasIssuerPrefix(number) { return false }
        switch number.count {
        case 18:
            let check = Character(String(number[number.endIndex - 1]))
            return !ResidentID.isPlausible(first17: Array(number.prefix(17)), check: check)
        case 17 where groups[last].followedByX:
            return !ResidentID.isPlausible(first17: Array(number), check: "X")
        default:
            return true
        }
    }

    private static func hasIssuerPrefix(_ number: ArraySlice<UInt8>) -> Bool {
        let prefix = number.prefix(4).reduce(0) { $0 * 10 + Int($1) }
        switch prefix / 1000 {
        case 3, 4, 5, 6: return true
        case 2: return (2200...2204).contains(prefix) || (2221...2720).contains(prefix)
        case 8: return (8100...8299).contains(prefix)
        default: return false
        }
    }

    /// Drops decided groups so memory stays small on long chains.
    private mutating func compact() {
        guard cursor >= 256 else { return }
        let base = cursor < groups.count ? groups[cursor].digitStart : digits.count
        digits.removeFirst(base)
        groups.removeFirst(cursor)
        for index in groups.indices { groups[index].digitStart -= base }
        cursor = 0
    }
}
