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
/// O(buckets) with no allocation, and an entity costs the same whatever its traffic. An entity's several series
/// (events, checkouts, refunds) share one array, each bucket's epoch, count and sum side by side: at 100,000
/// entities most reads miss the cache, and every separate array would be another miss.
public struct WindowedTotals: Sendable {
    /// 16 bytes, so a window's twelve buckets span three cache lines (epochs in bucket widths fit 32 bits until
    /// the year 2310).
    struct Bucket: Sendable {
        var epoch: Int32 = -1
        var count: Int32 = 0
        var sum: Double = 0
    }
    static let bucketsPerSeries = RiskWindow.allCases.count * RiskWindow.buckets
    // Per series, 3 windows × 12 buckets, flattened: bucket b of window w of series s is at s * 36 + w * 12 + b.
    private var buckets: [Bucket]

    public init(series: Int = 1) {
        buckets = [Bucket](repeating: Bucket(), count: Self.bucketsPerSeries * max(series, 1))
    }

    public mutating func add(_ value: Double, at time: Int64, series: Int = 0) {
        let offset = series * Self.bucketsPerSeries
        for window in RiskWindow.allCases {
            let epoch = Int32(clamping: time / window.bucketMillis)
            let slot = offset + window.rawValue * RiskWindow.buckets + Int(epoch % Int32(RiskWindow.buckets))
            // An event older than this window (another instance's, arriving late) must not clear newer counts.
            if buckets[slot].epoch > epoch { continue }
            if buckets[slot].epoch != epoch { buckets[slot] = Bucket(epoch: epoch) }
            buckets[slot].count += 1
            buckets[slot].sum += value
        }
    }

    /// Events and their total in `window` up to `time`.
    public func read(_ window: RiskWindow, at time: Int64, series: Int = 0) -> (count: Int, sum: Double) {
        let now = Int32(clamping: time / window.bucketMillis)
        var count = 0
        var sum = 0.0
        let base = series * Self.bucketsPerSeries + window.rawValue * RiskWindow.buckets
        for slot in base..<(base + RiskWindow.buckets) where buckets[slot].epoch > now - Int32(RiskWindow.buckets) {
            count += Int(buckets[slot].count)
            sum += buckets[slot].sum
        }
        return (count, sum)
    }
}

/// Distinct values (accounts on a device, cards from an address) with when each was first and last seen;
/// bounded, so a flood costs no more memory than `limit` values: when full, the least recently seen value gives
/// way. Kept as one small array scanned in order, which for the few values an entity has beats hashing.
public struct RecentDistinct: Sendable {
    struct Entry: Sendable {
        var value: UInt64
        var first: Int64
        var last: Int64
    }
    private var entries: [Entry] = []
    let limit: Int

    public init(limit: Int = 256) { self.limit = max(limit, 1) }

    /// Records `value`; returns when it was first seen (now, the first time).
    @discardableResult
    public mutating func insert(_ value: UInt64, at time: Int64) -> Int64 {
        if let index = entries.firstIndex(where: { $0.value == value }) {
            entries[index].last = time
            return entries[index].first
        }
        let entry = Entry(value: value, first: time, last: time)
        if entries.count < limit {
            entries.append(entry)
        } else {
            var oldest = 0
            for index in entries.indices where entries[index].last < entries[oldest].last { oldest = index }
            entries[oldest] = entry
        }
        return time
    }

    /// Values seen within `window` of `time`.
    public func count(_ window: RiskWindow, at time: Int64) -> Int {
        let since = time - window.milliseconds
        var count = 0
        for entry in entries where entry.last > since { count += 1 }
        return count
    }

    public var isEmpty: Bool { entries.isEmpty }
}
