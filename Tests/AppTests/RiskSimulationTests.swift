import Foundation
import Marketplace
import Risk
import Testing

/// Clause 2.4.3: labelled campaigns from the simulator, replayed through the shipped rules and model: each
/// campaign is stopped early, genuine orders are not blocked, and a shadow rule set's differences are reported.
@Suite("Risk: simulated campaigns and backtests")
struct RiskSimulationTests {
    static let simulator = MarketplaceSimulator(seed: 3, consumers: 3_000, merchants: 100, days: 3, runsPerCampaign: 10)

    @Test("2.4.3: the simulator is reproducible and mixes every campaign into genuine traffic")
    func simulator() {
        let events = Self.simulator.events()
        #expect(events == Self.simulator.events(), "the same seed gives the same events")
        var other = Self.simulator
        other.seed = 4
        #expect(other.events() != events)
        #expect(Set(events.compactMap(\.campaign)) == Set(MarketplaceSimulator.campaigns))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.observation.time <= $1.observation.time })
        let fraud = events.filter(\.isFraud).count
        #expect(fraud > 0 && fraud * 10 < events.count, "campaigns are a small share of the traffic")
    }

    @Test("2.4.3: the shipped rules stop card testing and device rings within one attack, takeovers within three")
    func bundledRules() throws {
        let report = Backtest.run(Self.simulator.events(), engine: RiskEngine(live: try RiskChecks.bundledRules()))
        let card = try #require(report.campaigns["card_testing"])
        let ring = try #require(report.campaigns["review_ring"])
        let takeover = try #require(report.campaigns["account_takeover"])
        #expect(card.runs == 10 && card.runsStopped == 10)
        #expect(card.medianPassedBeforeFirstStop <= 1 && ring.medianPassedBeforeFirstStop <= 1)
        #expect(takeover.medianPassedBeforeFirstStop <= 3)
        for name in MarketplaceSimulator.campaigns {
            #expect((report.campaigns[name]?.recall ?? 0) >= 0.5, "\(name) recall")
        }
        #expect(report.genuineOrders > 1_000)
        #expect(report.genuineOrdersBlockedRate <= 0.001, "at most 0.1% of genuine orders blocked")
    }

    @Test("2.4.3: the shipped model reads exactly the pipeline's features and adds recall without blocking orders")
    func bundledModel() throws {
        let model = try GradientBoostedModel(text: String(decoding: try RiskChecks.bundledModel(), as: UTF8.self))
        #expect(model.featureNames == RiskFeatures.names)
        let rules = try RiskChecks.bundledRules()
        let events = Self.simulator.events()
        let plain = Backtest.run(events, engine: RiskEngine(live: rules))
        let scored = Backtest.run(
            events, engine: RiskEngine(live: rules, model: RiskModel(version: "bundled", model: model, weight: 60)))
        let stopped = { (r: Backtest.Report) in r.campaigns.values.reduce(0) { $0 + $1.stopped } }
        #expect(stopped(scored) >= stopped(plain))
        #expect(scored.genuineOrdersBlockedRate <= 0.001)
        #expect(scored.modelVersion == "bundled")
    }

    @Test("2.4.3: a shadow rule set without the card-testing rules shows where it would have let attacks through")
    func shadow() throws {
        let live = try RiskChecks.bundledRules()
        let shadow = RiskRuleSet(
            version: "shadow-1", thresholds: live.thresholds,
            rules: live.rules.filter { !$0.reason.hasPrefix("card_testing") })
        let report = Backtest.run(
            Self.simulator.events(), engine: RiskEngine(live: live), shadow: RiskEngine(live: shadow))
        #expect((report.shadowDifferences["block→allow"] ?? 0) + (report.shadowDifferences["review→allow"] ?? 0) > 0)
        #expect(report.shadowDifferences.keys.allSatisfy { !$0.hasPrefix("allow→") }, "removing rules never adds stops")
    }
}
