import Domain
import Foundation
import SQLKit
import Storage

public struct ForceMajeureView: Sendable, Codable, Equatable {
    public let id: String
    public let cause: String
    public let scope: String
    public let scopeValues: [String]
    public let startsAt: Int64
    public let endsAt: Int64
    /// When the deadlines it paused were moved on (after it ended).
    public let settledAt: Int64?
}

/// Force majeure (clause 1.1.4): staff declare a period with its cause, scope (the platform, provinces of delivery
/// addresses, categories or merchants) and time. While it lasts, deadlines in scope (confirmation of receipt, dispute responses and
/// escalations, appeal windows) do not run out; when it ends they resume with the time that was left.
/// Declaring, changing and ending a period are audited.
public enum ForceMajeure {
    public static let causes = ["natural_disaster", "war", "government_action", "change_in_law"]
    public static let scopes = ["platform", "region", "category", "merchant"]

    public static func declare(
        cause: String, scope: String, values: [String], startsAt: Int64, endsAt: Int64, caller: Caller,
        platform: Platform
    ) async throws -> ForceMajeureView {
        try caller.require(.declareForceMajeure)
        guard causes.contains(cause) else { throw Problem.invalid("cause", "One of \(causes).") }
        guard scopes.contains(scope) else { throw Problem.invalid("scope", "One of \(scopes).") }
        let cleaned = try values.map { try TextInput.singleLine(maximumLength: 64).validate($0, field: "scopeValues") }
        guard (scope == "platform") == cleaned.isEmpty, cleaned.count <= 100 else {
            throw Problem.invalid("scopeValues", "Name the categories or merchants in scope (none for the platform).")
        }
        guard endsAt > startsAt, endsAt - startsAt <= 366 * 86_400_000, endsAt > platform.now else {
            throw Problem.invalid("endsAt", "A period ends after it starts, in the future, within a year.")
        }
        let row = ForceMajeureRow(
            id: Identifiers.make(), cause: cause, scope: scope,
            scopeValues: String(decoding: try JSONEncoder().encode(cleaned), as: UTF8.self), startsAt: startsAt,
            endsAt: endsAt, declaredBy: caller.accountId, now: platform.now)
        try await platform.db.transaction { db in
            try await ForceMajeureStore.insert(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "force_majeure.declare", actor: caller.accountId, object: "force-majeure:\(row.id)",
                    details: [
                        "cause": cause, "scope": scope, "values": row.scope_values, "startsAt": String(startsAt),
                        "endsAt": String(endsAt),
                    ]), platform: platform, on: db)
        }
        return view(row)
    }

    /// Moves a period's end (ending it now when `endsAt` is nil); audited.
    public static func changeEnd(id: String, endsAt: Int64?, caller: Caller, platform: Platform) async throws
        -> ForceMajeureView
    {
        try caller.require(.declareForceMajeure)
        let now = platform.now
        let end = endsAt ?? now
        guard let row = try await ForceMajeureStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The period")
        }
        guard end >= max(row.starts_at, now) || end == now else {
            throw Problem.invalid("endsAt", "A period cannot end in the past.")
        }
        try await platform.db.transaction { db in
            guard try await ForceMajeureStore.setEnd(id: id, endsAt: max(end, row.starts_at), now: now, on: db) else {
                throw Problem.conflict("The period has ended and its deadlines were moved on.")
            }
            try await AuditTrail.record(
                AuditEvent(
                    endsAt == nil ? "force_majeure.end" : "force_majeure.change", actor: caller.accountId,
                    object: "force-majeure:\(id)", details: ["endsAt": String(end)]), platform: platform, on: db)
        }
        guard let changed = try await ForceMajeureStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The period")
        }
        return view(changed)
    }

    public static func list(caller: Caller, platform: Platform) async throws -> [ForceMajeureView] {
        try caller.require(.declareForceMajeure)
        return try await ForceMajeureStore.all(on: platform.db.sql).map(view)
    }

    /// The period in force now that covers the order, if any (why its clock stopped).
    static func pausing(_ order: OrderRow, periods: [ForceMajeureRow], on db: any SQLDatabase) async throws
        -> ForceMajeureRow?
    {
        var categories: Set<String>?
        for period in periods {
            let values = Set((try? JSONDecoder().decode([String].self, from: Data(period.scope_values.utf8))) ?? [])
            switch period.scope {
            case "platform": return period
            case "merchant" where values.contains(order.merchant_id): return period
            case "region" where order.delivery_province.map(values.contains) ?? false: return period
            case "category":
                if categories == nil { categories = try await ForceMajeureStore.categories(orderId: order.id, on: db) }
                if !(categories ?? []).isDisjoint(with: values) { return period }
            default: continue
            }
        }
        return nil
    }

    /// The note an order or case shows while a period holds its clock.
    static func note(for order: OrderRow, platform: Platform) async throws -> String? {
        let periods = try await ForceMajeureStore.active(now: platform.now, on: platform.db.sql)
        guard let period = try await pausing(order, periods: periods, on: platform.db.sql) else { return nil }
        return "Deadlines paused by force majeure (\(period.cause)) until \(period.ends_at)."
    }

    /// After a period ends: every deadline in its scope that was running moves on by the time it was paused.
    @discardableResult
    public static func settle(platform: Platform) async throws -> Int {
        let db = platform.db.sql
        var moved = 0
        for period in try await ForceMajeureStore.endedUnsettled(now: platform.now, on: db) {
            let orders = try await db.raw(
                """
                SELECT * FROM orders WHERE (status IN ('shipped', 'delivered', 'refund_requested')
                AND receipt_due_at > \(bind: period.starts_at)) OR (status = 'awaiting_shipment'
                AND shipping_late_at IS NULL AND ship_due_at > \(bind: period.starts_at))
                """
            ).all(decoding: OrderRow.self)
            var orderUpdates: [(String, String, Int64)] = []
            var disputeUpdates: [(String, Int64)] = []
            for order in orders where try await pausing(order, periods: [period], on: db) != nil {
                if order.status == "awaiting_shipment", let due = order.ship_due_at {
                    // paid (its clock set) before or during the period: held from whichever came later
                    orderUpdates.append(
                        (order.id, "ship_due_at", due + period.ends_at - max(period.starts_at, order.updated_at)))
                } else if let due = order.receipt_due_at {
                    let setAt = order.delivered_at ?? order.shipped_at ?? period.starts_at
                    orderUpdates.append(
                        (order.id, "receipt_due_at", due + period.ends_at - max(period.starts_at, setAt)))
                }
                if let dispute = try await DisputeStore.open(orderId: order.id, on: db), let due = dispute.due_at,
                    due > period.starts_at
                {
                    disputeUpdates.append(
                        (dispute.id, due + period.ends_at - max(period.starts_at, dispute.updated_at)))
                }
            }
            let count = orderUpdates.count + disputeUpdates.count
            try await platform.db.transaction { [orderUpdates, disputeUpdates] db in
                guard try await ForceMajeureStore.markSettled(id: period.id, now: platform.now, on: db) else { return }
                for (id, column, due) in orderUpdates { try await OrderStore.update(id: id, [column: due], on: db) }
                for (id, due) in disputeUpdates {
                    try await db.update("disputes").set("due_at", to: due).where("id", .equal, id).run()
                }
                try await AuditTrail.record(
                    AuditEvent(
                        "force_majeure.settle", actor: nil, object: "force-majeure:\(period.id)",
                        details: ["orders": String(orderUpdates.count), "disputes": String(disputeUpdates.count)]),
                    platform: platform, on: db)
            }
            moved += count
        }
        return moved
    }

    private static func view(_ row: ForceMajeureRow) -> ForceMajeureView {
        ForceMajeureView(
            id: row.id, cause: row.cause, scope: row.scope,
            scopeValues: (try? JSONDecoder().decode([String].self, from: Data(row.scope_values.utf8))) ?? [],
            startsAt: row.starts_at, endsAt: row.ends_at, settledAt: row.settled_at)
    }
}
