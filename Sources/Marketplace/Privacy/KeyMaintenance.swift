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
