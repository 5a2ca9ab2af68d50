// Platform rules and their enforcement (clause 2.5): the sanction ladder and what each rung blocks.

/// The rungs of the ladder, mildest first.
public enum SanctionLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case warning
    /// Named functions only (see `RestrictedFunction`), for a period.
    case restriction
    /// Every new business for a period; orders already placed are still served.
    case suspension
    /// Like a suspension, with no end: the service agreement is ended.
    case termination
    /// Ends every session at once; only self-care, personal-information rights and appeals remain.
    case ban

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The next rung up (a ban is the last).
    public var next: SanctionLevel {
        let all = Self.allCases
        return all[min(all.firstIndex(of: self)! + 1, all.count - 1)]
    }

    /// Whether a sanction of this level has an end date (termination and ban do not).
    public var isTemporary: Bool { self == .restriction || self == .suspension }
}

/// Functions a restriction can name.
public enum RestrictedFunction: String, Sendable, Codable, CaseIterable {
    /// Creating and changing listings (withdrawing them stays possible).
    case listings
    /// Moving the balance to the bank.
    case payouts
    /// Writing reviews and replying to them.
    case reviews
    /// Placing new orders (a consumer) or receiving them (a merchant).
    case orders
}

/// What a state-changing route is for, as far as sanctions are concerned. Every write route has exactly one use,
/// so a new route cannot escape the ladder (the router's table is checked by a test).
public enum RouteUse: Sendable, Equatable {
    /// Signing out, sessions, password, two-factor: keeping one's own account safe.
    case selfCare
    /// Rights over personal information (clause 2.3.5): export, correction, erasure, consents.
    case personalRights
    /// Accepting the rulebook and appealing sanctions.
    case governance
    /// Serving orders already placed: shipping, refunds, receipt, disputes about them.
    case existingOrders
    /// A function a restriction can name.
    case function(RestrictedFunction)
    /// Any other new business (cart, staff sub-accounts, verification, complaints, reports).
    case business
    /// Staff work and public, anonymous endpoints: sanctions on parties do not apply.
    case exempt
}

/// A sanction's effect: whether it blocks a route's use.
public struct SanctionEffect: Sendable, Equatable {
    public let level: SanctionLevel
    public let functions: Set<RestrictedFunction>

    public init(level: SanctionLevel, functions: Set<RestrictedFunction>) {
        self.level = level
        self.functions = functions
    }

    public func blocks(_ use: RouteUse) -> Bool {
        switch (level, use) {
        case (_, .exempt), (_, .selfCare), (_, .personalRights), (_, .governance): false
        case (.warning, _): false
        case (.restriction, .function(let function)): functions.contains(function)
        case (.restriction, _): false
        case (.suspension, .existingOrders), (.termination, .existingOrders): false
        case (.suspension, _), (.termination, _): true
        case (.ban, _): true
        }
    }

    /// Whether a merchant under this sanction may receive new orders (its listings are not sold otherwise).
    public var blocksSales: Bool { blocks(.function(.orders)) }
}
