public import Domain
import Foundation
import Privacy
import Storage

/// Long operations started from the operations console and run by a background service, with their progress
/// stored so that any instance's page can show it: key maintenance (2.3.2) and risk backtests (2.4.3).
public enum MaintenanceJobKind: String, Sendable, Codable, CaseIterable {
    case rewrap = "keys.rewrap"
    case reindex = "keys.reindex"
    case backtest = "risk.backtest"

    /// Who may start a job of this kind and see its results.
    public var permission: Permission {
        switch self {
        case .rewrap, .reindex: .maintainKeys
        case .backtest: .reviewRisk
        }
    }

    public static let keyKinds: [Self] = [.rewrap, .reindex]
}

public struct MaintenanceJobView: Sendable, Codable, Equatable {
    public let id: String
    public let kind: String
    public let status: String
    public let done: Int64
    public let total: Int64
    public let error: String?
    public let createdAt: Int64
    public let finishedAt: Int64?
    public let parameters: String?
    public let result: String?

    public var finished: Bool { status == "done" || status == "failed" }
}

/// The jobs above, one of a kind at a time; the background service runs them.
public enum MaintenanceJobs {
    /// What the page shows beside the jobs: how much each operation has left to do.
    public struct KeyState: Sendable {
        public let masterVersion: Int
        public let staleDataKeys: Int
        public let blindIndexVersion: Int
        public let staleLoginIndexes: Int
    }

    public static func keyState(caller: Caller, platform: Platform) async throws -> KeyState {
        try caller.require(.maintainKeys)
        let db = platform.db.sql
        return KeyState(
            masterVersion: platform.keys.currentMasterVersion,
            staleDataKeys: try await SubjectKeyMaintenance.countStale(
                current: Int64(platform.keys.currentMasterVersion), on: db),
            blindIndexVersion: platform.keys.currentBlindIndexVersion,
            staleLoginIndexes: try await AccountStore.countStaleLoginIndexes(
                currentPrefix: "v\(platform.keys.currentBlindIndexVersion):", on: db))
    }

    public static func start(
        _ kind: MaintenanceJobKind, parameters: String? = nil, caller: Caller, platform: Platform
    ) async throws -> MaintenanceJobView {
        try caller.require(kind.permission)
        let row = MaintenanceJobRow(
            id: Identifiers.make(), kind: kind.rawValue, requestedBy: caller.accountId, parameters: parameters,
            now: platform.now)
        try await platform.db.transaction { db in
            if try await MaintenanceJobStore.unfinished(kind: kind.rawValue, on: db) != nil {
                throw Problem.conflict("A \(kind.rawValue) job is already queued or running.")
            }
            try await MaintenanceJobStore.insert(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "maintenance.start", actor: caller.accountId, object: "job:\(row.id)",
                    details: ["kind": kind.rawValue]), platform: platform, on: db)
        }
        return view(row)
    }

    /// The newest jobs of these kinds; the caller needs the permission of each.
    public static func recent(_ kinds: [MaintenanceJobKind], caller: Caller, platform: Platform) async throws
        -> [MaintenanceJobView]
    {
        for kind in kinds { try caller.require(kind.permission) }
        return try await MaintenanceJobStore.recent(kinds: kinds.map(\.rawValue), limit: 20, on: platform.db.sql)
            .map(view)
    }

    /// The background service's round: jobs a stopped instance left running go back to the queue, then each
    /// queued job runs to its end here, its progress saved after every page.
    @discardableResult
    public static func runQueued(platform: Platform) async throws -> Int {
        let db = platform.db.sql
        try await MaintenanceJobStore.requeueStale(before: platform.now - 10 * 60_000, now: platform.now, on: db)
        var ran = 0
        while let job = try await MaintenanceJobStore.claimNext(now: platform.now, on: db) {
            let progress: (Int, Int) async throws -> Void = { done, total in
                try await MaintenanceJobStore.progress(
                    id: job.id, done: Int64(done), total: Int64(total), now: platform.now, on: db)
            }
            var failure: String?
            var result: String?
            do {
                switch MaintenanceJobKind(rawValue: job.kind) {
                case .rewrap: try await KeyMaintenance.rewrap(platform: platform, progress: progress)
                case .reindex: try await KeyMaintenance.reindex(platform: platform, progress: progress)
                case .backtest:
                    result = try await RiskBacktests.run(
                        parameters: job.parameters, platform: platform, progress: progress)
                case nil: failure = "unknown kind"
                }
            } catch {
                failure = "\(type(of: error))"
            }
            try await MaintenanceJobStore.finish(id: job.id, error: failure, result: result, now: platform.now, on: db)
            try await AuditTrail.recordAlone(
                AuditEvent(
                    "maintenance.finish", actor: nil, object: "job:\(job.id)",
                    outcome: failure == nil ? .success : .failure, details: ["kind": job.kind]),
                platform: platform)
            ran += 1
        }
        return ran
    }

    static func view(_ row: MaintenanceJobRow) -> MaintenanceJobView {
        MaintenanceJobView(
            id: row.id, kind: row.kind, status: row.status, done: row.done, total: row.total, error: row.error,
            createdAt: row.created_at, finishedAt: row.finished_at, parameters: row.parameters, result: row.result)
    }
}
