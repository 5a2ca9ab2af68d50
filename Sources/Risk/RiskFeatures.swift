/// One event as the engine sees it: what happened, when, and the entities involved, each as a keyed pseudonym
/// (the platform passes blind indexes, never phone numbers, card tokens or addresses in clear).
public struct RiskObservation: Sendable, Codable, Equatable {
    public var time: Int64
    public var kind: RiskEventKind
    public var account: UInt64
    public var accountCreatedAt: Int64
    public var device: UInt64?
    public var ip: UInt64?
    /// The payment token (never a card number: the institution's token for the card).
    public var token: UInt64?
    public var address: UInt64?
    public var merchant: UInt64?
    public var amountFen: Int64

    public init(
        time: Int64, kind: RiskEventKind, account: UInt64, accountCreatedAt: Int64, device: UInt64? = nil,
        ip: UInt64? = nil, token: UInt64? = nil, address: UInt64? = nil, merchant: UInt64? = nil, amountFen: Int64 = 0
    ) {
        self.time = time
        self.kind = kind
        self.account = account
        self.accountCreatedAt = accountCreatedAt
        self.device = device
        self.ip = ip
        self.token = token
        self.address = address
        self.merchant = merchant
        self.amountFen = amountFen
    }
}

/// Velocity, first-sight, history and link features per account, device, IP, payment token, address and
/// merchant, kept in memory over sliding windows (1 minute, 1 hour, 24 hours). `observe` records an event and
/// returns its features (the event itself counted); `paymentFailed` records the institution's answer.
public struct RiskFeatures: Sendable {
    struct AccountState: Sendable {
        /// Series 0: every event; 1: checkouts; 2: refund requests.
        var totals = WindowedTotals(series: 3)
        var devices = RecentDistinct(limit: 32)
        var ips = RecentDistinct(limit: 32)
        var orders = 0
        var orderTotalFen = 0.0
        /// When the engine first saw the account: devices and networks from then on can be new to it.
        var firstSeen: Int64?
    }
    struct SharedState: Sendable {
        /// Series 0: every event; 1: declined payments.
        var totals = WindowedTotals(series: 2)
        var accounts = RecentDistinct(limit: 64)
        var tokens = RecentDistinct(limit: 64)
    }

    private var accounts: [UInt64: AccountState] = [:]
    private var devices: [UInt64: SharedState] = [:]
    private var ips: [UInt64: SharedState] = [:]
    private var tokens: [UInt64: SharedState] = [:]
    private var addresses: [UInt64: SharedState] = [:]
    private var merchants: [UInt64: SharedState] = [:]

    public init() {}

    /// The names `observe` fills, in a fixed order (model columns, CSV headers).
    public static let names: [String] = [
        "event_kind", "account_age_days", "amount_fen", "amount_vs_history", "account_events_1m", "account_events_1h",
        "account_checkouts_1h", "account_checkouts_24h", "account_refunds_24h", "account_new_device",
        "account_new_ip", "account_ips_1h", "device_events_1h", "device_accounts_24h", "ip_events_1m",
        "ip_payments_failed_1h", "ip_accounts_24h", "ip_tokens_1h", "token_accounts_24h", "address_accounts_24h",
        "merchant_events_1h", "ring_size",
    ]

    /// Positions in a `RiskFeatureVector`, in the order of `names`.
    enum Column: Int, CaseIterable {
        case eventKind, accountAgeDays, amountFen, amountVsHistory, accountEvents1m, accountEvents1h,
            accountCheckouts1h, accountCheckouts24h, accountRefunds24h, accountNewDevice, accountNewIp, accountIps1h,
            deviceEvents1h, deviceAccounts24h, ipEvents1m, ipPaymentsFailed1h, ipAccounts24h, ipTokens1h,
            tokenAccounts24h, addressAccounts24h, merchantEvents1h, ringSize
    }

    public var entityCount: Int {
        accounts.count + devices.count + ips.count + tokens.count + addresses.count + merchants.count
    }

    public mutating func observe(_ event: RiskObservation) -> RiskFeatureVector {
        let t = event.time
        let amount = Double(event.amountFen)
        var features = RiskFeatureVector()
        // the event as a number, so one model can tell a login from a payment
        features[.eventKind] = Double(event.kind.number)
        features[.accountAgeDays] = Double(max(t - event.accountCreatedAt, 0)) / 86_400_000
        features[.amountFen] = amount

        // Updated in place (`&dict[key, default:]`): taking a copy out would copy its buckets on every event.
        Self.observeAccount(&accounts[event.account, default: AccountState()], event, into: &features)

        var ring = 1
        if let device = event.device {
            Self.touch(&devices[device, default: SharedState()], event) { shared in
                features[.deviceEvents1h] = Double(shared.totals.read(.hour, at: t).count)
                let linked = shared.accounts.count(.day, at: t)
                features[.deviceAccounts24h] = Double(linked)
                ring = max(ring, linked)
            }
        }
        if let ip = event.ip {
            Self.touch(&ips[ip, default: SharedState()], event) { shared in
                features[.ipEvents1m] = Double(shared.totals.read(.minute, at: t).count)
                features[.ipPaymentsFailed1h] = Double(shared.totals.read(.hour, at: t, series: 1).count)
                features[.ipAccounts24h] = Double(shared.accounts.count(.day, at: t))
                features[.ipTokens1h] = Double(shared.tokens.count(.hour, at: t))
            }
        }
        if let token = event.token {
            Self.touch(&tokens[token, default: SharedState()], event) { shared in
                let linked = shared.accounts.count(.day, at: t)
                features[.tokenAccounts24h] = Double(linked)
                ring = max(ring, linked)
            }
        }
        if let address = event.address {
            Self.touch(&addresses[address, default: SharedState()], event) { shared in
                let linked = shared.accounts.count(.day, at: t)
                features[.addressAccounts24h] = Double(linked)
                ring = max(ring, linked)
            }
        }
        if let merchant = event.merchant {
            Self.touch(&merchants[merchant, default: SharedState()], event) { shared in
                features[.merchantEvents1h] = Double(shared.totals.read(.hour, at: t).count)
            }
        }
        features[.ringSize] = Double(ring)
        return features
    }

    /// The institution declined a payment: counted against the address it came from.
    public mutating func paymentFailed(_ event: RiskObservation) {
        guard let ip = event.ip else { return }
        ips[ip, default: SharedState()].totals.add(1, at: event.time, series: 1)
    }

    private static func observeAccount(
        _ account: inout AccountState, _ event: RiskObservation, into features: inout RiskFeatureVector
    ) {
        let t = event.time
        let amount = Double(event.amountFen)
        account.totals.add(amount, at: t)
        if event.kind == .checkout {
            // against the account's own history before this order (1 when there is none)
            features[.amountVsHistory] =
                account.orders > 0 ? amount / max(account.orderTotalFen / Double(account.orders), 1) : 1
            account.totals.add(amount, at: t, series: 1)
            account.orders += 1
            account.orderTotalFen += amount
        }
        if event.kind == .refundRequest { account.totals.add(amount, at: t, series: 2) }
        // A device or network is new to an account when it appeared within the hour, after the engine already
        // knew the account (and the account is older than a day); what an account arrives with is not new.
        let known = account.firstSeen ?? t
        account.firstSeen = known
        let established = t - event.accountCreatedAt > RiskWindow.day.milliseconds
        func isNew(_ first: Int64) -> Double {
            established && first > known && t - first < RiskWindow.hour.milliseconds ? 1 : 0
        }
        if let device = event.device { features[.accountNewDevice] = isNew(account.devices.insert(device, at: t)) }
        if let ip = event.ip { features[.accountNewIp] = isNew(account.ips.insert(ip, at: t)) }
        features[.accountEvents1m] = Double(account.totals.read(.minute, at: t).count)
        features[.accountEvents1h] = Double(account.totals.read(.hour, at: t).count)
        features[.accountCheckouts1h] = Double(account.totals.read(.hour, at: t, series: 1).count)
        features[.accountCheckouts24h] = Double(account.totals.read(.day, at: t, series: 1).count)
        features[.accountRefunds24h] = Double(account.totals.read(.day, at: t, series: 2).count)
        features[.accountIps1h] = Double(account.ips.count(.hour, at: t))
    }

    private static func touch(
        _ state: inout SharedState, _ event: RiskObservation, read: (inout SharedState) -> Void
    ) {
        state.totals.add(Double(event.amountFen), at: event.time)
        state.accounts.insert(event.account, at: event.time)
        if let token = event.token { state.tokens.insert(token, at: event.time) }
        // inout, not a copy: the state holds its buckets inline, so a copy would move kilobytes per event
        read(&state)
    }
}
