import Crypto
import Domain
import Privacy
import SQLKit
import Storage

/// Per-person data keys (crypto-shredding): each person's fields are encrypted under their own key,
/// wrapped by the versioned master key. Destroying the wrapped key erases the person everywhere.
enum SubjectKeys {
    /// Creates the subject's key if it has none; returns the usable key.
    static func keyForWriting(subject: String, platform: Platform, on db: any SQLDatabase) async throws -> SymmetricKey
    {
        if let existing = try await SubjectKeyStore.find(subjectId: subject, on: db) {
            return try unwrap(existing, platform: platform)
        }
        let wrapped = try platform.keys.wrap(KeyRing.newDataKey(), subject: subject)
        try await SubjectKeyStore.insertIfAbsent(
            SubjectKeyRow(
                subject_id: subject, master_version: Int64(wrapped.masterVersion), wrapped_key: wrapped.sealed,
                created_at: platform.now),
            on: db)
        // Read back: if another writer created the key first, theirs is the one to use.
        return try await key(subject: subject, platform: platform, on: db)
    }

    /// The live keys of several subjects for writing audit details, by subject: from the cache, then in one
    /// query (missing or destroyed ones are absent).
    static func keysForAudit(subjects: Set<String>, platform: Platform, on db: any SQLDatabase) async throws
        -> [String: SymmetricKey]
    {
        let now = platform.now
        var keys: [String: SymmetricKey] = [:]
        var missing: [String] = []
        for subject in subjects {
            if let key = platform.auditKeys.key(for: subject, now: now) {
                keys[subject] = key
            } else {
                missing.append(subject)
            }
        }
        for row in try await SubjectKeyStore.find(subjectIds: missing, on: db) where row.wrapped_key != nil {
            let key = try unwrap(row, platform: platform)
            keys[row.subject_id] = key
            platform.auditKeys.offer(key, for: row.subject_id, createdAt: row.created_at, now: now)
        }
        return keys
    }

    /// The subject's key for reading; fails if it was destroyed.
    static func key(subject: String, platform: Platform, on db: any SQLDatabase) async throws -> SymmetricKey {
        guard let row = try await SubjectKeyStore.find(subjectId: subject, on: db) else {
            throw Problem.notFound("The data key")
        }
        return try unwrap(row, platform: platform)
    }

    private static func unwrap(_ row: SubjectKeyRow, platform: Platform) throws -> SymmetricKey {
        guard let sealed = row.wrapped_key else { throw Problem.notFound("The data key (erased)") }
        return try platform.keys.unwrap(
            WrappedKey(masterVersion: Int(row.master_version), sealed: sealed), subject: row.subject_id)
    }
}
