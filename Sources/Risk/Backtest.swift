/// Replays events through the feature pipeline and an engine (and a shadow engine, if given), and reports what
/// it would have decided: recall per campaign, how many fraudulent events of a run pass before the first one is
/// stopped (review, challenge or block), genuine events blocked, and where the two engines differ.
public struct Backtest: Sendable {
    public struct CampaignFigures: Sendable, Codable, Equatable {
        public var events = 0
        /// Fraudulent events reviewed, challenged or blocked.
        public var stopped = 0
        public var runs = 0
        /// Runs with at least one event stopped.
        public var runsStopped = 0
        /// Per run, fraudulent events that passed before the first stop (a run never stopped counts all).
        public var passedBeforeFirstStop: [Int] = []

        public var recall: Double { events == 0 ? 0 : Double(stopped) / Double(events) }
        public var medianPassedBeforeFirstStop: Double {
            let sorted = passedBeforeFirstStop.sorted()
            guard !sorted.isEmpty else { return 0 }
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
        }
    }

    public struct Report: Sendable, Codable, Equatable {
        public var events = 0
        public var outcomes: [String: Int] = [:]
        public var campaigns: [String: CampaignFigures] = [:]
        public var genuineOrders = 0
        public var genuineOrdersBlocked = 0
        public var genuineEvents = 0
        public var genuineEventsStopped = 0
        /// What stopped genuine events (false positives), by the decision's top reason.
        public var genuineStoppedBy: [String: Int] = [:]
        /// Events where the shadow engine's outcome differs from the live one, by `live→shadow`.
        public var shadowDifferences: [String: Int] = [:]
        public var ruleSetVersion = ""
        public var modelVersion: String?

        public var genuineOrdersBlockedRate: Double {
            genuineOrders == 0 ? 0 : Double(genuineOrdersBlocked) / Double(genuineOrders)
        }
    }

    /// A labelled row for training: the features of an event and whether it was fraud.
    public typealias Row = (features: RiskFeatureVector, fraud: Bool)

    public static func run(
        _ events: [SimulatedEvent], engine: RiskEngine, shadow: RiskEngine? = nil,
        rows: ((Row) -> Void)? = nil
    ) -> Report {
        var replay = Replay(engine: engine, shadow: shadow)
        for event in events { replay.observe(event, rows: rows) }
        return replay.report
    }

    /// The same replay an event at a time, so that a long one can save its progress between pages.
    public struct Replay: Sendable {
        let engine: RiskEngine
        let shadow: RiskEngine?
        var pipeline = RiskFeatures()
        var figures = Report()
        var runPassed: [Int: Int] = [:]
        var runStopped: Set<Int> = []
        var runCampaign: [Int: String] = [:]

        public init(engine: RiskEngine, shadow: RiskEngine? = nil) {
            self.engine = engine
            self.shadow = shadow
            figures.ruleSetVersion = engine.live.version
            figures.modelVersion = engine.model?.version
        }

        public var events: Int { figures.events }

        public mutating func observe(_ event: SimulatedEvent, rows: ((Row) -> Void)? = nil) {
            let features = pipeline.observe(event.observation)
            rows?((features, event.isFraud))
            let decision = engine.decide(event.observation.kind, features: features)
            figures.events += 1
            figures.outcomes[decision.outcome.rawValue, default: 0] += 1
            let stopped = decision.outcome != .allow
            if let shadow {
                let other = shadow.decide(event.observation.kind, features: features)
                if other.outcome != decision.outcome {
                    figures.shadowDifferences["\(decision.outcome.rawValue)→\(other.outcome.rawValue)", default: 0] += 1
                }
            }
            if let campaign = event.campaign, let run = event.run {
                figures.campaigns[campaign, default: CampaignFigures()].events += 1
                if stopped { figures.campaigns[campaign, default: CampaignFigures()].stopped += 1 }
                runCampaign[run] = campaign
                if !runStopped.contains(run) {
                    if stopped {
                        runStopped.insert(run)
                    } else if !event.preparatory {
                        runPassed[run, default: 0] += 1
                    }
                }
            } else {
                figures.genuineEvents += 1
                if stopped {
                    figures.genuineEventsStopped += 1
                    figures.genuineStoppedBy[decision.reasons.first?.code ?? "score", default: 0] += 1
                }
                if event.observation.kind == .checkout {
                    figures.genuineOrders += 1
                    if decision.outcome == .block { figures.genuineOrdersBlocked += 1 }
                }
            }
            // A blocked payment never reaches the institution; one let through may be declined.
            if event.declined && event.observation.kind == .payment && decision.outcome != .block {
                pipeline.paymentFailed(event.observation)
            }
        }

        /// The figures so far, with each campaign's runs counted.
        public var report: Report {
            var report = figures
            for (run, campaign) in runCampaign.sorted(by: { $0.key < $1.key }) {
                report.campaigns[campaign, default: CampaignFigures()].runs += 1
                if runStopped.contains(run) { report.campaigns[campaign, default: CampaignFigures()].runsStopped += 1 }
                report.campaigns[campaign, default: CampaignFigures()].passedBeforeFirstStop.append(runPassed[run] ?? 0)
            }
            return report
        }
    }
}
