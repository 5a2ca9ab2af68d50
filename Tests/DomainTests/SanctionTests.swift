import Domain
import Testing

/// Clause 2.5: each rung of the ladder blocks exactly what it names and nothing more.
@Suite("Sanction ladder")
struct SanctionTests {
    static let uses: [RouteUse] = [
        .exempt, .selfCare, .personalRights, .governance, .existingOrders, .business,
        .function(.listings), .function(.payouts), .function(.reviews), .function(.orders),
    ]

    static func blocked(_ effect: SanctionEffect) -> [RouteUse] { uses.filter(effect.blocks) }

    @Test("2.5: warning blocks nothing; a restriction only its functions")
    func lowerRungs() {
        #expect(Self.blocked(SanctionEffect(level: .warning, functions: [])).isEmpty)
        for function in RestrictedFunction.allCases {
            #expect(Self.blocked(SanctionEffect(level: .restriction, functions: [function])) == [.function(function)])
        }
        #expect(
            Self.blocked(SanctionEffect(level: .restriction, functions: [.listings, .payouts]))
                == [.function(.listings), .function(.payouts)])
    }

    @Test("2.5: suspension and termination stop new business but let orders already placed be served")
    func suspensionAndTermination() {
        for level in [SanctionLevel.suspension, .termination] {
            #expect(
                Self.blocked(SanctionEffect(level: level, functions: []))
                    == [.business, .function(.listings), .function(.payouts), .function(.reviews), .function(.orders)])
        }
    }

    @Test("2.5: a ban leaves only self-care, personal-information rights and appeals")
    func ban() {
        #expect(
            Self.blocked(SanctionEffect(level: .ban, functions: []))
                == [
                    .existingOrders, .business, .function(.listings), .function(.payouts), .function(.reviews),
                    .function(.orders),
                ])
        #expect(SanctionEffect(level: .ban, functions: []).blocksSales)
        #expect(!SanctionEffect(level: .restriction, functions: [.listings]).blocksSales)
        #expect(SanctionEffect(level: .restriction, functions: [.orders]).blocksSales)
    }

    @Test("2.5: the policy climbs the ladder from the history, skips a rung for severe rules, ignores overturned")
    func policy() throws {
        let policy = SanctionPolicy.standard
        let day: Int64 = 86_400_000
        let now = 400 * day
        #expect(policy.propose(violationRules: [], history: [], now: now) == nil)
        let first = try #require(
            policy.propose(violationRules: ["platform-rules/listings.misleading"], history: [], now: now))
        #expect(first.level == .warning && first.endsAt == nil)
        let second = try #require(
            policy.propose(
                violationRules: ["platform-rules/listings.misleading"],
                history: [.init(level: .warning, imposedAt: now - 10 * day, overturned: false)], now: now))
        #expect(second.level == .restriction && second.functions == [.listings])
        #expect(second.endsAt == now + 30 * day)
        // a year-old sanction no longer counts; an overturned one never did
        let fresh = try #require(
            policy.propose(
                violationRules: ["platform-rules/reviews.fake"],
                history: [
                    .init(level: .suspension, imposedAt: now - 366 * day, overturned: false),
                    .init(level: .termination, imposedAt: now - day, overturned: true),
                ], now: now))
        #expect(fresh.level == .warning)
        let severe = try #require(
            policy.propose(
                violationRules: ["platform-rules/fraud"],
                history: [.init(level: .restriction, imposedAt: now - day, overturned: false)], now: now))
        #expect(severe.level == .termination)
        #expect(SanctionLevel.ban.next == .ban)
    }
}
