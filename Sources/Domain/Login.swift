/// What a person signs in with: a mainland mobile number or an e-mail address.
public enum Login: Sendable, Hashable {
    /// A mobile number.
    case phone(MobileNumber)
    /// An e-mail address.
    case email(EmailAddress)

    /// Parses a login: anything containing `@` or a letter is read as an e-mail address,
    /// anything else as a mobile number.
    /// - Throws: `LoginError` wrapping the reason the address or number was refused.
    public init(_ text: String) throws(LoginError) {
        let candidate = TextScan.trimmed(text)
        guard !candidate.isEmpty else { throw .empty }
        let looksLikeEmail = candidate.unicodeScalars.contains { $0 == "@" || $0.properties.isAlphabetic }
        if looksLikeEmail {
            do throws(EmailAddressError) {
                self = .email(try EmailAddress(candidate))
            } catch {
                throw .email(error)
            }
        } else {
            do throws(MobileNumberError) {
                self = .phone(try MobileNumber(candidate))
            } catch {
                throw .phone(error)
            }
        }
    }

    /// The normalised login: 11 digits for a phone, the normalised address for an e-mail.
    public var normalized: String {
        switch self {
        case .phone(let number): number.value
        case .email(let address): address.value
        }
    }

    /// A key for uniqueness checks and look-ups: the phone digits, or the lowercased address.
    public var lookupKey: String {
        switch self {
        case .phone(let number): number.value
        case .email(let address): address.lookupKey
        }
    }
}

extension Login: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked login, so interpolation never leaks it.
    public var description: String { Masking.mask(login: self) }
    /// The masked login.
    public var debugDescription: String { "Login(\(description))" }
    /// A mirror that shows only the masked login.
    public var customMirror: Mirror { Mirror(self, children: ["masked": description]) }
}

/// Why a login was refused.
public enum LoginError: HumanReadableError {
    /// Nothing was entered.
    case empty
    /// It looked like an e-mail address but is not a valid one.
    case email(EmailAddressError)
    /// It looked like a phone number but is not a valid one.
    case phone(MobileNumberError)

    /// The human-readable message.
    public var message: String {
        switch self {
        case .empty: "Please enter a mobile number or an e-mail address."
        case .email(let error): error.message
        case .phone(let error): error.message
        }
    }
}
