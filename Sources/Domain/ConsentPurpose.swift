/// What a person consents to (clause 2.3.1; PIPL Art. 14, 23, 29): one record per purpose and notice version.
public enum ConsentPurpose: String, Sendable, Codable, CaseIterable {
    /// Running the account and its orders; given at registration, ended only by closing the account.
    case account
    /// Processing the resident ID number for real-name verification (sensitive: a separate consent).
    case sensitiveIdentity = "sensitive_identity"
    /// Providing order and payer data to the licensed payment institution (a third party: a separate consent).
    case sharePayment = "share_payment"
    /// Providing the recipient's name, phone and address to the logistics provider (a separate consent).
    case shareLogistics = "share_logistics"

    /// What the person is told they agree to.
    public var statement: String {
        switch self {
        case .account:
            "Covenant processes your login, name and account-security records to run your account and your orders."
        case .sensitiveIdentity:
            "Covenant processes your name and resident ID number, a sensitive personal information, only to verify "
                + "your real name with an identity-verification provider, as the E-commerce Law requires of sellers."
        case .sharePayment:
            "Covenant provides the order amount and your payer reference to the licensed payment institution that "
                + "takes your payment; it never receives card numbers or payment passwords."
        case .shareLogistics:
            "Covenant provides the recipient's name, phone number and address to the logistics provider that "
                + "delivers your order, and to the merchant only masked."
        }
    }

    /// Whether it can be withdrawn while the account stays open (the account consent ends with the account).
    public var withdrawable: Bool { self != .account }
}
