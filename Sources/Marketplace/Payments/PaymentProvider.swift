public import Domain
public import Foundation

/// A licensed third-party payment institution (clauses 2.4.2 and 2.6). The platform never sees a card number:
/// the consumer pays on the provider's hosted page and the platform learns a token, a brand and four digits.
/// Real providers (Alipay, WeChat Pay, UnionPay, Stripe) are adapters of this protocol.
public protocol PaymentProvider: Sendable {
    /// The provider's name as stored with each payment.
    var name: String { get }
    /// Creates (or, for the same reference, returns) a payment intent; server to server, authenticated.
    func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent
    /// Refunds part or all of a captured payment; `reference` makes a retried refund happen once.
    func refund(intentId: String, amountFen: Int64, reference: String) async throws -> String
    /// Pays a merchant; `reference` makes a retried payout happen once.
    func payout(merchantId: String, amountFen: Int64, reference: String) async throws -> String
    /// Checks a callback's signature and freshness (constant time) and reads the event it carries.
    func verifyCallback(timestamp: String?, signature: String?, body: Data, now: Date) throws -> PaymentEvent
    /// What the provider recorded for us, to reconcile the ledger with.
    func totals() async throws -> ProviderTotals
}

public struct PaymentIntentRequest: Sendable, Codable, Equatable {
    /// Ours: the checkout id. The provider keeps one intent per reference.
    public let reference: String
    public let amountFen: Int64
    public let currency: String
    public let description: String
    /// Where the provider sends signed callbacks, and where the hosted page returns the consumer.
    public let callbackURL: String
    public let returnURL: String

    public init(
        reference: String, amountFen: Int64, currency: String, description: String, callbackURL: String,
        returnURL: String
    ) {
        self.reference = reference
        self.amountFen = amountFen
        self.currency = currency
        self.description = description
        self.callbackURL = callbackURL
        self.returnURL = returnURL
    }
}

public struct PaymentIntent: Sendable, Codable, Equatable {
    public let id: String
    /// The hosted payment page the consumer is sent to.
    public let payURL: String

    public init(id: String, payURL: String) {
        self.id = id
        self.payURL = payURL
    }
}

/// An asynchronous notice from the provider.
public struct PaymentEvent: Sendable, Codable, Equatable {
    public let eventId: String
    /// `payment.succeeded` or `payment.failed`.
    public let type: String
    public let intentId: String
    public let reference: String
    public let amountFen: Int64
    public let currency: String
    /// A reusable token for the card (never the number), its brand and last four digits.
    public let token: String?
    public let brand: String?
    public let last4: String?

    public init(
        eventId: String, type: String, intentId: String, reference: String, amountFen: Int64, currency: String,
        token: String?, brand: String?, last4: String?
    ) {
        self.eventId = eventId
        self.type = type
        self.intentId = intentId
        self.reference = reference
        self.amountFen = amountFen
        self.currency = currency
        self.token = token
        self.brand = brand
        self.last4 = last4
    }
}

/// Until a provider is configured, money cannot move: every call is a clear 503.
public struct NoPaymentProvider: PaymentProvider {
    public init() {}
    public var name: String { "none" }
    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent { throw Self.unavailable }
    public func refund(intentId: String, amountFen: Int64, reference: String) async throws -> String {
        throw Self.unavailable
    }
    public func payout(merchantId: String, amountFen: Int64, reference: String) async throws -> String {
        throw Self.unavailable
    }
    public func verifyCallback(timestamp: String?, signature: String?, body: Data, now: Date) throws -> PaymentEvent {
        throw Problem.badCallback("No payment provider is configured.")
    }
    public func totals() async throws -> ProviderTotals { throw Self.unavailable }

    static let unavailable = Problem(
        type: "provider-unavailable", status: 503, title: "Payment provider unavailable",
        detail: "No payment provider is configured (COVENANT_PAYMENT_URL).")
}

extension Problem {
    /// A callback that is not the provider's, or not recent: refused, nothing changes.
    public static func badCallback(_ detail: String) -> Problem {
        Problem(type: "bad-callback", status: 400, title: "Callback refused", detail: detail)
    }
}
