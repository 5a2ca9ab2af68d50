import Foundation
import Synchronization

/// Recent pages of the public catalog, so browsing (the busiest read) rarely reaches the database.
/// Any change to listings or stock in this process clears it at once; a page is also never older than
/// `maxAge`, which bounds what another server instance's changes take to show.
public final class BrowseCache: Sendable {
    struct Key: Hashable {
        let query: String?
        let category: String?
        let limit: Int
        let offset: Int
    }

    private struct Entry {
        /// The page as the API sends it (`{"products": [...]}`), encoded once.
        let body: Data
        let storedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[Key: Entry]>([:])
    let maxAge: Duration
    let capacity: Int

    public init(maxAge: Duration = .seconds(1), capacity: Int = 1_000) {
        self.maxAge = maxAge
        self.capacity = capacity
    }

    func page(_ key: Key) -> Data? {
        entries.withLock { entries in
            guard let entry = entries[key], ContinuousClock.now - entry.storedAt < maxAge else { return nil }
            return entry.body
        }
    }

    func store(_ body: Data, for key: Key) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(body: body, storedAt: .now)
        }
    }

    /// Listings or stock changed.
    public func invalidate() {
        entries.withLock { $0.removeAll(keepingCapacity: true) }
    }
}
