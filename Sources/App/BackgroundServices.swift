import AsyncAlgorithms
import Domain
import Foundation
public import Logging
public import Marketplace
public import ServiceLifecycle
import Storage

/// Work repeated on a timer inside `covenant serve`: once at start, every `interval`, and once more on graceful
/// shutdown, so nothing due is left behind. A failed round is logged (error type only) and retried next time.
/// With a lease, a round runs only while this instance holds it, so that of several instances on one database
/// exactly one does the work at a time; the lease is given up on shutdown.
public struct PeriodicService: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let lease: ServiceLease?
    let work: @Sendable () async throws -> Void

    public init(
        name: String, interval: Duration, logger: Logger, lease: ServiceLease? = nil,
        work: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.lease = lease
        self.work = work
    }

    public func run() async throws {
        var holding = false
        await round(&holding)
        for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await round(&holding)
        }
        await round(&holding)
        if holding, let lease { try? await lease.release() }
    }

    private func round(_ holding: inout Bool) async {
        do {
            if let lease {
                let held = try await lease.acquire()
                if held != holding {
                    logger.notice(
                        held ? "\(name): this instance runs it" : "\(name): another instance runs it",
                        metadata: ["instance": "\(lease.holder)"])
                    holding = held
                }
                guard held else { return }
            }
            try await work()
        } catch {
            logger.error("\(name) failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}

/// The right to run one background service among several instances, renewed every round and lapsing after
/// `ttl` without renewal, so that when its holder dies another instance takes over within that time.
public struct ServiceLease: Sendable {
    public let name: String
    public let holder: String
    let ttl: Duration
    let platform: Platform

    /// A lease on `name` for this instance, lapsing after three rounds of `interval`, but never sooner than ten
    /// seconds nor later than five minutes: an hourly service's lease must not outlive a dead holder for hours.
    /// (A lease that lapses between two hourly rounds is simply taken by whichever instance's round comes first.)
    public static func exclusive(_ name: String, every interval: Duration, platform: Platform) -> Self {
        ServiceLease(
            name: name, holder: platform.instanceId, ttl: min(.seconds(300), max(.seconds(10), interval * 3)),
            platform: platform)
    }

    public func acquire() async throws -> Bool {
        let now = platform.clock.nowMillis
        let (seconds, attoseconds) = ttl.components
        let ttlMillis = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return try await ServiceLeaseStore.acquire(
            name, holder: holder, now: now, expiresAt: now + ttlMillis, on: platform.db.sql)
    }

    public func release() async throws {
        try await ServiceLeaseStore.release(name, holder: holder, on: platform.db.sql)
    }
}

extension PeriodicService {
    /// A service that one instance at a time runs, under the lease `lease`.
    static func exclusive(
        _ name: String, lease: String, every interval: Duration, platform: Platform,
        work: @escaping @Sendable () async throws -> Void
    ) -> Self {
        PeriodicService(
            name: name, interval: interval, logger: platform.logger,
            lease: .exclusive(lease, every: interval, platform: platform), work: work)
    }

    /// Scheduled encrypted backups of the database (SQLite or PostgreSQL), keeping the newest `keep` (clause 2.2); checked every
    /// ten minutes, taken when the newest is `interval` old.
    public static func backups(_ platform: Platform, directory: String, interval: Duration, keep: Int) -> Self {
        PeriodicService.exclusive("scheduled backups", lease: "backups", every: .seconds(600), platform: platform) {
            if let path = try await Backups.backupIfDue(
                platform: platform, directory: directory, interval: interval, keep: keep)
            {
                platform.logger.notice("backup written", metadata: ["file": "\((path as NSString).lastPathComponent)"])
            }
        }
    }

    /// Integrates audit events into the Merkle tree and signs a new tree head (2.2).
    public static func auditIntegration(_ platform: Platform, every interval: Duration = .milliseconds(250)) -> Self {
        PeriodicService.exclusive("audit integration", lease: "audit-integration", every: interval, platform: platform)
        {
            while try await AuditIntegration.integrate(platform: platform) > 0 {}
        }
    }

    /// Enforces the data catalog's retention periods and logs what was removed (table and count only).
    public static func retention(_ platform: Platform, every interval: Duration = .seconds(3600)) -> Self {
        PeriodicService.exclusive("retention enforcement", lease: "retention", every: interval, platform: platform) {
            let removed = try await RetentionEnforcement.run(platform: platform)
            if !removed.isEmpty {
                platform.logger.notice(
                    "retention enforced", metadata: ["removed": "\(removed.sorted { $0.key < $1.key })"])
            }
        }
    }

    /// Publishes this instance's risk observations and applies the other instances' (clause 2.4.3).
    public static func riskSignals(_ platform: Platform, every interval: Duration = .seconds(1)) -> Self {
        platform.riskSignals.startSharing()
        return PeriodicService(name: "risk signal exchange", interval: interval, logger: platform.logger) {
            try await platform.riskSignals.exchange(platform: platform)
        }
    }

    /// Publishes the rate-limit tokens this instance took and debits the other instances' (issue 11).
    public static func shieldUsage(_ platform: Platform, every interval: Duration = .seconds(1)) -> Self {
        platform.shield.startSharing()
        return PeriodicService(name: "rate-limit exchange", interval: interval, logger: platform.logger) {
            try await platform.shield.exchange(platform: platform)
        }
    }

    /// Runs the key maintenance jobs started from the operations console (re-wrap, re-index), with progress.
    public static func maintenanceJobs(_ platform: Platform, every interval: Duration = .seconds(2)) -> Self {
        PeriodicService.exclusive("maintenance jobs", lease: "maintenance-jobs", every: interval, platform: platform) {
            let ran = try await MaintenanceJobs.runQueued(platform: platform)
            if ran > 0 { platform.logger.notice("maintenance jobs finished", metadata: ["count": "\(ran)"]) }
        }
    }

    /// Cancels unpaid orders whose payment window has passed; the deadlines live in the database, so they
    /// survive restarts.
    public static func orderTimers(_ platform: Platform, every interval: Duration = .seconds(15)) -> Self {
        PeriodicService.exclusive("order timers", lease: "order-timers", every: interval, platform: platform) {
            let cancelled = try await Orders.cancelOverdue(platform: platform)
            if cancelled > 0 { platform.logger.info("unpaid orders cancelled", metadata: ["count": "\(cancelled)"]) }
            // Deadlines a force-majeure period paused move on once it ends, before anything is judged late.
            try await ForceMajeure.settle(platform: platform)
            let settled = try await Disputes.enforceDeadlines(platform: platform)
            if settled > 0 { platform.logger.info("dispute deadlines applied", metadata: ["count": "\(settled)"]) }
            let late = try await Orders.flagLateShipments(platform: platform)
            if late > 0 { platform.logger.info("orders flagged late to ship", metadata: ["count": "\(late)"]) }
            let confirmed = try await Orders.confirmOverdue(platform: platform)
            if confirmed > 0 { platform.logger.info("receipts confirmed", metadata: ["count": "\(confirmed)"]) }
            // Money the payment institution has not confirmed yet is asked for again (it deduplicates by reference).
            try await Payments.retryPendingRefunds(platform: platform)
            try await Settlement.retryPendingPayouts(platform: platform)
            // Incident notices (and any other queued notification) go out, with retries.
            try await Notifications.deliverDue(platform: platform)
            let lifted = try await Sanctions.liftEnded(platform: platform)
            if lifted > 0 { platform.logger.info("sanctions ended", metadata: ["count": "\(lifted)"]) }
        }
    }
}
