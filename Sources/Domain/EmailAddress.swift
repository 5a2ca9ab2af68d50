/// An e-mail address, validated pragmatically (not the full RFC 5322 grammar).
///
/// Rules: exactly one `@`; a local part of 1–64 ASCII characters (letters, digits,
/// ``!#$%&'*+/=?^_`{|}~-`` and dots, no leading, trailing or double dot); a domain of at least
/// two dot-separated labels of letters, digits and hyphens (1–63 each, no leading or trailing
/// hyphen, the last not all digits); 254 characters at most; no white space or control
/// characters. The domain is lowercased; the local part keeps its case. Printing it shows it masked.
public struct EmailAddress: Sendable, Hashable {
    /// The normalised address: local part as given, domain lowercased.
    public let value: String
    /// The part before `@`.
    public let localPart: String
    /// The lowercased domain.
    public let domain: String

    /// The maximum length of an address.
    public static let maximumLength = 254
    /// The maximum length of the local part.
    public static let maximumLocalPartLength = 64

    /// Parses an e-mail address (surrounding white space is ignored).
    /// - Throws: `EmailAddressError` naming the first rule the input breaks.
    public init(_ text: String) throws(EmailAddressError) {
        let candidate = TextScan.trimmed(text)
        guard !candidate.isEmpty else { throw .empty }
        for scalar in candidate.unicodeScalars.prefix(Self.maximumLength + 1) {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                throw .characters
            }
        }
        guard candidate.utf8.count <= Self.maximumLength else { throw .length }
        let bytes = Array(candidate.utf8)
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { throw .missingAt }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !domain.contains(UInt8(ascii: "@")) else { throw .multipleAt }
        guard Self.isValidLocalPart(local) else { throw .localPart }
        guard Self.isValidDomain(domain) else { throw .domain }
        self.localPart = String(decoding: local, as: UTF8.self)
        self.domain = String(decoding: domain, as: UTF8.self).lowercased()
        self.value = self.localPart + "@" + self.domain
    }

    /// Whether `text` parses as an e-mail address.
    public static func isValid(_ text: String) -> Bool {
        (try? EmailAddress(text)) != nil
    }

    /// The whole address lowercased: a key for uniqueness checks and look-ups, since
    /// providers treat local parts case-insensitively in practice.
    public var lookupKey: String { value.lowercased() }

    private static let localSymbols = Set("!#$%&'*+/=?^_`{|}~-".utf8)

    private static func isValidLocalPart(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard (1...maximumLocalPartLength).contains(bytes.count),
            bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: ".")
        else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            let isAllowed =
                isASCIIAlphanumeric(byte) || localSymbols.contains(byte)
                || (byte == UInt8(ascii: ".") && previous != UInt8(ascii: "."))
            guard isAllowed else { return false }
            previous = byte
        }
        return true
    }

    private static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        guard (1...253).contains(domain.count) else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count),
                label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                label.allSatisfy({ isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        let topLevel = labels[labels.count - 1]
        return !topLevel.allSatisfy { (0x30...0x39).contains($0) }
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

extension EmailAddress: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked address (`z***@example.com`), so interpolation never leaks it.
    public var description: String { Masking.mask(email: self) }
    /// The masked address.
    public var debugDescription: String { "EmailAddress(\(description))" }
    /// A mirror that shows only the masked address.
    public var customMirror: Mirror { Mirror(self, children: ["masked": description]) }
}

/// Why an e-mail address was refused.
public enum EmailAddressError: HumanReadableError {
    /// Nothing was entered.
    case empty
    /// Contains white space or a control character.
    case characters
    /// Longer than 254 characters.
    case length
    /// No `@`.
    case missingAt
    /// More than one `@`.
    case multipleAt
    /// The part before `@` is empty, too long or has characters that are not allowed.
    case localPart
    /// The part after `@` is not a domain name such as `example.com`.
    case domain

    /// The human-readable message.
    public var message: String {
        switch self {
        case .empty: "Please enter an e-mail address."
        case .characters: "An e-mail address cannot contain spaces or control characters."
        case .length: "An e-mail address has at most 254 characters."
        case .missingAt: "An e-mail address needs an @, as in name@example.com."
        case .multipleAt: "An e-mail address has exactly one @."
        case .localPart: "The part before @ must be 1–64 letters, digits or . _ + - and similar symbols."
        case .domain: "The part after @ must be a domain name such as example.com."
        }
    }
}
