import Foundation
import Risk
import Storage
import Testing

@testable import Marketplace

/// Clause 2.4.3: the risk engine's sliding-window counters are shared by instances that serve on one database.
@Suite("Risk counters shared between instances")
struct RiskSharingTests {
    @Test("2.4.3: two instances on one database count each other's traffic, once each", arguments: Backend.available)
    func twoInstances(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup: a second instance of the platform on the same database, both sharing
            let a = env.platform
            let b = try Platform(db: a.db, keys: a.keys, clock: a.clock, settings: a.settings, logger: a.logger)
            a.riskSignals.startSharing()
            b.riskSignals.startSharing()
            let network = RiskSignals.entity("address-index-1")
            func payment(_ account: String, card: String? = nil) -> RiskObservation {
                RiskObservation(
                    time: a.clock.nowMillis, kind: .payment, account: RiskSignals.entity(account), accountCreatedAt: 0,
                    ip: network, token: card.map(RiskSignals.entity))
            }
            // three cards declined on instance A
            for n in 0..<3 {
                let tried = payment("account-\(n)", card: "card-\(n)")
                _ = a.riskSignals.observe(tried)
                a.riskSignals.paymentFailed(tried)
            }
            #expect(b.riskSignals.observe(payment("account-x"))["ip_payments_failed_1h"] == 0, "not yet exchanged")

            // act: A publishes; B applies
            #expect(try await a.riskSignals.exchange(platform: a) == 0, "A sees only its own rows so far")
            env.clock.advance(seconds: 1)
            #expect(try await b.riskSignals.exchange(platform: b) == 6)
            #expect(try await b.riskSignals.exchange(platform: b) == 0, "nothing is applied twice")

            // check: B's next decision reads A's declines, cards and accounts on that network
            let seen = b.riskSignals.observe(payment("account-y"))
            #expect(seen["ip_payments_failed_1h"] == 3)
            #expect(seen["ip_tokens_1h"] == 3)
            #expect(seen["ip_accounts_24h"] == 5)
            // and A reads B's two payments, never its own again
            #expect(try await b.riskSignals.exchange(platform: b) == 0)
            #expect(try await a.riskSignals.exchange(platform: a) == 2)
            #expect(a.riskSignals.observe(payment("account-z"))["ip_accounts_24h"] == 6)
            // what is stored is numbers drawn from pseudonyms, and it goes with the one-day window
            let rows = try await a.db.sql.raw("SELECT COUNT(*) AS n FROM risk_signals").first()?
                .decode(column: "n", as: Int.self)
            #expect(rows == 8)
            env.clock.advance(seconds: 2 * 86_400)
            let removed = try await RetentionEnforcement.run(platform: a)
            #expect(removed["risk_signals"] == 8)
        }
    }
}
