import Domain
import Foundation
import Hummingbird
import Marketplace

/// Key maintenance in the operations console (2.3.2): after `covenant keys rotate` (or `rotate-index`) and a
/// restart, a security officer starts the re-wrap or re-index here; the background service runs it and this page
/// shows its progress, reloading itself (a `meta refresh`, no script) until every job has finished.
struct OperationsKeyPages {
    let platform: Platform

    @Sendable func keys(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let state = try await MaintenanceJobs.keyState(caller: context.caller, platform: platform)
        let jobs = try await MaintenanceJobs.recent(
            MaintenanceJobKind.keyKinds, caller: context.caller, platform: platform)
        var values: [String: Any] = [
            "masterVersion": state.masterVersion, "staleDataKeys": state.staleDataKeys,
            "blindIndexVersion": state.blindIndexVersion, "staleLoginIndexes": state.staleLoginIndexes,
            "jobs": jobs.map { Self.job($0, view) },
            "noJobs": jobs.isEmpty,
        ]
        if jobs.contains(where: { !$0.finished }) { values["refreshSeconds"] = 2 }
        return view.page("ops-keys", values)
    }

    /// A job's row: what it is, its status and its progress bar.
    static func job(_ job: MaintenanceJobView, _ view: WebView) -> [String: Any] {
        [
            "id": job.id, "kind": view.text("job_\(job.kind.replacingOccurrences(of: ".", with: "_"))"),
            "status": view.text("job_status_\(job.status)"), "statusKey": job.status,
            "done": job.done, "total": max(job.total, job.done), "started": WebFormat.time(job.createdAt),
            "finished": job.finishedAt.map { WebFormat.time($0) } ?? false, "error": job.error ?? false,
            "percent": job.total > 0 ? Int(job.done * 100 / job.total) : (job.finished ? 100 : 0),
        ]
    }

    @Sendable func start(_ request: Request, context: StaffContext) async throws -> Response {
        guard let kind = MaintenanceJobKind(rawValue: try context.parameters.require("kind")),
            MaintenanceJobKind.keyKinds.contains(kind)
        else {
            throw Problem.notFound("The operation")
        }
        _ = try await MaintenanceJobs.start(kind, caller: context.caller, platform: platform)
        return WebView.redirect("/ops/keys?done=job_started")
    }
}
