import Foundation
import Testing

@testable import Risk

/// Clause 2.4.3: declarative, versioned rules; decisions with reasons; shadow mode beside the live set.
@Suite("Risk: rules and decisions")
struct RiskEngineTests {
    static let json = """
        {"version": "2026-11-29.1",
         "thresholds": {"review": 30, "challenge": 60, "block": 90},
         "rules": [
          {"id": "velocity", "events": ["checkout"], "score": 40, "outcome": "review", "reason": "velocity.checkouts_1h",
           "condition": {"feature": "checkouts_1h", "op": ">=", "value": 10}},
          {"id": "new-and-large", "events": ["checkout"], "score": 30, "outcome": "allow",
           "reason": "new_account.large_amount",
           "condition": {"all": [{"feature": "account_age_days", "op": "<", "value": 1},
                                 {"feature": "amount_fen", "op": ">=", "value": 200000}]}},
          {"id": "denied", "events": ["checkout", "login"], "score": 100, "outcome": "block", "reason": "list.denied",
           "condition": {"feature": "on_deny_list", "op": "==", "value": 1}}
         ]}
        """

    @Test("2.4.3: rules add scores; the outcome is the most severe of the rules' and the thresholds'")
    func decisions() throws {
        // setup
        let rules = try RiskRuleSet.load(json: Data(Self.json.utf8))
        let engine = RiskEngine(live: rules)

        // act + check: nothing unusual
        let calm = engine.decide(.checkout, features: ["checkouts_1h": 1, "account_age_days": 300, "amount_fen": 100])
        #expect(calm.outcome == .allow && calm.score == 0 && calm.reasons.isEmpty)
        #expect(calm.ruleSetVersion == "2026-11-29.1")
        // one rule asks for review
        let busy = engine.decide(.checkout, features: ["checkouts_1h": 12])
        #expect(busy.outcome == .review && busy.reasons.map(\.code) == ["velocity.checkouts_1h"])
        // two rules: 70 points cross the challenge threshold though neither asks for it
        let both = engine.decide(
            .checkout, features: ["checkouts_1h": 12, "account_age_days": 0.2, "amount_fen": 300_000])
        #expect(both.outcome == .challenge && both.score == 70)
        #expect(both.reasons.first?.code == "velocity.checkouts_1h", "largest contribution first")
        // a rule for other events does not fire; a missing feature never matches
        #expect(engine.decide(.login, features: ["checkouts_1h": 50]).outcome == .allow)
        #expect(engine.decide(.login, features: ["on_deny_list": 1]).outcome == .block)
        #expect(engine.decide(.checkout, features: [:]).outcome == .allow)
    }

    @Test("2.4.3: a shadow rule set is decided beside the live one and differences show")
    func shadow() throws {
        let live = try RiskRuleSet.load(json: Data(Self.json.utf8))
        let stricter = try RiskRuleSet.load(
            json: Data(
                Self.json.replacingOccurrences(of: "\"value\": 10}", with: "\"value\": 5}")
                    .replacingOccurrences(of: "2026-11-29.1", with: "2026-11-29.2").utf8))
        let engine = RiskEngine(live: live, shadow: stricter)
        let features: [String: Double] = ["checkouts_1h": 7]
        #expect(engine.decide(.checkout, features: features).outcome == .allow)
        #expect(engine.shadowDecision(.checkout, features: features)?.outcome == .review)
        #expect(engine.shadowDecision(.checkout, features: features)?.ruleSetVersion == "2026-11-29.2")
    }

    @Test("2.4.3: invalid rule sets are refused with a reason")
    func invalidRuleSets() {
        #expect(throws: RiskRuleSet.LoadError.self) { try RiskRuleSet.load(json: Data("{".utf8)) }
        let duplicate = Self.json.replacingOccurrences(of: "\"id\": \"denied\"", with: "\"id\": \"velocity\"")
        #expect(throws: RiskRuleSet.LoadError.invalid("two rules share an id")) {
            try RiskRuleSet.load(json: Data(duplicate.utf8))
        }
        let falling = Self.json.replacingOccurrences(of: "\"block\": 90", with: "\"block\": 10")
        #expect(throws: RiskRuleSet.LoadError.self) { try RiskRuleSet.load(json: Data(falling.utf8)) }
    }

    @Test("2.4.3: conditions round-trip through JSON")
    func conditionsRoundTrip() throws {
        let rules = try RiskRuleSet.load(json: Data(Self.json.utf8))
        let again = try RiskRuleSet.load(json: try JSONEncoder().encode(rules))
        #expect(again == rules)
        #expect(rules.rules[1].condition.features == ["account_age_days", "amount_fen"])
    }
}
