/// The windows velocity features look back over.
public enum RiskWindow: Int, Sendable, CaseIterable {
    case minute, hour, day

    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// The suffix features carry: `_1m`, `_1h`, `_24h`.
    public var suffix: String {
        switch self {
        case .minute: "_1m"
        case .hour: "_1h"
        case .day: "_24h"
        }
    }

    /// Each window is kept as 12 buckets, so a reading is exact to within one twelfth of the window.
    static let buckets = 12
    var bucketMillis: Int64 { milliseconds / Int64(Self.buckets) }
}

/// Count and sum over the last minute, hour and day for one entity, in fixed buckets: adding and reading are
/// O(buckets) with no allocation, and an entity costs the same whatever its traffic.
public struct WindowedTotals: Sendable {
    // 3 windows × 12 buckets, flattened: bucket b of window w is at w * 12 + b.
    private var epochs = [Int64](repeating: -1, count: 36)
    private var counts = [Int32](repeating: 0, count: 36)
    private var sums = [Double](repeating: 0, count: 36)

    public init() {}

    public mutating func add(_ value: Double, at time: Int64) {
        for window in RiskWindow.allCases {
            let epoch = time / window.bucketMillis
            let slot = window.rawValue * RiskWindow.buckets + Int(epoch % Int64(RiskWindow.buckets))
            // An event older than this window (another instance's, arriving late) must not clear newer counts.
            if epochs[slot] > epoch { continue }
            if epochs[slot] != epoch {
                epochs[slot] = epoch
                counts[slot] = 0
                sums[slot] = 0
            }
            counts[slot] += 1
            sums[slot] += value
        }
    }

    /// Events and their total in `window` up to `time`.
    public func read(_ window: RiskWindow, at time: Int64) -> (count: Int, sum: Double) {
        let now = time / window.bucketMillis
        var count = 0
        var sum = 0.0
        let base = window.rawValue * RiskWindow.buckets
        for slot in base..<(base + RiskWindow.buckets) where epochs[slot] > now - Int64(RiskWindow.buckets) {
            count += Int(counts[slot])
            sum += sums[slot]
        }
        return (count, sum)
    }
}

/// Distinct values (accounts on a device, cards from an address) with when each was first and last seen;
/// bounded, so a flood costs no more memory than `limit` values.
public struct RecentDistinct: Sendable {
    private var seen: [UInt64: (first: Int64, last: Int64)] = [:]
    let limit: Int

    public init(limit: Int = 256) { self.limit = limit }

    /// Records `value`; returns when it was first seen (now, the first time).
    @discardableResult
    public mutating func insert(_ value: UInt64, at time: Int64) -> Int64 {
        let first = seen[value]?.first ?? time
        seen[value] = (first, time)
        if seen.count > limit {
            // drop the least recent quarter: amortised, and the recent values are the ones that matter
            let cutoff = seen.values.map(\.last).sorted()[seen.count / 4]
            seen = seen.filter { $0.value.last > cutoff || $0.key == value }
        }
        return first
    }

    /// Values seen within `window` of `time`.
    public func count(_ window: RiskWindow, at time: Int64) -> Int {
        let since = time - window.milliseconds
        var count = 0
        for entry in seen.values where entry.last > since { count += 1 }
        return count
    }

    public var isEmpty: Bool { seen.isEmpty }
}
