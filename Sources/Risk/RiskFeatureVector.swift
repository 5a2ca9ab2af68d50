/// An event's features: the sliding-window ones by position (`RiskFeatures.names`, the order model columns and
/// CSV headers use), and any others the platform adds (database counts, lists) by name. Positions are what make
/// a decision fast: filling, reading and handing the row to the model hash no strings. NaN is a missing value.
public struct RiskFeatureVector: Sendable {
    /// By position in `RiskFeatures.names`.
    public private(set) var values: [Double]
    /// Features outside `RiskFeatures.names`, by name.
    public private(set) var extra: [String: Double] = [:]

    /// Where each of `RiskFeatures.names` sits.
    static let positions: [String: Int] = Dictionary(
        uniqueKeysWithValues: RiskFeatures.names.enumerated().map { ($1, $0) })

    /// No features (all missing).
    public init() { values = [Double](repeating: .nan, count: RiskFeatures.names.count) }

    public init(named features: [String: Double]) {
        self.init()
        for (name, value) in features { self[name] = value }
    }

    subscript(column: RiskFeatures.Column) -> Double {
        get { values[column.rawValue] }
        set { values[column.rawValue] = newValue }
    }

    /// A feature by name; nil when missing. Setting nil (or NaN) removes it.
    public subscript(name: String) -> Double? {
        get {
            let value = Self.positions[name].map { values[$0] } ?? extra[name]
            return value.flatMap { $0.isNaN ? nil : $0 }
        }
        set {
            if let position = Self.positions[name] {
                values[position] = newValue ?? .nan
            } else {
                extra[name] = newValue.flatMap { $0.isNaN ? nil : $0 }
            }
        }
    }

    /// The features present, by name (how decisions are stored and shown to analysts).
    public var named: [String: Double] {
        var named = extra
        for (position, value) in values.enumerated() where !value.isNaN { named[RiskFeatures.names[position]] = value }
        return named
    }
}

/// Where a rule or a model column finds its feature: a position, or a name outside the positions.
enum RiskFeatureReference: Sendable, Equatable {
    case position(Int)
    case name(String)

    init(_ name: String) {
        self = RiskFeatureVector.positions[name].map(Self.position) ?? .name(name)
    }

    @inline(__always)
    func value(in features: RiskFeatureVector) -> Double {
        switch self {
        case .position(let position): features.values[position]
        case .name(let name): features.extra[name] ?? .nan
        }
    }
}
