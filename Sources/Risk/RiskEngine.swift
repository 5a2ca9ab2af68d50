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
/// is decided beside the live one and never obeyed.
public struct RiskEngine: Sendable {
    public let live: RiskRuleSet
    public let shadow: RiskRuleSet?
    public let model: RiskModel?

    public init(live: RiskRuleSet, shadow: RiskRuleSet? = nil, model: RiskModel? = nil) {
        self.live = live
        self.shadow = shadow
        self.model = model
    }

    public func decide(_ event: RiskEventKind, features: [String: Double]) -> RiskDecision {
        decide(event, features: features, rules: live)
    }

    /// The shadow set's decision, when one is loaded.
    public func shadowDecision(_ event: RiskEventKind, features: [String: Double]) -> RiskDecision? {
        shadow.map { decide(event, features: features, rules: $0) }
    }

    func decide(_ event: RiskEventKind, features: [String: Double], rules set: RiskRuleSet) -> RiskDecision {
        var score = 0.0
        var outcome = RiskOutcome.allow
        var reasons: [RiskReason] = []
        for rule in set.rules where rule.events.contains(event) && rule.condition.holds(features) {
            score += rule.score
            outcome = max(outcome, rule.outcome)
            reasons.append(RiskReason(code: rule.reason, contribution: rule.score))
        }
        if let model {
            let columns = model.model.featureNames.map { features[$0] ?? .nan }
            let added = model.model.score(columns) * model.weight
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
