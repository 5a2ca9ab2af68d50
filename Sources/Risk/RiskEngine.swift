import Foundation

/// One reason for a decision: a rule that fired, or the model, with what it added to the score.
public struct RiskReason: Sendable, Equatable, Codable {
    public let code: String
    public let contribution: Double

    public init(code: String, contribution: Double) {
        self.code = code
        self.contribution = contribution
    }
}

public struct RiskDecision: Sendable, Equatable, Codable {
    public let outcome: RiskOutcome
    public let score: Double
    /// The largest contributions first (at most five).
    public let reasons: [RiskReason]
    public let ruleSetVersion: String
    public let modelVersion: String?
}

/// A model and the feature names its columns read.
public struct RiskModel: Sendable {
    public let version: String
    public let model: GradientBoostedModel
    /// Points added to the score per unit of model probability (a probability of 0.9 adds 0.9 × weight).
    public let weight: Double

    public init(version: String, model: GradientBoostedModel, weight: Double) {
        self.version = version
        self.model = model
        self.weight = weight
    }
}

/// Decides in-process, in microseconds: rules add scores and may ask for an outcome; the model adds its
/// weighted probability; the outcome is the most severe of the rules' and the thresholds'. A shadow rule set
/// is decided beside the live one and never obeyed. Rules and model columns are resolved to feature positions
/// once, here, so a decision reads features by index and looks at only the rules for its event.
public struct RiskEngine: Sendable {
    public let live: RiskRuleSet
    public let shadow: RiskRuleSet?
    public let model: RiskModel?
    private let compiledLive: CompiledRules
    private let compiledShadow: CompiledRules?
    /// Where each model column is found; nil when the columns are `RiskFeatures.names` itself (the row is passed
    /// to the trees as it is).
    private let modelColumns: [RiskFeatureReference]?

    public init(live: RiskRuleSet, shadow: RiskRuleSet? = nil, model: RiskModel? = nil) {
        self.live = live
        self.shadow = shadow
        self.model = model
        compiledLive = CompiledRules(live)
        compiledShadow = shadow.map(CompiledRules.init)
        modelColumns = model.flatMap { model in
            model.model.featureNames == RiskFeatures.names
                ? nil : model.model.featureNames.map(RiskFeatureReference.init)
        }
    }

    public func decide(_ event: RiskEventKind, features: RiskFeatureVector) -> RiskDecision {
        decide(event, features: features, rules: compiledLive)
    }

    public func decide(_ event: RiskEventKind, features: [String: Double]) -> RiskDecision {
        decide(event, features: RiskFeatureVector(named: features))
    }

    /// The shadow set's decision, when one is loaded.
    public func shadowDecision(_ event: RiskEventKind, features: RiskFeatureVector) -> RiskDecision? {
        compiledShadow.map { decide(event, features: features, rules: $0) }
    }

    private func decide(_ event: RiskEventKind, features: RiskFeatureVector, rules set: CompiledRules) -> RiskDecision {
        var score = 0.0
        var outcome = RiskOutcome.allow
        var reasons: [RiskReason] = []
        for rule in set.byEvent[event.number] where rule.condition.holds(features) {
            score += rule.score
            outcome = max(outcome, rule.outcome)
            reasons.append(RiskReason(code: rule.reason, contribution: rule.score))
        }
        if let model {
            let probability =
                if let modelColumns {
                    model.model.score(modelColumns.map { $0.value(in: features) })
                } else {
                    model.model.score(features.values)
                }
            let added = probability * model.weight
            score += added
            reasons.append(RiskReason(code: "model", contribution: added))
        }
        let t = set.thresholds
        let byScore: RiskOutcome =
            score >= t.block ? .block : score >= t.challenge ? .challenge : score >= t.review ? .review : .allow
        outcome = max(outcome, byScore)
        reasons.sort { $0.contribution > $1.contribution }
        return RiskDecision(
            outcome: outcome, score: score, reasons: Array(reasons.prefix(5)), ruleSetVersion: set.version,
            modelVersion: model?.version)
    }
}

/// A rule set resolved for deciding: each event's rules, in the set's order, with conditions over positions.
private struct CompiledRules: Sendable {
    struct Rule: Sendable {
        let condition: Condition
        let score: Double
        let outcome: RiskOutcome
        let reason: String
    }

    indirect enum Condition: Sendable {
        case compare(RiskFeatureReference, RiskCondition.Comparison, Double)
        case all([Condition])
        case any([Condition])

        init(_ condition: RiskCondition) {
            switch condition {
            case .compare(let feature, let comparison, let value):
                self = .compare(RiskFeatureReference(feature), comparison, value)
            case .all(let conditions): self = .all(conditions.map(Condition.init))
            case .any(let conditions): self = .any(conditions.map(Condition.init))
            }
        }

        /// True when the condition holds; a missing feature makes a comparison false.
        func holds(_ features: RiskFeatureVector) -> Bool {
            switch self {
            case .compare(let feature, let comparison, let value):
                let actual = feature.value(in: features)
                guard !actual.isNaN else { return false }
                switch comparison {
                case .greater: return actual > value
                case .greaterOrEqual: return actual >= value
                case .less: return actual < value
                case .lessOrEqual: return actual <= value
                case .equal: return actual == value
                case .notEqual: return actual != value
                }
            case .all(let conditions): return conditions.allSatisfy { $0.holds(features) }
            case .any(let conditions): return conditions.contains { $0.holds(features) }
            }
        }
    }

    let version: String
    let thresholds: RiskRuleSet.Thresholds
    /// Indexed by `RiskEventKind.number`.
    let byEvent: [[Rule]]

    init(_ set: RiskRuleSet) {
        version = set.version
        thresholds = set.thresholds
        byEvent = RiskEventKind.allCases.map { event in
            set.rules.filter { $0.events.contains(event) }.map {
                Rule(condition: Condition($0.condition), score: $0.score, outcome: $0.outcome, reason: $0.reason)
            }
        }
    }
}
