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

    @Test("2.4.3: features by position and by name are one set: rules read both, storage sees names only")
    func featureVector() throws {
        // setup: a sliding-window feature (by position) and a platform one (by name)
        var features = RiskFeatureVector()
        features["amount_fen"] = 250_000
        features["account_age_days"] = 0.5
        features["on_deny_list"] = 0
        features["claims_90d"] = 3

        // check: reads, removal, the stored form
        #expect(features["amount_fen"] == 250_000 && features["claims_90d"] == 3)
        #expect(features["ring_size"] == nil && features["unknown"] == nil)
        #expect(features.named == ["amount_fen": 250_000, "account_age_days": 0.5, "on_deny_list": 0, "claims_90d": 3])
        features["claims_90d"] = nil
        features["amount_fen"] = .nan
        #expect(features["claims_90d"] == nil && features["amount_fen"] == nil)
        #expect(RiskFeatureVector(named: features.named).named == features.named)

        // check: a positional rule and a named rule both fire, each only for its events
        let engine = RiskEngine(live: try RiskRuleSet.load(json: Data(Self.json.utf8)))
        features["amount_fen"] = 250_000
        #expect(engine.decide(.checkout, features: features).reasons.map(\.code) == ["new_account.large_amount"])
        features["on_deny_list"] = 1
        #expect(engine.decide(.checkout, features: features).outcome == .block)
        #expect(engine.decide(.login, features: features).reasons.map(\.code) == ["list.denied"])
        #expect(engine.decide(.payout, features: features).outcome == .allow, "no rule names payouts")
    }

    @Test("2.4.3: event numbers and outcome severity follow their declared order")
    func orders() {
        #expect(RiskEventKind.allCases.map(\.number) == Array(RiskEventKind.allCases.indices))
        #expect(RiskOutcome.allCases == RiskOutcome.allCases.sorted())
        #expect(RiskOutcome.allow < .review && .review < .challenge && .challenge < .block)
        // each position is the feature of that name: ring_size is .ringSize
        #expect(RiskFeatures.Column.allCases.count == RiskFeatures.names.count)
        for column in RiskFeatures.Column.allCases {
            let words = RiskFeatures.names[column.rawValue].split(separator: "_")
            let camel = words.first! + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            #expect(String(describing: column) == camel)
        }
    }

    @Test("2.4.3: a model over other columns than the sliding-window ones reads them by name")
    func modelColumnsByName() throws {
        // setup: one split on a platform feature (claims_90d ≤ 2 left, else right)
        let text = """
            tree
            version=v4
            num_class=1
            num_tree_per_iteration=1
            label_index=0
            max_feature_idx=1
            objective=regression
            feature_names=amount_fen claims_90d
            feature_infos=none none
            tree_sizes=1

            Tree=0
            num_leaves=2
            num_cat=0
            split_feature=1
            split_gain=1
            threshold=2.5
            decision_type=2
            left_child=-1
            right_child=-2
            leaf_value=0.25 0.75
            leaf_weight=1 1
            leaf_count=1 1
            internal_value=0
            internal_weight=0
            internal_count=2
            is_linear=0
            shrinkage=1

            end of trees
            """
        let model = RiskModel(version: "t", model: try GradientBoostedModel(text: text), weight: 100)
        let engine = RiskEngine(
            live: RiskRuleSet(version: "empty", thresholds: .init(review: 50, challenge: 80, block: 90), rules: []),
            model: model)

        // act + check: the model's contribution follows the named column
        let few = engine.decide(.refundRequest, features: ["claims_90d": 1, "amount_fen": 10])
        let many = engine.decide(.refundRequest, features: ["claims_90d": 5, "amount_fen": 10])
        #expect(few.score == 25 && few.outcome == .allow)
        #expect(many.score == 75 && many.outcome == .review)
    }

    @Test("2.4.3: a shadow rule set is decided beside the live one and differences show")
    func shadow() throws {
        let live = try RiskRuleSet.load(json: Data(Self.json.utf8))
        let stricter = try RiskRuleSet.load(
            json: Data(
                Self.json.replacingOccurrences(of: "\"value\": 10}", with: "\"value\": 5}")
                    .replacingOccurrences(of: "2026-11-29.1", with: "2026-11-29.2").utf8))
        let engine = RiskEngine(live: live, shadow: stricter)
        let features = RiskFeatureVector(named: ["checkouts_1h": 7])
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
