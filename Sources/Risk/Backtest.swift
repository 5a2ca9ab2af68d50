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
    public typealias Row = (features: [String: Double], fraud: Bool)

    public static func run(
        _ events: [SimulatedEvent], engine: RiskEngine, shadow: RiskEngine? = nil,
        rows: ((Row) -> Void)? = nil
    ) -> Report {
        var pipeline = RiskFeatures()
        var report = Report()
        report.ruleSetVersion = engine.live.version
        report.modelVersion = engine.model?.version
        var runPassed: [Int: Int] = [:]
        var runStopped: Set<Int> = []
        var runCampaign: [Int: String] = [:]
        for event in events {
            let features = pipeline.observe(event.observation)
            rows?((features, event.isFraud))
            let decision = engine.decide(event.observation.kind, features: features)
            report.events += 1
            report.outcomes[decision.outcome.rawValue, default: 0] += 1
            let stopped = decision.outcome != .allow
            if let shadow {
                let other = shadow.decide(event.observation.kind, features: features)
                if other.outcome != decision.outcome {
                    report.shadowDifferences["\(decision.outcome.rawValue)→\(other.outcome.rawValue)", default: 0] += 1
                }
            }
            if let campaign = event.campaign, let run = event.run {
                report.campaigns[campaign, default: CampaignFigures()].events += 1
                if stopped { report.campaigns[campaign, default: CampaignFigures()].stopped += 1 }
                runCampaign[run] = campaign
                if !runStopped.contains(run) {
                    if stopped {
                        runStopped.insert(run)
                    } else if !event.preparatory {
                        runPassed[run, default: 0] += 1
                    }
                }
            } else {
                report.genuineEvents += 1
                if stopped {
                    report.genuineEventsStopped += 1
                    report.genuineStoppedBy[decision.reasons.first?.code ?? "score", default: 0] += 1
                }
                if event.observation.kind == .checkout {
                    report.genuineOrders += 1
                    if decision.outcome == .block { report.genuineOrdersBlocked += 1 }
                }
            }
            // A blocked payment never reaches the institution; one let through may be declined.
            if event.declined && event.observation.kind == .payment && decision.outcome != .block {
                pipeline.paymentFailed(event.observation)
            }
        }
        for (run, campaign) in runCampaign {
            report.campaigns[campaign, default: CampaignFigures()].runs += 1
            if runStopped.contains(run) { report.campaigns[campaign, default: CampaignFigures()].runsStopped += 1 }
            report.campaigns[campaign, default: CampaignFigures()].passedBeforeFirstStop.append(runPassed[run] ?? 0)
        }
        return report
    }
}
