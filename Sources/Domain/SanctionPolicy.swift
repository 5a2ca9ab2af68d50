// The configurable policy that proposes the next sanction from a party's history (clause 2.5). Staff decide.

public struct SanctionPolicy: Sendable, Codable, Equatable {
    /// How far back sanctions count when choosing the next rung.
    public var windowDays: Int
    public var restrictionDays: Int
    public var suspensionDays: Int
    /// Rules whose breach moves two rungs at once (fraud, selling prohibited goods).
    public var severeRules: [String]
    /// The functions a restriction names for a rule, by prefix of the rule reference ("listings." → listings).
    public var functionsByRulePrefix: [String: [RestrictedFunction]]

    public static let standard = SanctionPolicy(
        windowDays: 365, restrictionDays: 30, suspensionDays: 14,
        severeRules: ["platform-rules/fraud", "platform-rules/listings.prohibited-goods"],
        functionsByRulePrefix: [
            "platform-rules/listings.": [.listings], "platform-rules/reviews.": [.reviews],
            "platform-rules/orders.": [.orders], "platform-rules/payouts.": [.payouts],
            "platform-rules/disputes.": [.payouts], "platform-rules/fraud": [.orders, .payouts],
        ])

    public init(
        windowDays: Int, restrictionDays: Int, suspensionDays: Int, severeRules: [String],
        functionsByRulePrefix: [String: [RestrictedFunction]]
    ) {
        self.windowDays = windowDays
        self.restrictionDays = restrictionDays
        self.suspensionDays = suspensionDays
        self.severeRules = severeRules
        self.functionsByRulePrefix = functionsByRulePrefix
    }

    /// One earlier sanction, as the policy sees it.
    public struct PastSanction: Sendable, Equatable {
        public let level: SanctionLevel
        public let imposedAt: Int64
        /// Lifted on appeal: it does not count.
        public let overturned: Bool

        public init(level: SanctionLevel, imposedAt: Int64, overturned: Bool) {
            self.level = level
            self.imposedAt = imposedAt
            self.overturned = overturned
        }
    }

    public struct Proposal: Sendable, Equatable, Codable {
        public let level: SanctionLevel
        public let functions: [RestrictedFunction]
        /// Milliseconds since the epoch; nil for termination and ban.
        public let endsAt: Int64?
        public let ruleRef: String
        public let why: String
    }

    /// The next step for a party with `violationRules` confirmed and not yet sanctioned (newest last).
    /// Nil when there is nothing to sanction.
    public func propose(violationRules: [String], history: [PastSanction], now: Int64) -> Proposal? {
        guard let rule = violationRules.last else { return nil }
        let since = now - Int64(windowDays) * 86_400_000
        let counted = history.filter { !$0.overturned && $0.imposedAt >= since }
        let worst = counted.map(\.level).max()
        var level = worst.map(\.next) ?? .warning
        let severe = violationRules.contains { severeRules.contains($0) }
        if severe { level = level.next }
        let functions = functionsByRulePrefix.first { rule.hasPrefix($0.key) }?.value ?? [.orders]
        let endsAt: Int64? =
            switch level {
            case .restriction: now + Int64(restrictionDays) * 86_400_000
            case .suspension: now + Int64(suspensionDays) * 86_400_000
            case .warning, .termination, .ban: nil
            }
        let history =
            worst.map { "the most severe sanction in \(windowDays) days was \($0.rawValue)" }
            ?? "no sanction in \(windowDays) days"
        let why =
            "\(violationRules.count) confirmed violation(s) since the last sanction; \(history)"
            + (severe ? "; a severe rule was broken, so one rung is skipped" : "")
        return Proposal(
            level: level, functions: level == .restriction ? functions : [], endsAt: endsAt, ruleRef: rule, why: why)
    }
}
