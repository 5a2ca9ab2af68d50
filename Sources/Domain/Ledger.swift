/// The double-entry ledger's accounts, postings and invariants (REFERENCE.md; issue: ledger and settlement).
/// Amounts are fen; a posting is positive for a debit and negative for a credit, so every entry sums to zero.
/// Liabilities (escrow, merchant payables, refunds and payouts in flight) therefore carry negative balances.
public enum LedgerAccount {
    /// Money held for us at the payment institution: captured payments in, refunds and payouts out.
    public static let clearing = "clearing"
    /// The platform's fee revenue.
    public static let fees = "fees"
    /// Refunds on their way back to consumers.
    public static let refunds = "refunds"
    /// Payouts on their way to merchants.
    public static let payouts = "payouts"
    /// Money held per order until it completes or is refunded (the guaranteed trade).
    public static func escrow(order: String) -> String { "escrow:\(order)" }
    /// What the platform owes a merchant.
    public static func merchant(_ id: String) -> String { "merchant:\(id)" }
    /// Captured money that matched no order (an amount or currency mismatch): held until staff resolve it.
    public static func suspense(checkout: String) -> String { "suspense:\(checkout)" }
}

public struct LedgerPosting: Sendable, Hashable, Codable {
    public let account: String
    public let amountFen: Int64

    public init(_ account: String, _ amountFen: Int64) {
        self.account = account
        self.amountFen = amountFen
    }
}

public enum LedgerEntryKind: String, Sendable, Codable, CaseIterable {
    case capture, mismatch, release, refund, payout
    case refundPaid = "refund_paid"
    case payoutPaid = "payout_paid"
    case payoutReversed = "payout_reversed"
}

/// What each business event posts. Every function returns postings that sum to zero.
public enum LedgerRules {
    /// A payment captured for a checkout: into clearing, and into each order's escrow.
    public static func capture(orders: [(id: String, totalFen: Int64)]) -> [LedgerPosting] {
        let total = orders.reduce(Int64(0)) { $0 + $1.totalFen }
        return [LedgerPosting(LedgerAccount.clearing, total)]
            + orders.map { LedgerPosting(LedgerAccount.escrow(order: $0.id), -$0.totalFen) }
    }

    /// A payment whose amount or currency did not match: captured, held in suspense.
    public static func mismatch(checkout: String, amountFen: Int64) -> [LedgerPosting] {
        [
            LedgerPosting(LedgerAccount.clearing, amountFen),
            LedgerPosting(LedgerAccount.suspense(checkout: checkout), -amountFen),
        ]
    }

    /// An order completed: its escrow goes to the merchant, less the platform's fee.
    public static func release(order: String, merchant: String, totalFen: Int64, feeBasisPoints: Int64)
        -> [LedgerPosting]
    {
        let fee = self.fee(totalFen: totalFen, basisPoints: feeBasisPoints)
        var postings = [
            LedgerPosting(LedgerAccount.escrow(order: order), totalFen),
            LedgerPosting(LedgerAccount.merchant(merchant), -(totalFen - fee)),
        ]
        if fee != 0 { postings.append(LedgerPosting(LedgerAccount.fees, -fee)) }
        return postings
    }

    /// An order refunded in full: its escrow is owed back to the consumer until the institution pays it.
    public static func refund(order: String, totalFen: Int64) -> [LedgerPosting] {
        [LedgerPosting(LedgerAccount.escrow(order: order), totalFen), LedgerPosting(LedgerAccount.refunds, -totalFen)]
    }

    /// The institution paid the refund out of clearing.
    public static func refundPaid(amountFen: Int64) -> [LedgerPosting] {
        [LedgerPosting(LedgerAccount.refunds, amountFen), LedgerPosting(LedgerAccount.clearing, -amountFen)]
    }

    /// A payout reserved from the merchant's balance (the institution has not paid yet).
    public static func payoutReserved(merchant: String, amountFen: Int64) -> [LedgerPosting] {
        [LedgerPosting(LedgerAccount.merchant(merchant), amountFen), LedgerPosting(LedgerAccount.payouts, -amountFen)]
    }

    /// The institution paid the payout out of clearing.
    public static func payoutPaid(amountFen: Int64) -> [LedgerPosting] {
        [LedgerPosting(LedgerAccount.payouts, amountFen), LedgerPosting(LedgerAccount.clearing, -amountFen)]
    }

    /// The institution refused the payout: the amount goes back to the merchant's balance.
    public static func payoutReversed(merchant: String, amountFen: Int64) -> [LedgerPosting] {
        [LedgerPosting(LedgerAccount.payouts, amountFen), LedgerPosting(LedgerAccount.merchant(merchant), -amountFen)]
    }

    /// The platform's fee: `basisPoints` / 10,000 of the total, rounded half up.
    public static func fee(totalFen: Int64, basisPoints: Int64) -> Int64 {
        (totalFen * basisPoints + 5_000) / 10_000
    }
}

/// One ledger entry as stored: its postings must balance.
public struct LedgerEntry: Sendable, Hashable {
    public let id: String
    public let kind: String
    public let orderId: String?
    public let postings: [LedgerPosting]

    public init(id: String, kind: String, orderId: String?, postings: [LedgerPosting]) {
        self.id = id
        self.kind = kind
        self.orderId = orderId
        self.postings = postings
    }
}

/// An order as the ledger check needs it.
public struct LedgerOrder: Sendable, Hashable {
    public let id: String
    public let status: OrderStatus
    public let totalFen: Int64

    public init(id: String, status: OrderStatus, totalFen: Int64) {
        self.id = id
        self.status = status
        self.totalFen = totalFen
    }
}

/// What the payment institution says it did for us: totals of captured payments, refunds and payouts.
public struct ProviderTotals: Sendable, Hashable, Codable {
    public var capturedFen: Int64
    public var refundedFen: Int64
    public var paidOutFen: Int64

    public init(capturedFen: Int64, refundedFen: Int64, paidOutFen: Int64) {
        self.capturedFen = capturedFen
        self.refundedFen = refundedFen
        self.paidOutFen = paidOutFen
    }
}

/// The ledger's invariants (`covenant ledger check`): the first one broken, named, or nil when all hold.
public enum LedgerInvariants {
    /// `inFlight` is what refunds and payouts the institution has not confirmed yet amount to.
    public static func firstViolation(
        entries: [LedgerEntry], orders: [LedgerOrder], inFlight: (refundsFen: Int64, payoutsFen: Int64),
        provider: ProviderTotals?
    ) -> String? {
        var balances: [String: Int64] = [:]
        for entry in entries {
            guard entry.postings.count >= 2 else {
                return "entry \(entry.id) (\(entry.kind)) has fewer than two postings"
            }
            let sum = entry.postings.reduce(Int64(0)) { $0 + $1.amountFen }
            guard sum == 0 else { return "entry \(entry.id) (\(entry.kind)) does not balance: off by \(sum) fen" }
            for posting in entry.postings { balances[posting.account, default: 0] += posting.amountFen }
        }
        for order in orders.sorted(by: { $0.id < $1.id }) {
            let escrow = balances[LedgerAccount.escrow(order: order.id)] ?? 0
            let expected = heldInEscrow(order)
            guard escrow == -expected else {
                return "order \(order.id) is \(order.status.rawValue) and should hold \(expected) fen in escrow, "
                    + "but holds \(-escrow)"
            }
        }
        for (account, balance) in balances.sorted(by: { $0.key < $1.key }) where account.hasPrefix("merchant:") {
            guard balance <= 0 else { return "\(account) is negative: \(-balance) fen" }
        }
        for (account, pending) in [
            (LedgerAccount.refunds, inFlight.refundsFen), (LedgerAccount.payouts, inFlight.payoutsFen),
        ]
        where -(balances[account] ?? 0) != pending {
            return "\(account) holds \(-(balances[account] ?? 0)) fen but \(pending) fen are in flight"
        }
        guard let provider else { return nil }
        let captured = total(entries, account: LedgerAccount.clearing, kinds: [.capture, .mismatch])
        let refunded = -total(entries, account: LedgerAccount.clearing, kinds: [.refundPaid])
        let paidOut = -total(entries, account: LedgerAccount.clearing, kinds: [.payoutPaid])
        if captured != provider.capturedFen {
            return "captured payments: ledger \(captured) fen, payment provider \(provider.capturedFen) fen"
        }
        if refunded != provider.refundedFen {
            return "refunds: ledger \(refunded) fen, payment provider \(provider.refundedFen) fen"
        }
        if paidOut != provider.paidOutFen {
            return "payouts: ledger \(paidOut) fen, payment provider \(provider.paidOutFen) fen"
        }
        return nil
    }

    /// What an order's escrow must hold in its state: its total while paid and open, otherwise nothing.
    public static func heldInEscrow(_ order: LedgerOrder) -> Int64 {
        switch order.status {
        case .awaitingShipment, .shipped, .delivered, .refundRequested: order.totalFen
        case .awaitingPayment, .completed, .cancelled, .refunded, .onHold: 0
        }
    }

    private static func total(_ entries: [LedgerEntry], account: String, kinds: Set<LedgerEntryKind>) -> Int64 {
        entries.filter { LedgerEntryKind(rawValue: $0.kind).map(kinds.contains) ?? false }
            .flatMap(\.postings).filter { $0.account == account }.reduce(0) { $0 + $1.amountFen }
    }
}
