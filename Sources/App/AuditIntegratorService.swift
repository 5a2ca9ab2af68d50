import AsyncAlgorithms
import Logging
public import Marketplace
public import ServiceLifecycle

/// Integrates audit events into the Merkle tree every `interval` and publishes a signed tree head;
/// on graceful shutdown it integrates what is left, then stops.
public struct AuditIntegratorService: Service {
    let platform: Platform
    let interval: Duration

    public init(platform: Platform, interval: Duration = .milliseconds(250)) {
        self.platform = platform
        self.interval = interval
    }

    public func run() async throws {
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await integrateLogged()
        }
        await integrateLogged()
    }

    private func integrateLogged() async {
        do {
            while try await AuditIntegration.integrate(platform: platform) > 0 {}
        } catch {
            platform.logger.error("audit integration failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}
