/// Password rules for every account (clause 3.2): length, no common or breached password, not the login.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12
    public static let maximumLength = 128

    private let common: Set<String>

    /// - Parameter commonPasswords: lower-cased list of common and breached passwords.
    public init(commonPasswords: Set<String>) { self.common = commonPasswords }

    /// Why a password is refused, or nil when it is acceptable.
    public func rejection(password: String, login: String) -> String? {
        let length = password.count
        if length < Self.minimumLength { return "The password must have at least \(Self.minimumLength) characters." }
        if length > Self.maximumLength { return "The password must have at most \(Self.maximumLength) characters." }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "The password must not contain control characters."
        }
        let lowered = password.lowercased()
        let loginCore = login.lowercased().split(separator: "@").first.map(String.init) ?? ""
        if loginCore.count >= 3 && lowered.contains(loginCore) {
            return "The password must not contain the login."
        }
        if isCommon(lowered) { return "This password is too common or appears in known breaches. Choose another." }
        return nil
    }

    /// Common as is, or a common word dressed up with trailing digits and symbols, or one repeated.
    private func isCommon(_ lowered: String) -> Bool {
        if common.contains(lowered) { return true }
        let stripped = String(lowered.reversed().drop(while: { !$0.isLetter }).reversed())
        if stripped.count >= 4 && common.contains(stripped) { return true }
        let leadStripped = String(lowered.drop(while: { !$0.isLetter }))
        if leadStripped.count >= 4 && common.contains(leadStripped) { return true }
        if Set(lowered).count <= 2 { return true }
        for unit in 1...(lowered.count / 2) where lowered.count % unit == 0 {
            let head = String(lowered.prefix(unit))
            if String(repeating: head, count: lowered.count / unit) == lowered && (unit < 4 || common.contains(head)) {
                return true
            }
        }
        return false
    }
}
