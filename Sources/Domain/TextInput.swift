/// The rules every user-supplied string passes before the domain uses it.
///
/// `validate` trims surrounding white space, refuses control characters (keeping line breaks
/// and tabs only for multi-line text, with `\r\n` and `\r` normalised to `\n`), refuses
/// bidirectional override characters (which disguise text, "Trojan Source"), and enforces a
/// maximum length counted in characters (grapheme clusters), never bytes.
public struct TextInput: Sendable, Hashable {
    /// The most characters allowed after trimming.
    public var maximumLength: Int
    /// Whether line breaks and tabs are allowed.
    public var isMultiline: Bool
    /// Whether an empty (or all white space) input is allowed.
    public var allowsEmpty: Bool

    /// Creates rules.
    public init(maximumLength: Int, multiline: Bool = false, allowsEmpty: Bool = false) {
        self.maximumLength = max(0, maximumLength)
        self.isMultiline = multiline
        self.allowsEmpty = allowsEmpty
    }

    /// One line of at most `maximumLength` characters.
    public static func singleLine(maximumLength: Int, allowsEmpty: Bool = false) -> TextInput {
        TextInput(maximumLength: maximumLength, multiline: false, allowsEmpty: allowsEmpty)
    }

    /// Several lines of at most `maximumLength` characters in all.
    public static func multiline(maximumLength: Int, allowsEmpty: Bool = false) -> TextInput {
        TextInput(maximumLength: maximumLength, multiline: true, allowsEmpty: allowsEmpty)
    }

    /// Validates `text` against these rules and returns it trimmed (and, for multi-line text,
    /// with line breaks normalised to `\n`).
    /// - Throws: `TextInputError` naming the first rule the input breaks.
    public func validate(_ text: String) throws(TextInputError) -> String {
        let trimmed = TextScan.trimmed(text)
        guard !trimmed.isEmpty || allowsEmpty else { throw .empty }
        // Normalising line breaks keeps the character count, so huge inputs stop here cheaply.
        guard !TextScan.hasMoreCharacters(trimmed, than: maximumLength) else {
            throw .tooLong(maximum: maximumLength)
        }
        var scalars = String.UnicodeScalarView()
        var previousWasCarriageReturn = false
        for scalar in trimmed.unicodeScalars {
            defer { previousWasCarriageReturn = scalar == "\r" }
            switch scalar {
            case "\n" where previousWasCarriageReturn:
                continue
            case "\n", "\r", "\u{2028}", "\u{2029}":
                guard isMultiline else { throw .lineBreak }
                scalars.append("\n")
            case "\t":
                guard isMultiline else { throw .controlCharacter }
                scalars.append(scalar)
            default:
                guard !Self.isForbidden(scalar) else { throw .controlCharacter }
                scalars.append(scalar)
            }
        }
        let result = String(scalars)
        guard !TextScan.hasMoreCharacters(result, than: maximumLength) else {
            throw .tooLong(maximum: maximumLength)
        }
        return result
    }

    /// Validates `text` with the given rules; see `TextInput.validate(_:)`.
    public static func validate(
        _ text: String, maximumLength: Int, multiline: Bool = false, allowsEmpty: Bool = false
    ) throws(TextInputError) -> String {
        let rules = TextInput(maximumLength: maximumLength, multiline: multiline, allowsEmpty: allowsEmpty)
        return try rules.validate(text)
    }

    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional embeddings, overrides, isolates
        case 0xFFF9...0xFFFB: true  // interlinear annotation controls
        default: scalar.properties.generalCategory == .control
        }
    }
}

/// Why a piece of user text was refused.
public enum TextInputError: HumanReadableError {
    /// Nothing (or only white space) was entered where something is required.
    case empty
    /// Longer than the allowed number of characters.
    case tooLong(maximum: Int)
    /// A line break in a single-line field.
    case lineBreak
    /// A control or bidirectional-override character.
    case controlCharacter

    /// The human-readable message.
    public var message: String {
        switch self {
        case .empty: "This field cannot be empty."
        case .tooLong(let maximum): "This field allows at most \(maximum) characters."
        case .lineBreak: "This field must be a single line."
        case .controlCharacter: "This field contains invisible control characters; please retype it."
        }
    }
}

extension TextInput {
    /// Validates `text` as the named request field: a refusal is a 422 naming the field.
    public func validate(_ text: String, field: String) throws(Problem) -> String {
        do {
            return try validate(text)
        } catch {
            throw Problem.invalid(field, error.message)
        }
    }
}
