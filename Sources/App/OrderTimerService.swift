import AsyncAlgorithms
import Logging
public import Marketplace
public import ServiceLifecycle

/// Order timers (2.4.1): unpaid orders are cancelled when their payment window ends. The deadlines live in the
/// database, so they survive restarts; this only looks for those that have passed.
public struct OrderTimerService: Service {
    let platform: Platform
    let interval: Duration

    public init(platform: Platform, interval: Duration = .seconds(15)) {
        self.platform = platform
        self.interval = interval
    }

    public func run() async throws {
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            do {
                let cancelled = try await Orders.cancelOverdue(platform: platform)
                if cancelled > 0 {
                    platform.logger.info("unpaid orders cancelled", metadata: ["count": "\(cancelled)"])
                }
            } catch {
                platform.logger.error("order timers failed", metadata: ["error.type": "\(type(of: error))"])
            }
        }
    }
}
