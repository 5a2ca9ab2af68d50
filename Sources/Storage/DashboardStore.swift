import Foundation
public import SQLKit

/// Counts for the operations dashboard: aggregates only, never a person's row.
public enum DashboardStore {
    /// Orders placed per hour since `since`, by hour index from `since` (hours with none are absent).
    public static func ordersPerHour(since: Int64, on db: any SQLDatabase) async throws -> [Int: Int] {
        try await counts(
            db.raw(
                """
                SELECT CAST((created_at - \(bind: since)) / 3600000 AS BIGINT) AS k, COUNT(*) AS n FROM orders
                WHERE created_at >= \(bind: since) GROUP BY CAST((created_at - \(bind: since)) / 3600000 AS BIGINT)
                """
            ).all()
        ).reduce(into: [:]) { $0[Int($1.key) ?? 0] = $1.value }
    }

    /// Risk decisions since `since` by outcome.
    public static func riskOutcomes(since: Int64, on db: any SQLDatabase) async throws -> [String: Int] {
        try await counts(
            db.raw(
                """
                SELECT outcome AS k, COUNT(*) AS n FROM risk_decisions WHERE created_at >= \(bind: since)
                GROUP BY outcome
                """
            ).all())
    }

    /// Open disputes by status, and how many are past their deadline.
    public static func openDisputes(now: Int64, on db: any SQLDatabase) async throws -> (
        byStatus: [String: Int], overdue: Int
    ) {
        let byStatus = try await counts(
            db.raw(
                "SELECT status AS k, COUNT(*) AS n FROM disputes WHERE status NOT IN ('closed', 'withdrawn') GROUP BY status"
            ).all())
        let overdue = try await count(
            db.raw(
                """
                SELECT COUNT(*) AS n FROM disputes WHERE status NOT IN ('closed', 'withdrawn')
                AND due_at IS NOT NULL AND due_at < \(bind: now)
                """))
        return (byStatus, overdue)
    }

    /// Incidents not closed: how many, and how many are past the people's or the regulator's clock.
    public static func openIncidents(now: Int64, on db: any SQLDatabase) async throws -> (open: Int, overdue: Int) {
        let open = try await count(db.raw("SELECT COUNT(*) AS n FROM incidents WHERE status <> 'closed'"))
        let overdue = try await count(
            db.raw(
                """
                SELECT COUNT(*) AS n FROM incidents WHERE status <> 'closed' AND (notify_due_at < \(bind: now)
                OR (regulator_due_at IS NOT NULL AND regulator_reported_at IS NULL AND regulator_due_at < \(bind: now)))
                """))
        return (open, overdue)
    }

    /// Rights requests not completed: how many, and how many are past their 15 working days.
    public static func openRightsRequests(now: Int64, on db: any SQLDatabase) async throws -> (open: Int, overdue: Int)
    {
        let open = try await count(db.raw("SELECT COUNT(*) AS n FROM privacy_requests WHERE completed_at IS NULL"))
        let overdue = try await count(
            db.raw("SELECT COUNT(*) AS n FROM privacy_requests WHERE completed_at IS NULL AND due_at < \(bind: now)"))
        return (open, overdue)
    }

    private static func counts(_ rows: [any SQLRow]) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in rows {
            let key: String
            if let text = try? row.decode(column: "k", as: String.self) {
                key = text
            } else {
                key = String(try row.decode(column: "k", as: Int64.self))
            }
            result[key] = Int(try row.decode(column: "n", as: Int64.self))
        }
        return result
    }

    private static func count(_ query: some SQLQueryFetcher) async throws -> Int {
        guard let row = try await query.first() else { return 0 }
        return Int(try row.decode(column: "n", as: Int64.self))
    }
}
