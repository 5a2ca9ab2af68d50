import Crypto
import Foundation
import Synchronization

/// Recently used data keys for writing audit details, so recording an event costs no key query.
///
/// Only keys created at least `settledMillis` ago are kept: a key created in a transaction that later rolls
/// back must never be reused. Erasure removes the key here at once; another instance may hold it for at most
/// `lifetimeMillis`, and details written under it then are as unreadable as the rest once it expires.
final class AuditKeyCache: Sendable {
    private struct Entry {
        let bytes: Data
        let expiresAt: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetimeMillis: Int64
    let settledMillis: Int64
    let capacity: Int

    init(lifetimeMillis: Int64 = 60_000, settledMillis: Int64 = 60_000, capacity: Int = 10_000) {
        self.lifetimeMillis = lifetimeMillis
        self.settledMillis = settledMillis
        self.capacity = capacity
    }

    func key(for subject: String, now: Int64) -> SymmetricKey? {
        entries.withLock { entries in
            guard let entry = entries[subject] else { return nil }
            guard entry.expiresAt > now else {
                entries[subject] = nil
                return nil
            }
            return SymmetricKey(data: entry.bytes)
        }
    }

    /// Keeps `key` if it was created long enough ago to be certainly committed.
    func offer(_ key: SymmetricKey, for subject: String, createdAt: Int64, now: Int64) {
        guard now - createdAt >= settledMillis else { return }
        let bytes = key.withUnsafeBytes { Data($0) }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[subject] = Entry(bytes: bytes, expiresAt: now + lifetimeMillis)
        }
    }

    func forget(_ subject: String) {
        _ = entries.withLock { $0.removeValue(forKey: subject) }
    }
}
