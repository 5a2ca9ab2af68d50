public import Foundation

/// What the engine decides, from least to most severe.
public enum RiskOutcome: String, Sendable, Codable, CaseIterable, Comparable {
    case allow, review, challenge, block

    /// 0 for allow up to 3 for block (a switch: `allCases` would build an array on every comparison).
    var severity: Int {
        switch self {
        case .allow: 0
        case .review: 1
        case .challenge: 2
        case .block: 3
        }
    }

    public static func < (a: RiskOutcome, b: RiskOutcome) -> Bool { a.severity < b.severity }
}

/// The events the engine scores.
public enum RiskEventKind: String, Sendable, Codable, CaseIterable {
    case registration, login, checkout, payment, payout, review
    case refundRequest = "refund_request"
    case profileChange = "profile_change"
    /// A dispute closed against a merchant (signals for enforcement).
    case disputeLost = "dispute_lost"

    /// The event's place in `allCases` (the `event_kind` feature), without building `allCases`.
    public var number: Int {
        switch self {
        case .registration: 0
        case .login: 1
        case .checkout: 2
        case .payment: 3
        case .payout: 4
        case .review: 5
        case .refundRequest: 6
        case .profileChange: 7
        case .disputeLost: 8
        }
    }
}

/// A condition over named features: a comparison, or all / any of several.
public indirect enum RiskCondition: Sendable, Equatable, Codable {
    public enum Comparison: String, Sendable, Codable {
        case greater = ">"
        case greaterOrEqual = ">="
        case less = "<"
        case lessOrEqual = "<="
        case equal = "=="
        case notEqual = "!="
    }

    case compare(feature: String, comparison: Comparison, value: Double)
    case all([RiskCondition])
    case any([RiskCondition])

    /// Every feature the condition reads (a rule set names what it needs).
    public var features: Set<String> {
        switch self {
        case .compare(let feature, _, _): [feature]
        case .all(let conditions), .any(let conditions): conditions.reduce(into: []) { $0.formUnion($1.features) }
        }
    }

    // JSON: {"feature": "count_1h", "op": ">=", "value": 5} | {"all": [...]} | {"any": [...]}
    enum CodingKeys: String, CodingKey { case feature, op, value, all, any }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let all = try container.decodeIfPresent([RiskCondition].self, forKey: .all) {
            self = .all(all)
        } else if let any = try container.decodeIfPresent([RiskCondition].self, forKey: .any) {
            self = .any(any)
        } else {
            self = .compare(
                feature: try container.decode(String.self, forKey: .feature),
                comparison: try container.decode(Comparison.self, forKey: .op),
                value: try container.decode(Double.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .compare(let feature, let comparison, let value):
            try container.encode(feature, forKey: .feature)
            try container.encode(comparison, forKey: .op)
            try container.encode(value, forKey: .value)
        case .all(let conditions): try container.encode(conditions, forKey: .all)
        case .any(let conditions): try container.encode(conditions, forKey: .any)
        }
    }
}

/// One rule: when its condition holds for one of its events, it adds its score and asks for its outcome, with a
/// reason code that staff see and callers never do.
public struct RiskRule: Sendable, Equatable, Codable {
    public let id: String
    public let events: [RiskEventKind]
    public let condition: RiskCondition
    public let score: Double
    public let outcome: RiskOutcome
    public let reason: String

    public init(
        id: String, events: [RiskEventKind], condition: RiskCondition, score: Double, outcome: RiskOutcome,
        reason: String
    ) {
        self.id = id
        self.events = events
        self.condition = condition
        self.score = score
        self.outcome = outcome
        self.reason = reason
    }
}

/// A versioned set of rules, with the score thresholds that turn a total score into an outcome.
public struct RiskRuleSet: Sendable, Equatable, Codable {
    public struct Thresholds: Sendable, Equatable, Codable {
        public let review: Double
        public let challenge: Double
        public let block: Double

        public init(review: Double, challenge: Double, block: Double) {
            self.review = review
            self.challenge = challenge
            self.block = block
        }
    }

    public let version: String
    public let thresholds: Thresholds
    public let rules: [RiskRule]

    public init(version: String, thresholds: Thresholds, rules: [RiskRule]) {
        self.version = version
        self.thresholds = thresholds
        self.rules = rules
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .malformed(let detail): "the rule set is not valid JSON: \(detail)"
            case .invalid(let detail): "the rule set is invalid: \(detail)"
            }
        }
    }

    /// Reads and checks a rule set: unique rule ids, ordered thresholds, finite scores.
    public static func load(json: Data) throws(LoadError) -> RiskRuleSet {
        let set: RiskRuleSet
        do {
            set = try JSONDecoder().decode(RiskRuleSet.self, from: json)
        } catch {
            throw .malformed(String(describing: error).prefix(200).description)
        }
        guard !set.version.isEmpty else { throw .invalid("no version") }
        guard Set(set.rules.map(\.id)).count == set.rules.count else { throw .invalid("two rules share an id") }
        let t = set.thresholds
        guard t.review <= t.challenge, t.challenge <= t.block else {
            throw .invalid("thresholds must rise: review ≤ challenge ≤ block")
        }
        for rule in set.rules where !rule.score.isFinite || rule.events.isEmpty {
            throw .invalid("rule \(rule.id) needs a finite score and at least one event")
        }
        return set
    }
}
