import Crypto
import Foundation
public import Risk
import SQLKit
import Storage
import Synchronization

/// This instance's sliding-window features (`Risk.RiskFeatures`), fed by sign-ins, checkouts, payments and the
/// payment institution's callbacks. Entities are numbers drawn from keyed pseudonyms (the blind indexes of the
/// device and the address, the account id), never the values themselves.
///
/// Decisions read the counters in memory, in microseconds. When several instances share a database, each also
/// publishes what it observed to `risk_signals` and applies what the others published (`exchange`, run by a
/// background service about once a second), so every instance's counters count the traffic of all, about a
/// second late. Publishing is batched: a request adds no database write. (`covenant bench risk-share` measures
/// the cost per event.)
public final class RiskSignals: Sendable {
    private let features = Mutex(RiskFeatures())
    /// This process's name in `risk_signals`, so it never applies its own observations twice.
    let instance = Identifiers.make()
    private let sharing = Atomic<Bool>(false)
    private let outbox = Mutex<[RiskSignalRow]>([])
    /// The number of the last row `exchange` applied (rows become visible in number order).
    private let appliedThrough = Mutex<Int64>(0)

    static let failedKind = "payment_failed"
    /// Rows read per query; a round reads until it has caught up.
    static let page = 5_000

    public init() {}

    /// From now on, observations are published for the other instances (and theirs applied by `exchange`).
    public func startSharing() { sharing.store(true, ordering: .relaxed) }

    /// Counts the event and returns its features (the event itself counted).
    public func observe(_ observation: RiskObservation) -> RiskFeatureVector {
        publish(observation, kind: observation.kind.rawValue)
        return features.withLock { $0.observe(observation) }
    }

    func paymentFailed(_ observation: RiskObservation) {
        publish(observation, kind: Self.failedKind)
        features.withLock { $0.paymentFailed(observation) }
    }

    private func publish(_ observation: RiskObservation, kind: String) {
        guard sharing.load(ordering: .relaxed) else { return }
        func signed(_ value: UInt64?) -> Int64? { value.map { Int64(bitPattern: $0) } }
        let row = RiskSignalRow(
            instance: instance, at: observation.time, kind: kind, account: Int64(bitPattern: observation.account),
            accountCreatedAt: observation.accountCreatedAt, device: signed(observation.device),
            ip: signed(observation.ip), token: signed(observation.token), address: signed(observation.address),
            merchant: signed(observation.merchant), amountFen: observation.amountFen)
        outbox.withLock { $0.append(row) }
    }

    /// Publishes this instance's observations since the last call, then applies the other instances' new ones.
    /// Returns how many were applied.
    @discardableResult
    public func exchange(platform: Platform) async throws -> Int {
        let db = platform.db.sql
        let now = platform.now
        let pending = outbox.withLock { rows in
            defer { rows.removeAll(keepingCapacity: true) }
            return rows
        }
        do {
            let postgres = platform.db.location.isPostgres
            try await platform.db.transaction { db in
                try await RiskSignalStore.insert(pending, postgres: postgres, on: db)
            }
        } catch {
            outbox.withLock { $0.insert(contentsOf: pending, at: 0) }  // tried again next round
            throw error
        }
        // A new instance starts from the last day (the longest window); then from the last row it applied.
        let since = now - RiskWindow.day.milliseconds
        var count = 0
        while true {
            let after = appliedThrough.withLock { $0 }
            let rows = try await RiskSignalStore.others(
                after: after, since: since, excluding: instance, limit: Self.page, on: db)
            for (_, row) in rows { apply(row) }
            if let last = rows.last?.seq { appliedThrough.withLock { $0 = max($0, last) } }
            count += rows.count
            if rows.count < Self.page { return count }
        }
    }

    private func apply(_ row: RiskSignalRow) {
        func unsigned(_ value: Int64?) -> UInt64? { value.map { UInt64(bitPattern: $0) } }
        let kind = RiskEventKind(rawValue: row.kind) ?? .payment
        let observation = RiskObservation(
            time: row.at, kind: kind, account: UInt64(bitPattern: row.account),
            accountCreatedAt: row.account_created_at, device: unsigned(row.device), ip: unsigned(row.ip),
            token: unsigned(row.token), address: unsigned(row.address), merchant: unsigned(row.merchant),
            amountFen: row.amount_fen)
        features.withLock { features in
            if row.kind == Self.failedKind {
                features.paymentFailed(observation)
            } else {
                _ = features.observe(observation)
            }
        }
    }

    /// A pseudonym (already keyed, or an id that is not personal) as a number.
    static func entity(_ pseudonym: String) -> UInt64 {
        SHA256.hash(data: Data(pseudonym.utf8)).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}
