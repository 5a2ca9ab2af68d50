import Foundation
import Testing

@testable import Risk

/// Clause 2.4.3: velocity over sliding windows, first sight of devices and networks, links between accounts.
@Suite("Risk: features over sliding windows")
struct RiskFeaturesTests {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_796_000_000_000

    @Test("2.4.3: counts and sums fall out of their windows as time passes")
    func windows() {
        var totals = WindowedTotals()
        totals.add(100, at: Self.t0)
        totals.add(50, at: Self.t0 + 30_000)
        #expect(totals.read(.minute, at: Self.t0 + 40_000) == (2, 150))
        #expect(totals.read(.minute, at: Self.t0 + 85_000).count == 1, "the first is over a minute old")
        #expect(totals.read(.hour, at: Self.t0 + 95_000) == (2, 150))
        #expect(totals.read(.hour, at: Self.t0 + 3_700_000).count == 0)
        #expect(totals.read(.day, at: Self.t0 + 3_700_000) == (2, 150))
        #expect(totals.read(.day, at: Self.t0 + Self.day + 3_600_000).count == 0)
    }

    @Test("2.4.3: a device new to an established account is flagged for an hour; a new account's never is")
    func firstSight() {
        var features = RiskFeatures()
        let old = Self.t0 - 300 * Self.day
        func login(_ time: Int64, account: UInt64 = 1, created: Int64 = old, device: UInt64, ip: UInt64)
            -> RiskFeatureVector
        {
            features.observe(
                RiskObservation(
                    time: time, kind: .login, account: account, accountCreatedAt: created, device: device,
                    ip: ip))
        }
        // the engine's first sight of the account: nothing to compare with
        #expect(login(Self.t0, device: 10, ip: 20)["account_new_device"] == 0)
        // the same device and network a day later: known
        let known = login(Self.t0 + Self.day, device: 10, ip: 20)
        #expect(known["account_new_device"] == 0 && known["account_new_ip"] == 0)
        // a new phone on a new network: new for an hour, then known
        let fresh = login(Self.t0 + 2 * Self.day, device: 11, ip: 21)
        #expect(fresh["account_new_device"] == 1 && fresh["account_new_ip"] == 1)
        #expect(login(Self.t0 + 2 * Self.day + 600_000, device: 11, ip: 21)["account_new_device"] == 1)
        #expect(login(Self.t0 + 3 * Self.day, device: 11, ip: 21)["account_new_device"] == 0)
        // a brand-new account: never "new device"
        #expect(login(Self.t0, account: 2, created: Self.t0, device: 12, ip: 22)["account_new_device"] == 0)
    }

    @Test("2.4.3: accounts sharing a device, a card or an address are linked; cards per network counted")
    func links() {
        var features = RiskFeatures()
        var last = RiskFeatureVector()
        for n in 0..<4 {
            last = features.observe(
                RiskObservation(
                    time: Self.t0 + Int64(n) * 20_000, kind: .payment, account: UInt64(100 + n),
                    accountCreatedAt: Self.t0, device: 7, ip: 8, token: UInt64(200 + n), address: 9, amountFen: 300))
        }
        #expect(last["device_accounts_24h"] == 4 && last["address_accounts_24h"] == 4 && last["ring_size"] == 4)
        #expect(last["ip_tokens_1h"] == 4 && last["ip_events_1m"] == 3, "the first is a minute old")
        #expect(last["token_accounts_24h"] == 1)
        // declines are counted against the network they came from
        let payment = RiskObservation(
            time: Self.t0 + 300_000, kind: .payment, account: 100, accountCreatedAt: Self.t0, ip: 8, token: 200)
        features.paymentFailed(payment)
        features.paymentFailed(payment)
        #expect(features.observe(payment)["ip_payments_failed_1h"] == 2)
    }

    @Test("2.4.3: amounts are judged against the account's own orders")
    func history() {
        var features = RiskFeatures()
        func checkout(_ n: Int64, _ fen: Int64) -> RiskFeatureVector {
            features.observe(
                RiskObservation(
                    time: Self.t0 + n * 3_600_000, kind: .checkout, account: 1, accountCreatedAt: 0, amountFen: fen))
        }
        #expect(checkout(0, 10_000)["amount_vs_history"] == 1)
        #expect(checkout(1, 10_000)["amount_vs_history"] == 1)
        #expect(checkout(2, 80_000)["amount_vs_history"] == 8)
        #expect(checkout(3, 0)["account_checkouts_24h"] == 4)
    }
}
