import Domain
import Storage

/// What the operations dashboard shows: orders per hour, risk outcomes, and open work against its deadlines.
/// Aggregates only (no person's data), for any member of platform staff.
public struct DashboardFigures: Sendable {
    /// Orders placed in each of the last 24 hours, oldest first.
    public let ordersPerHour: [Int]
    public let riskOutcomes: [String: Int]
    public let openDisputes: [String: Int]
    public let overdueDisputes: Int
    public let openIncidents: Int
    public let overdueIncidents: Int
    public let openRightsRequests: Int
    public let overdueRightsRequests: Int
}

public enum Dashboard {
    public static func figures(caller: Caller, platform: Platform) async throws -> DashboardFigures {
        guard caller.kind == .staff else { throw Problem.forbidden("This is for platform staff.") }
        if let problem = caller.privilegeProblem() { throw problem }
        let db = platform.db.sql
        let now = platform.now
        let hour: Int64 = 3_600_000
        let since = (now / hour - 23) * hour
        let perHour = try await DashboardStore.ordersPerHour(since: since, on: db)
        let disputes = try await DashboardStore.openDisputes(now: now, on: db)
        let incidents = try await DashboardStore.openIncidents(now: now, on: db)
        let rights = try await DashboardStore.openRightsRequests(now: now, on: db)
        return DashboardFigures(
            ordersPerHour: (0..<24).map { perHour[$0] ?? 0 },
            riskOutcomes: try await DashboardStore.riskOutcomes(since: now - 24 * hour, on: db),
            openDisputes: disputes.byStatus, overdueDisputes: disputes.overdue, openIncidents: incidents.open,
            overdueIncidents: incidents.overdue, openRightsRequests: rights.open, overdueRightsRequests: rights.overdue)
    }
}
