public import Domain

/// Who is making a request: resolved from a live session by the app, passed to every use case.
public struct Caller: Sendable, Equatable {
    public let accountId: String
    public let role: Role
    /// The merchant an owner or merchant staff member acts for.
    public let merchantId: String?
    public let sessionId: String
    /// Whether this session passed a second factor.
    public let twoFactorVerified: Bool
    public let twoFactorEnrolled: Bool
    public let mustChangePassword: Bool
    /// The party has not accepted the rulebook in force when this session began (2.5).
    public let rulesPending: Bool

    public init(
        accountId: String, role: Role, merchantId: String?, sessionId: String, twoFactorVerified: Bool,
        twoFactorEnrolled: Bool, mustChangePassword: Bool, rulesPending: Bool = false
    ) {
        self.rulesPending = rulesPending
        self.accountId = accountId
        self.role = role
        self.merchantId = merchantId
        self.sessionId = sessionId
        self.twoFactorVerified = twoFactorVerified
        self.twoFactorEnrolled = twoFactorEnrolled
        self.mustChangePassword = mustChangePassword
    }

    public var kind: AccountKind { role.kind }

    /// Who a sanction or the rulebook binds: the merchant for its owner and staff, else the account itself.
    public var party: String { merchantId ?? accountId }

    /// May this caller take privileged actions now? Merchants and staff need a second factor (3.2),
    /// and anyone with a one-time password must replace it first.
    public func privilegeProblem() -> Problem? {
        if mustChangePassword { return .passwordChangeRequired }
        if role.requiresTwoFactor && !twoFactorVerified { return .twoFactorRequired }
        return nil
    }

    /// Throws unless the caller's role holds `permission` and may act (2.3.3 least privilege).
    public func require(_ permission: Permission) throws {
        if let problem = privilegeProblem() { throw problem }
        guard role.permissions.contains(permission) else {
            throw Problem.forbidden("Your role (\(role.rawValue)) does not allow this action.")
        }
    }
}
