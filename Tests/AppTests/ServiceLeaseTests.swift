import Domain
import Foundation
import Marketplace
import ServiceLifecycle
import Storage
import Synchronization
import Testing

@testable import App

/// Background services on several instances (issue 11): a lease lets exactly one instance run each service at a
/// time, the holder keeps it by renewing it, and another takes over only after it lapses or is given up.
@Suite("Service leases")
struct ServiceLeaseTests {
    @Test(
        "11: one instance holds a service's lease; another takes it only when it lapses or is released",
        arguments: Backend.available)
    func exclusiveHolder(_ backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup: two instances over one database
            var first = env.platform
            first.instanceId = "host-a-1"
            var second = env.platform
            second.instanceId = "host-b-2"
            let a = ServiceLease.exclusive("order-timers", every: .seconds(15), platform: first)
            let b = ServiceLease.exclusive("order-timers", every: .seconds(15), platform: second)

            // the first takes it; the second is refused while the first renews
            #expect(try await a.acquire())
            #expect(try await !b.acquire())
            env.clock.advance(seconds: 30)
            #expect(try await a.acquire())
            env.clock.advance(seconds: 30)
            #expect(try await !b.acquire())

            // the first stops renewing: after 45 s (three rounds) the second takes over, and the first is out
            env.clock.advance(seconds: 46)
            #expect(try await b.acquire())
            #expect(try await !a.acquire())
            let leases = try await ServiceLeaseStore.all(on: env.platform.db.sql)
            #expect(leases.map(\.holder) == ["host-b-2"])

            // released on shutdown: the other may take it at once; another service's lease is independent
            try await b.release()
            #expect(try await a.acquire())
            #expect(try await ServiceLease.exclusive("retention", every: .seconds(3600), platform: second).acquire())
        }
    }

    @Test(
        "11: of two instances running the same background service, only the lease holder does the work",
        arguments: Backend.available)
    func onlyTheHolderWorks(_ backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            let rounds = RoundLog()
            var services: [PeriodicService] = []
            for instance in ["host-a-1", "host-b-2", "host-c-3"] {
                var platform = env.platform
                platform.instanceId = instance
                services.append(
                    PeriodicService.exclusive("test", lease: "test", every: .milliseconds(20), platform: platform) {
                        rounds.add(instance)
                    })
            }
            // act: all three run for a while, then shut down gracefully
            let group = ServiceGroup(
                configuration: .init(
                    services: services.map { .init(service: $0) }, gracefulShutdownSignals: [],
                    logger: env.platform.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                // until several rounds have run (however loaded the machine is), then stop
                for _ in 0..<500 where rounds.values.count < 5 { try await Task.sleep(for: .milliseconds(20)) }
                rounds.add("shutdown")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            // check: until shutdown one instance did every round (then each gives the lease up after its last
            // round, and another may take it for its own last round: nothing due is left behind)
            let seen = rounds.values.prefix { $0 != "shutdown" }
            #expect(Set(seen).count == 1, "\(Set(seen))")
            #expect(seen.count >= 5)
            #expect(try await ServiceLeaseStore.all(on: env.platform.db.sql).isEmpty)
        }
    }
    @Test(
        "11: rate limits hold across instances: tokens taken on one are debited on the others",
        arguments: Backend.available)
    func sharedRateLimits(_ backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup: two instances with their own shields; sign-in attempts: a burst of 4, no refill to speak of
            var settings = ShieldSettings()
            settings.authBurst = 4
            settings.authPerSecond = 0.001
            var first = env.platform
            first.shield = Shield(settings: settings)
            var second = env.platform
            second.shield = Shield(settings: settings)
            first.shield.startSharing()
            second.shield.startSharing()
            let signIn = AttackSignatures.Input(path: "/api/v1/sessions", query: "", headers: [], body: "")
            func attempt(_ platform: Platform, _ ip: String = "203.0.113.7") async throws -> ShieldVerdict {
                try await platform.shield.admit(ip: ip, routeClass: .auth, request: signIn, platform: platform)
            }

            // act: three attempts on the first instance, then the exchange runs on both
            for _ in 0..<3 { #expect(try await attempt(first) == .allow) }
            try await first.shield.exchange(platform: first)
            #expect(try await second.shield.exchange(platform: second) == 1)

            // check: the second instance has one attempt left for that address, none for a fifth
            #expect(try await attempt(second) == .allow)
            guard case .throttle = try await attempt(second) else {
                Issue.record("the second instance allowed more than the shared burst")
                return
            }
            // another address is untouched, and the first instance learns of the second's attempt too
            #expect(try await attempt(second, "203.0.113.8") == .allow)
            try await second.shield.exchange(platform: second)
            try await first.shield.exchange(platform: first)
            guard case .throttle = try await attempt(first) else {
                Issue.record("the first instance did not debit the second's attempt")
                return
            }
            // nothing in the table names an address
            let buckets = try await env.platform.db.sql.raw("SELECT bucket FROM shield_usage").all()
                .map { try $0.decode(column: "bucket", as: String.self) }
            #expect(!buckets.isEmpty && buckets.allSatisfy { !$0.contains("203.0.113") })
        }
    }
}

/// Which instances did a round, in order.
final class RoundLog: Sendable {
    private let storage = Mutex<[String]>([])
    func add(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}
