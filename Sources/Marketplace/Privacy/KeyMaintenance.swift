import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// Re-wraps every person's data key under the current master key version, a page at a time, while the
/// platform keeps running (`covenant keys rewrap`). Plaintext personal data is never touched.
public enum KeyMaintenance {
    /// Returns how many keys were re-wrapped; `progress(done, total)` is called after each page.
    @discardableResult
    public static func rewrap(platform: Platform, progress: (Int, Int) async throws -> Void = { _, _ in })
        async throws -> Int
    {
        let current = Int64(platform.keys.currentMasterVersion)
        let total = try await SubjectKeyMaintenance.countStale(current: current, on: platform.db.sql)
        var done = 0
        while true {
            let page = try await SubjectKeyMaintenance.staleKeys(current: current, limit: 500, on: platform.db.sql)
            guard !page.isEmpty else { break }
            try await platform.db.transaction { db in
                for row in page {
                    guard let sealed = row.wrapped_key else { continue }
                    let key = try platform.keys.unwrap(
                        WrappedKey(masterVersion: Int(row.master_version), sealed: sealed), subject: row.subject_id)
                    let rewrapped = try platform.keys.wrap(key, subject: row.subject_id)
                    try await SubjectKeyMaintenance.replace(
                        subjectId: row.subject_id, old: sealed, new: rewrapped.sealed,
                        version: Int64(rewrapped.masterVersion), on: db)
                }
                try await AuditTrail.record(
                    AuditEvent(
                        "keys.rewrap", actor: nil, object: "keyring",
                        details: ["keys": String(page.count), "masterVersion": String(current)]),
                    platform: platform, on: db)
            }
            done += page.count
            try await progress(done, total)
        }
        return done
    }

    /// Recomputes every login's blind index under the newest blind-index key (after `keys rotate-index`), a page
    /// at a time; sign-in keeps working throughout because lookups try every key version.
    @discardableResult
    public static func reindex(platform: Platform, progress: (Int, Int) async throws -> Void = { _, _ in })
        async throws -> Int
    {
        let prefix = "v\(platform.keys.currentBlindIndexVersion):"
        let total = try await AccountStore.countStaleLoginIndexes(currentPrefix: prefix, on: platform.db.sql)
        var done = 0
        while true {
            let page = try await AccountStore.staleLoginIndexes(currentPrefix: prefix, limit: 200, on: platform.db.sql)
            guard !page.isEmpty else { break }
            try await platform.db.transaction { db in
                for account in page {
                    let login = try Login(try await AccountFields.login(of: account, platform: platform, on: db))
                    let index = try AccountFields.loginIndex(login, platform: platform)
                    try await AccountStore.setLoginIndex(index, id: account.id, on: db)
                }
                try await AuditTrail.record(
                    AuditEvent(
                        "keys.reindex", actor: nil, object: "keyring",
                        details: [
                            "accounts": String(page.count),
                            "blindIndexVersion": String(platform.keys.currentBlindIndexVersion),
                        ]),
                    platform: platform, on: db)
            }
            done += page.count
            try await progress(done, total)
        }
        return done
    }
}

public enum MaintenanceJobKind: String, Sendable, Codable, CaseIterable {
    case rewrap = "keys.rewrap"
    case reindex = "keys.reindex"
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

    public var finished: Bool { status == "done" || status == "failed" }
}

/// The key operations above, started from the operations console and run by the background service, one of a
/// kind at a time, with their progress stored so that any instance's page can show it (2.3.2).
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

    public static func start(_ kind: MaintenanceJobKind, caller: Caller, platform: Platform) async throws
        -> MaintenanceJobView
    {
        try caller.require(.maintainKeys)
        let row = MaintenanceJobRow(
            id: Identifiers.make(), kind: kind.rawValue, requestedBy: caller.accountId, now: platform.now)
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

    public static func recent(caller: Caller, platform: Platform) async throws -> [MaintenanceJobView] {
        try caller.require(.maintainKeys)
        return try await MaintenanceJobStore.recent(limit: 20, on: platform.db.sql).map(view)
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
            do {
                switch MaintenanceJobKind(rawValue: job.kind) {
                case .rewrap: try await KeyMaintenance.rewrap(platform: platform, progress: progress)
                case .reindex: try await KeyMaintenance.reindex(platform: platform, progress: progress)
                case nil: failure = "unknown kind"
                }
            } catch {
                failure = "\(type(of: error))"
            }
            try await MaintenanceJobStore.finish(id: job.id, error: failure, now: platform.now, on: db)
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
            createdAt: row.created_at, finishedAt: row.finished_at)
    }
}
