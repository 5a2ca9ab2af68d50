import AsyncAlgorithms
import Logging
public import Marketplace
public import ServiceLifecycle

/// Runs retention enforcement at start and then every `interval`, and logs what it removed (table and count:
/// no personal data).
public struct RetentionService: Service {
    let platform: Platform
    let interval: Duration

    public init(platform: Platform, interval: Duration = .seconds(3600)) {
        self.platform = platform
        self.interval = interval
    }

    public func run() async throws {
        await enforce()
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await enforce()
        }
    }

    private func enforce() async {
        do {
            let removed = try await RetentionEnforcement.run(platform: platform)
            if !removed.isEmpty {
                platform.logger.notice(
                    "retention enforced", metadata: ["removed": "\(removed.sorted { $0.key < $1.key })"])
            }
        } catch {
            platform.logger.error("retention enforcement failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}
