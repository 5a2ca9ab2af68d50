/// Display de-identification (clause 2.3.2; GB/T 35273-2020 §7.2), following the conventions in
/// REFERENCE.md. Every function is total and works on characters (grapheme clusters), never bytes:
/// a masked value never splits a Chinese character or an emoji.
public enum Masking {
    /// The mask character.
    public static let maskCharacter: Character = "*"

    /// `text` with all but the first `keepingFirst` and last `keepingLast` characters replaced by
    /// `*`, keeping its length. When the kept parts would overlap or touch (too short a text),
    /// every character is masked. Negative counts are treated as 0.
    public static func mask(_ text: some StringProtocol, keepingFirst: Int, keepingLast: Int) -> String {
        let first = max(0, keepingFirst)
        let last = max(0, keepingLast)
        let characters = Array(text)
        guard characters.count > first + last else {
            return String(repeating: maskCharacter, count: characters.count)
        }
        let middle = characters.count - first - last
        return String(characters.prefix(first)) + String(repeating: maskCharacter, count: middle)
            + String(characters.suffix(last))
    }

    // MARK: Phone

    /// `138****8000`: first 3 and last 4 digits.
    public static func mask(phone: MobileNumber) -> String {
        mask(phone.value, keepingFirst: 3, keepingLast: 4)
    }

    /// Masks any phone-like text: a parseable mainland number (`+86 138-0013-8000`) as its
    /// 11 digits; anything else keeps its first 3 and last 4 characters when at least 8
    /// remain, otherwise every character is masked (surrounding white space is dropped).
    public static func mask(phone: String) -> String {
        if let number = try? MobileNumber(phone) { return mask(phone: number) }
        return mask(TextScan.trimmed(phone), keepingFirst: 3, keepingLast: 4)
    }

    // MARK: Resident ID

    /// `1****************X`: first and last character, same length.
    public static func mask(residentID: ResidentID) -> String {
        mask(residentID.value, keepingFirst: 1, keepingLast: 1)
    }

    /// Masks any ID-like text the same way (first and last character, same length).
    public static func mask(residentID: String) -> String {
        mask(TextScan.trimmed(residentID), keepingFirst: 1, keepingLast: 1)
    }

    // MARK: Name

    /// A person's name: `*` for one character, `张*` for two, first and last kept for three
    /// or more (`张*三`, `欧**锋`). Empty stays empty.
    public static func mask(name: String) -> String {
        let characters = Array(TextScan.trimmed(name))
        switch characters.count {
        case 0: return ""
        case 1: return String(maskCharacter)
        case 2: return String(characters[0]) + String(maskCharacter)
        default: return mask(String(characters), keepingFirst: 1, keepingLast: 1)
        }
    }

    // MARK: Card

    /// `**** 1234`. Takes the last four digits of `cardLastFour` (any text; separators ignored);
    /// with fewer than four digits it shows only `****`.
    public static func mask(cardLastFour: String) -> String {
        var digits: [Character] = []
        for scalar in cardLastFour.unicodeScalars {
            if let value = TextScan.digitValue(of: scalar) { digits.append(Character(String(value))) }
            if digits.count > 4 { digits.removeFirst() }
        }
        return digits.count == 4 ? "**** " + String(digits) : "****"
    }

    // MARK: E-mail

    /// `z***@example.com`: first character of the local part, `***`, the domain.
    public static func mask(email: EmailAddress) -> String {
        maskEmail(local: email.localPart, domain: email.domain)
    }

    /// Masks any e-mail-like text the same way (split at the last `@`); without an `@` it gives `***`.
    public static func mask(email: String) -> String {
        let text = TextScan.trimmed(email)
        guard let at = text.lastIndex(of: "@") else { return text.isEmpty ? "" : "***" }
        return maskEmail(local: text[..<at], domain: text[text.index(after: at)...])
    }

    private static func maskEmail(local: some StringProtocol, domain: some StringProtocol) -> String {
        let first = local.first.map { String($0) } ?? ""
        return first + "***@" + domain
    }

    // MARK: Address

    /// Province, city and district kept, street and house number replaced by `****`.
    public static func mask(address: PostalAddress) -> String {
        address.masked
    }

    // MARK: Login

    /// A login masked as a phone number or an e-mail address.
    public static func mask(login: Login) -> String {
        switch login {
        case .phone(let number): mask(phone: number)
        case .email(let address): mask(email: address)
        }
    }
}
