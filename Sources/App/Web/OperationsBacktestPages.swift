import Domain
import Foundation
import Hummingbird
import Marketplace
import Risk

/// Risk backtests in the operations console (2.4.3): an analyst generates traffic with labelled fraud campaigns
/// and replays it through the rules and model this platform runs (and its shadow rules); the background service
/// runs it, this page follows the progress (a `meta refresh`, no script) and shows what the engine would have
/// stopped, per campaign, and what it would have cost genuine buyers.
struct OperationsBacktestPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func page(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let jobs = try await MaintenanceJobs.recent([.backtest], caller: context.caller, platform: platform)
        let standard = RiskBacktests.Parameters.standard
        let engine = platform.risk
        var values: [String: Any] = [
            "seed": standard.seed, "consumers": standard.consumers, "merchants": standard.merchants,
            "days": standard.days, "runs": standard.runs,
            "liveVersion": engine.live.version, "modelVersion": engine.model?.version ?? false,
            "shadowVersion": engine.shadow?.version ?? false,
            "jobs": jobs.map { job -> [String: Any] in
                var row = OperationsKeyPages.job(job, view)
                row["shape"] = RiskBacktests.parameters(of: job).map { Self.shape($0, view) } ?? ""
                row["hasReport"] = job.result != nil
                return row
            },
            "noJobs": jobs.isEmpty,
            "reports": jobs.prefix(3).compactMap { job in
                RiskBacktests.report(of: job).map { Self.report($0, job: job, view) }
            },
        ]
        if jobs.contains(where: { !$0.finished }) { values["refreshSeconds"] = 2 }
        return view.page("ops-backtests", values)
    }

    @Sendable func start(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let seed = try form.integer("seed")
        guard seed >= 0 else { throw Problem.invalid("seed", "The seed must be zero or more.") }
        let parameters = RiskBacktests.Parameters(
            seed: UInt64(seed), consumers: Int(try form.integer("consumers")),
            merchants: Int(try form.integer("merchants")), days: Int(try form.integer("days")),
            runs: Int(try form.integer("runs")))
        _ = try await RiskBacktests.start(parameters, caller: context.caller, platform: platform)
        return WebView.redirect("/ops/risk/backtests?done=job_started")
    }

    static func shape(_ parameters: RiskBacktests.Parameters, _ view: WebView) -> String {
        view.text("backtest_shape")
            .replacingOccurrences(of: "{consumers}", with: String(parameters.consumers))
            .replacingOccurrences(of: "{merchants}", with: String(parameters.merchants))
            .replacingOccurrences(of: "{days}", with: String(parameters.days))
            .replacingOccurrences(of: "{runs}", with: String(parameters.runs))
            .replacingOccurrences(of: "{seed}", with: String(parameters.seed))
    }

    static func report(_ report: Backtest.Report, job: MaintenanceJobView, _ view: WebView) -> [String: Any] {
        let campaigns = MarketplaceSimulator.campaigns.compactMap { name in
            report.campaigns[name].map { (name: name, figures: $0) }
        }
        let percent = { (part: Int, whole: Int) in String(format: "%.2f%%", 100 * Double(part) / Double(max(whole, 1)))
        }
        return [
            "id": job.id, "started": WebFormat.time(job.createdAt), "events": report.events,
            "versions": report.ruleSetVersion + (report.modelVersion.map { " · \($0)" } ?? ""),
            "outcomes": ["allow", "review", "challenge", "block"].map {
                ["outcome": view.text("outcome_\($0)"), "count": report.outcomes[$0] ?? 0]
            },
            "campaigns": campaigns.map { item -> [String: Any] in
                [
                    "name": view.text("campaign_\(item.name)"), "key": item.name, "events": item.figures.events,
                    "stopped": item.figures.stopped, "recall": String(format: "%.1f%%", item.figures.recall * 100),
                    "runsStopped": item.figures.runsStopped, "runs": item.figures.runs,
                    "passed": String(format: "%.1f", item.figures.medianPassedBeforeFirstStop),
                ]
            },
            "recallChart": Chart.bars(
                campaigns.map {
                    (label: view.text("campaign_\($0.name)"), value: Int(($0.figures.recall * 100).rounded()))
                }),
            "genuineOrders": report.genuineOrders, "genuineOrdersBlocked": report.genuineOrdersBlocked,
            "genuineOrdersBlockedRate": percent(report.genuineOrdersBlocked, report.genuineOrders),
            "genuineEvents": report.genuineEvents, "genuineEventsStopped": report.genuineEventsStopped,
            "genuineEventsStoppedRate": percent(report.genuineEventsStopped, report.genuineEvents),
            "stoppedBy": report.genuineStoppedBy.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map {
                ["code": $0.key, "count": $0.value]
            },
            "shadowDifferences": report.shadowDifferences.sorted { $0.key < $1.key }.map {
                ["change": $0.key, "count": $0.value]
            },
            "hasStoppedBy": !report.genuineStoppedBy.isEmpty, "hasShadow": !report.shadowDifferences.isEmpty,
        ]
    }
}
