import FluentKit
import SQLKit
import Synchronization

/// Group commit for SQLite: transactions that arrive while one is committing wait, then run together inside
/// one database transaction, each in its own savepoint, and share one durable commit (one fsync).
/// A transaction that fails is rolled back to its savepoint and only its caller sees the error; if the commit
/// itself fails, every caller in the batch does. Callers resume only after the commit is on disk.
///
/// Why: SQLite has one writer and `synchronous=FULL` makes each commit wait for the disk (≈ 4.5 ms here), so
/// one commit per request caps a server near 220 writes/s. Batching trades a little latency under load (a
/// request may wait for the batch before it) for throughput that grows with concurrency.
final class CommitGroup: Sendable {
    typealias Work = @Sendable (any SQLDatabase) async throws -> Void

    private struct Pending: Sendable {
        let work: Work
        let done: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let database: @Sendable () -> any Database
    /// At most this many transactions share a commit (bounds the wait of the last one).
    let maxBatch: Int

    init(maxBatch: Int = 128, database: @escaping @Sendable () -> any Database) {
        self.maxBatch = maxBatch
        self.database = database
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let lead = state.withLock { state in
                state.queue.append(
                    Pending(
                        work: { db in
                            let value = try await body(db)
                            result.withLock { $0 = value }
                        }, done: done))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if lead { Task { await self.drain() } }
        }
        guard let value = result.withLock({ $0 }) else { throw CommitGroupError.noResult }
        return value
    }

    /// Commits batches until nobody is waiting.
    private func drain() async {
        while true {
            let batch: [Pending] = state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.draining = false
                    return []
                }
                let batch = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Pending]) async {
        if batch.count == 1 {
            do {
                try await database().transaction { db in try await batch[0].work(db as! any SQLDatabase) }
                batch[0].done.resume()
            } catch {
                batch[0].done.resume(throwing: error)
            }
            return
        }
        do {
            let outcomes: [(any Error)?] = try await database().transaction { db in
                let sql = db as! any SQLDatabase
                var outcomes: [(any Error)?] = []
                for (n, pending) in batch.enumerated() {
                    let savepoint = "covenant_\(n)"
                    try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                    do {
                        try await pending.work(sql)
                        outcomes.append(nil)
                    } catch {
                        try await sql.raw("ROLLBACK TO \(unsafeRaw: savepoint)").run()
                        outcomes.append(error)
                    }
                    try await sql.raw("RELEASE \(unsafeRaw: savepoint)").run()
                }
                return outcomes
            }
            for (pending, outcome) in zip(batch, outcomes) {
                if let outcome { pending.done.resume(throwing: outcome) } else { pending.done.resume() }
            }
        } catch {
            for pending in batch { pending.done.resume(throwing: error) }
        }
    }
}

enum CommitGroupError: Error {
    case noResult
}
