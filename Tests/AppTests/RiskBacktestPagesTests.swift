import Domain
import Foundation
import Marketplace
import Risk
import Storage
import Testing

@testable import App

/// Risk backtests started from the operations console (issues 6 and 10, clause 2.4.3): a risk analyst queues
/// one, the background service replays the traffic a page at a time with its progress stored, and the page shows
/// the same report `covenant risk backtest` would print for the same traffic and engine.
@Suite("Risk backtest jobs")
struct RiskBacktestPagesTests {
    static let analyst = Caller(
        accountId: "analyst-1", role: .riskAnalyst, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)
    static let small = RiskBacktests.Parameters(seed: 11, consumers: 300, merchants: 20, days: 1, runs: 3)

    @Test("2.4.3: an analyst starts a backtest from the page, follows its progress and reads its report")
    func backtestPage() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                var (analyst, _) = try await OpsPagesTests.staff(
                    .riskAnalyst, login: "analyst@ops.example", client: client, env: env)
                let page = try await analyst.get("/ops/risk/backtests")
                #expect(page.status == 200)
                #expect(page.body.contains(env.platform.risk.live.version))
                #expect(!page.body.contains("http-equiv=\"refresh\""))
                try OpsPagesTests.expectTokens(page, analyst, "/ops/risk/backtests")
                let form = [
                    "seed": "11", "consumers": "300", "merchants": "20", "days": "1", "runs": "3",
                ]

                // bad parameters are refused and queue nothing
                for (field, value) in [("consumers", "5"), ("days", "30"), ("runs", "many"), ("seed", "-1")] {
                    var bad = form
                    bad[field] = value
                    let refused = try await analyst.post("/ops/risk/backtests", bad)
                    #expect(refused.status == 422, "\(field)=\(value): \(refused.status)")
                }
                #expect(
                    try await MaintenanceJobs.recent([.backtest], caller: Self.analyst, platform: env.platform).isEmpty)

                // act: start one; a second waits for it
                let started = try await analyst.post("/ops/risk/backtests", form)
                #expect(started.status == 303 && started.headers[.location] == "/ops/risk/backtests?done=job_started")
                #expect(try await analyst.post("/ops/risk/backtests", form).status == 409)
                let queued = try await analyst.get("/ops/risk/backtests?done=job_started")
                #expect(
                    queued.body.contains("http-equiv=\"refresh\" content=\"2\"")
                        && queued.body.contains("status-queued"))
                #expect(try await MaintenanceJobs.runQueued(platform: env.platform) == 1)

                // check: the stored report is the one the command gives for the same traffic and engine
                let job = try #require(
                    try await MaintenanceJobs.recent([.backtest], caller: Self.analyst, platform: env.platform).first)
                let expected = Backtest.run(
                    MarketplaceSimulator(seed: 11, consumers: 300, merchants: 20, days: 1, runsPerCampaign: 3).events(),
                    engine: env.platform.risk)
                #expect(job.status == "done" && job.done == job.total && job.total == Int64(expected.events))
                #expect(RiskBacktests.report(of: job) == expected)
                #expect(RiskBacktests.parameters(of: job) == Self.small)
                let done = try await analyst.get("/ops/risk/backtests")
                #expect(!done.body.contains("http-equiv=\"refresh\"") && done.body.contains("status-done"))
                #expect(done.body.contains("id=\"report-\(job.id)\""))
                #expect(done.body.contains("class=\"events-replayed\">\(expected.events)<"))
                for name in MarketplaceSimulator.campaigns {
                    let figures = try #require(expected.campaigns[name])
                    #expect(
                        done.body.contains(
                            "<tr data-campaign=\"\(name)\">"
                                + "<th scope=\"row\">\(WebRenderer.shared.strings[.zh]?["campaign_\(name)"] ?? name)</th>"
                                + "<td>\(figures.events)</td><td>\(figures.stopped)</td>"
                                + "<td class=\"recall\">\(String(format: "%.1f%%", figures.recall * 100))</td>"))
                }
                #expect(done.body.contains("<svg class=\"chart\""))
                #expect(try await env.auditCount("maintenance.start") == 1)
                #expect(try await env.auditCount("maintenance.finish") == 1)

                // a security officer neither sees backtests nor starts one through the key page
                var (officer, _) = try await OpsPagesTests.staff(
                    .securityOfficer, login: "security@ops.example", client: client, env: env)
                #expect(try await officer.get("/ops/risk/backtests").status == 403)
                #expect(try await officer.post("/ops/keys/jobs/risk.backtest", [:]).status == 404)
                #expect(!(try await officer.get("/ops/keys").body.contains(job.id)))
            }
        }
    }

    @Test("2.4.3: a backtest replays through the platform's shadow rules too and reports where they differ")
    func shadowDifferences() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // setup: a stricter shadow rule set (every threshold at 10 points)
            let shadow = RiskRuleSet(
                version: "stricter-1", thresholds: .init(review: 10, challenge: 10, block: 10),
                rules: env.platform.risk.live.rules)
            var platform = env.platform
            platform.risk = RiskEngine(live: env.platform.risk.live, shadow: shadow, model: env.platform.risk.model)

            // act
            _ = try await RiskBacktests.start(Self.small, caller: Self.analyst, platform: platform)
            #expect(try await MaintenanceJobs.runQueued(platform: platform) == 1)

            // check
            let job = try #require(
                try await MaintenanceJobs.recent([.backtest], caller: Self.analyst, platform: platform).first)
            let report = try #require(RiskBacktests.report(of: job))
            let expected = Backtest.run(
                MarketplaceSimulator(seed: 11, consumers: 300, merchants: 20, days: 1, runsPerCampaign: 3).events(),
                engine: platform.risk, shadow: RiskEngine(live: shadow, model: platform.risk.model))
            #expect(report == expected)
            #expect(!report.shadowDifferences.isEmpty)
            #expect(report.shadowDifferences.keys.allSatisfy { $0.hasSuffix("→block") })
        }
    }

    @Test("2.4.3: only risk analysts start backtests; parameters outside the bounds are refused")
    func permissionsAndBounds() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let officer = KeyMaintenancePagesTests.officer
            await #expect(throws: Problem.self) {
                try await RiskBacktests.start(Self.small, caller: officer, platform: env.platform)
            }
            await #expect(throws: Problem.self) {
                try await MaintenanceJobs.recent([.backtest], caller: officer, platform: env.platform)
            }
            var huge = Self.small
            huge.consumers = 1_000_000
            await #expect(throws: Problem.self) {
                try await RiskBacktests.start(huge, caller: Self.analyst, platform: env.platform)
            }
            let ran = try await MaintenanceJobs.runQueued(platform: env.platform)
            #expect(ran == 0)
        }
    }
}
