import Foundation

/// A simulated event: what the engine sees, whether it is part of a fraud campaign (and which run of it), and
/// whether the payment institution would decline it.
public struct SimulatedEvent: Sendable, Codable, Equatable {
    public var observation: RiskObservation
    /// The campaign it belongs to (`card_testing`, `account_takeover`, `review_ring`, `refund_abuse`,
    /// `colluding_merchant`), nil for genuine traffic.
    public var campaign: String?
    /// Which run of the campaign: events of one run share it.
    public var run: Int?
    public var declined: Bool
    /// Part of a campaign but not an attack in itself (a tester's sign-up and cart before the stolen cards):
    /// stopping it counts, letting it pass does not count as an attack let through.
    public var preparatory = false

    public var isFraud: Bool { campaign != nil }
}

/// Deterministic marketplace traffic (a seed gives the same events): consumers with their devices, networks,
/// cards and addresses, households sharing some of them, merchants; and labelled fraud campaigns mixed in.
public struct MarketplaceSimulator: Sendable {
    public static let campaigns = [
        "card_testing", "account_takeover", "review_ring", "refund_abuse", "colluding_merchant",
    ]

    public var seed: UInt64
    public var consumers: Int
    public var merchants: Int
    public var days: Int
    /// Runs of each campaign spread over the period.
    public var runsPerCampaign: Int
    /// When the simulated period starts (ms).
    public var start: Int64

    public init(
        seed: UInt64 = 7, consumers: Int = 5_000, merchants: Int = 200, days: Int = 3, runsPerCampaign: Int = 20,
        start: Int64 = 1_796_000_000_000
    ) {
        self.seed = seed
        self.consumers = consumers
        self.merchants = merchants
        self.days = days
        self.runsPerCampaign = runsPerCampaign
        self.start = start
    }

    struct Consumer {
        let id: UInt64
        let createdAt: Int64
        var devices: [UInt64]
        let homeIP: UInt64
        let tokens: [UInt64]
        let address: UInt64
        let typicalFen: Double
    }

    /// Every event of the period in time order.
    public func events() -> [SimulatedEvent] {
        var random = SplitMix64(seed: seed)
        var ids = UInt64(1)
        func next() -> UInt64 {
            ids += 1
            return ids &* 0x9E37_79B9_7F4A_7C15
        }
        let day: Int64 = 86_400_000
        let end = start + Int64(days) * day
        var people: [Consumer] = []
        var sharedDevices: [UInt64] = []
        var sharedAddresses: [UInt64] = []
        for n in 0..<consumers {
            // households: some share a device (a family tablet) or an address with earlier accounts
            let device =
                n > 0 && random.chance(0.05) && !sharedDevices.isEmpty ? sharedDevices.randomElement(&random) : next()
            if random.chance(0.1) { sharedDevices.append(device) }
            let address =
                random.chance(0.15) && !sharedAddresses.isEmpty ? sharedAddresses.randomElement(&random) : next()
            if random.chance(0.2) { sharedAddresses.append(address) }
            people.append(
                Consumer(
                    id: next(), createdAt: start - Int64(random.uniform(2, 700) * Double(day)),
                    devices: random.chance(0.3) ? [device, next()] : [device], homeIP: next(),
                    tokens: random.chance(0.4) ? [next(), next()] : [next()], address: address,
                    typicalFen: exp(random.normal(mean: log(12_000), deviation: 0.8))))
        }
        let shops = (0..<merchants).map { _ in next() }
        var events: [SimulatedEvent] = []
        func emit(
            _ time: Int64, _ kind: RiskEventKind, _ who: UInt64, created: Int64, device: UInt64?, ip: UInt64?,
            token: UInt64? = nil, address: UInt64? = nil, merchant: UInt64? = nil, amount: Int64 = 0,
            campaign: String? = nil, run: Int? = nil, declined: Bool = false, preparatory: Bool = false
        ) {
            events.append(
                SimulatedEvent(
                    observation: RiskObservation(
                        time: time, kind: kind, account: who, accountCreatedAt: created, device: device, ip: ip,
                        token: token, address: address, merchant: merchant, amountFen: amount),
                    campaign: campaign, run: run, declined: declined, preparatory: preparatory))
        }

        // Genuine traffic: a visit is a login, often a checkout and its payment, sometimes a review or a refund.
        for person in people {
            let visits = random.poisson(Double(days) * 0.6)
            for _ in 0..<visits {
                var t = start + Int64(random.uniform(0, Double(end - start)))
                // a new phone now and then; mobile networks change address often
                let device = random.chance(0.02) ? next() : person.devices.randomElement(&random)
                let ip = random.chance(0.25) ? next() : person.homeIP
                emit(t, .login, person.id, created: person.createdAt, device: device, ip: ip)
                guard random.chance(0.55) else { continue }
                let shop = shops.randomElement(&random)
                let amount = Int64(max(100, person.typicalFen * exp(random.normal(mean: 0, deviation: 0.5))))
                let token = person.tokens.randomElement(&random)
                t += Int64(random.uniform(30_000, 900_000))
                emit(
                    t, .checkout, person.id, created: person.createdAt, device: device, ip: ip, token: token,
                    address: person.address, merchant: shop, amount: amount)
                t += Int64(random.uniform(5_000, 120_000))
                emit(
                    t, .payment, person.id, created: person.createdAt, device: device, ip: ip, token: token,
                    address: person.address, merchant: shop, amount: amount, declined: random.chance(0.03))
                if random.chance(0.25) {
                    emit(
                        t + Int64(random.uniform(2, 6) * Double(day)), .review, person.id, created: person.createdAt,
                        device: device, ip: ip, merchant: shop)
                }
                if random.chance(0.03) {
                    emit(
                        t + Int64(random.uniform(1, 4) * Double(day)), .refundRequest, person.id,
                        created: person.createdAt, device: device, ip: ip, token: token, merchant: shop,
                        amount: amount)
                }
            }
        }

        // Campaigns, each run at a random time in the period (leaving a day of history before it).
        var run = 0
        for campaign in Self.campaigns {
            for _ in 0..<runsPerCampaign {
                run += 1
                let t0 = start + day / 2 + Int64(random.uniform(0, Double(end - start - day)))
                switch campaign {
                case "card_testing":
                    // a fresh account orders something small, then tries stolen cards on it seconds apart
                    let who = next()
                    let (device, ip) = (next(), next())
                    let shop = shops.randomElement(&random)
                    let amount = Int64(random.uniform(100, 500))
                    var t = t0
                    emit(
                        t, .registration, who, created: t0, device: device, ip: ip, campaign: campaign, run: run,
                        preparatory: true)
                    t += Int64(random.uniform(30_000, 120_000))
                    emit(
                        t, .checkout, who, created: t0, device: device, ip: ip, merchant: shop, amount: amount,
                        campaign: campaign, run: run, preparatory: true)
                    for _ in 0..<Int(random.uniform(15, 40)) {
                        t += Int64(random.uniform(2_000, 8_000))
                        emit(
                            t, .payment, who, created: t0, device: device, ip: ip, token: next(), merchant: shop,
                            amount: amount, campaign: campaign, run: run, declined: random.chance(0.9))
                    }
                case "account_takeover":
                    // stolen credentials: an established account, a new device and network, big orders elsewhere
                    let victim = people.randomElement(&random)
                    let (device, ip, address) = (next(), next(), next())
                    var t = t0
                    emit(
                        t, .login, victim.id, created: victim.createdAt, device: device, ip: ip, campaign: campaign,
                        run: run)
                    t += Int64(random.uniform(20_000, 120_000))
                    emit(
                        t, .profileChange, victim.id, created: victim.createdAt, device: device, ip: ip,
                        campaign: campaign, run: run)
                    for _ in 0..<Int(random.uniform(2, 4)) {
                        t += Int64(random.uniform(30_000, 300_000))
                        let amount = Int64(victim.typicalFen * random.uniform(6, 20))
                        let shop = shops.randomElement(&random)
                        emit(
                            t, .checkout, victim.id, created: victim.createdAt, device: device, ip: ip,
                            token: victim.tokens[0], address: address, merchant: shop, amount: amount,
                            campaign: campaign, run: run)
                        t += Int64(random.uniform(5_000, 60_000))
                        emit(
                            t, .payment, victim.id, created: victim.createdAt, device: device, ip: ip,
                            token: victim.tokens[0], address: address, merchant: shop, amount: amount,
                            campaign: campaign, run: run)
                    }
                case "review_ring":
                    // 刷单: a farm registers accounts on a few phones, buys something cheap from one shop, praises it
                    let shop = shops.randomElement(&random)
                    let phones = [next(), next()]
                    let address = next()
                    let ip = next()
                    let members = (0..<Int(random.uniform(8, 16))).map { _ in next() }
                    var created: [Int64] = []
                    var t = t0
                    for (n, member) in members.enumerated() {
                        t += Int64(random.uniform(20_000, 90_000))
                        created.append(t)
                        emit(
                            t, .registration, member, created: t, device: phones[n % 2], ip: ip,
                            campaign: campaign, run: run, preparatory: true)
                    }
                    for (n, member) in members.enumerated() {
                        let device = phones[n % 2]
                        let token = next()
                        let amount = Int64(random.uniform(500, 2_000))
                        t += Int64(random.uniform(60_000, 300_000))
                        emit(
                            t, .checkout, member, created: created[n], device: device, ip: ip, token: token,
                            address: address, merchant: shop, amount: amount, campaign: campaign, run: run)
                        emit(
                            t + 20_000, .payment, member, created: created[n], device: device, ip: ip, token: token,
                            address: address, merchant: shop, amount: amount, campaign: campaign, run: run)
                        emit(
                            t + Int64(random.uniform(600_000, 3_600_000)), .review, member, created: created[n],
                            device: device, ip: ip, merchant: shop, campaign: campaign, run: run)
                    }
                case "refund_abuse":
                    // an established account orders again and again and asks for its money back each time
                    let abuser = people.randomElement(&random)
                    var t = t0
                    for _ in 0..<Int(random.uniform(5, 9)) {
                        let amount = Int64(abuser.typicalFen * random.uniform(0.8, 2))
                        let shop = shops.randomElement(&random)
                        t += Int64(random.uniform(600_000, 3_600_000))
                        emit(
                            t, .refundRequest, abuser.id, created: abuser.createdAt, device: abuser.devices[0],
                            ip: abuser.homeIP, token: abuser.tokens[0], merchant: shop, amount: amount,
                            campaign: campaign, run: run)
                    }
                default:  // colluding_merchant
                    // a merchant cycles money through accounts it controls: one card, one address, many accounts
                    let shop = shops.randomElement(&random)
                    let (token, address) = (next(), next())
                    var t = t0
                    for _ in 0..<Int(random.uniform(6, 12)) {
                        let who = next()
                        let created = t - Int64(random.uniform(1, 30) * Double(day))
                        let (device, ip) = (next(), next())
                        let amount = Int64(random.uniform(50_000, 300_000))
                        t += Int64(random.uniform(300_000, 1_800_000))
                        emit(
                            t, .checkout, who, created: created, device: device, ip: ip, token: token,
                            address: address, merchant: shop, amount: amount, campaign: campaign, run: run)
                        emit(
                            t + 30_000, .payment, who, created: created, device: device, ip: ip, token: token,
                            address: address, merchant: shop, amount: amount, campaign: campaign, run: run)
                    }
                }
            }
        }
        events.sort { $0.observation.time < $1.observation.time }
        return events
    }
}

/// SplitMix64: small, fast and reproducible (simulations, not secrets).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(next() >> 11) / Double(1 << 53)
    }

    mutating func chance(_ p: Double) -> Bool { uniform(0, 1) < p }

    mutating func normal(mean: Double, deviation: Double) -> Double {
        let u = max(uniform(0, 1), 1e-12)
        let v = uniform(0, 1)
        return mean + deviation * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    mutating func poisson(_ lambda: Double) -> Int {
        let limit = exp(-lambda)
        var k = 0
        var p = 1.0
        repeat {
            k += 1
            p *= uniform(0, 1)
        } while p > limit
        return k - 1
    }
}

extension Array {
    fileprivate func randomElement(_ random: inout SplitMix64) -> Element {
        self[Int(random.next() % UInt64(count))]
    }
}
