public import Foundation

/// The time source every rule reads, so tests can freeze and move time.
public protocol Clock: Sendable {
    /// Now, in milliseconds since the Unix epoch.
    var nowMillis: Int64 { get }
}

extension Clock {
    /// Now as a `Date`.
    public var now: Date { Date(timeIntervalSince1970: Double(nowMillis) / 1000) }
}

/// The real wall clock.
public struct SystemClock: Clock {
    public init() {}
    public var nowMillis: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that only moves when told to (tests and drills).
public final class ManualClock: Clock, @unchecked Sendable {
    // Guarded by `lock`: tests advance it while requests read it.
    private let lock = NSLock()
    private var millis: Int64

    public init(millis: Int64 = 1_780_000_000_000) { self.millis = millis }

    public var nowMillis: Int64 { lock.withLock { millis } }

    /// Moves time forward by `seconds`.
    public func advance(seconds: Int64) { lock.withLock { millis += seconds * 1000 } }
}
