// Marketplace owns the use cases: each takes a typed caller and plain inputs, runs one transaction with
// its audit event, and returns plain outputs. It must not import App (no HTTP here).
public import Domain
import Foundation
public import Logging
public import Privacy
public import Risk
public import Storage
import Synchronization

/// Security settings with their defaults (clauses 2.2, 3.2, 4.x). Every one can be configured.
public struct SecuritySettings: Sendable {
    /// bcrypt cost; production refuses less than 12.
    public var passwordHashCost = 12
    /// Failed sign-ins on one account within `lockoutWindowSeconds` that lock it.
    public var lockoutThreshold = 5
    public var lockoutWindowSeconds: Int64 = 15 * 60
    public var lockoutDurationSeconds: Int64 = 30 * 60
    /// Failed sign-ins from one address within `ipWindowSeconds` before it is throttled.
    public var ipFailureLimit = 20
    public var ipWindowSeconds: Int64 = 10 * 60
    /// Sessions end after this long without use.
    public var sessionIdleSeconds: Int64 = 15 * 60
    /// Absolute lifetime of merchant and staff sessions, and of consumer sessions.
    public var privilegedSessionLifetimeSeconds: Int64 = 8 * 3600
    public var consumerSessionLifetimeSeconds: Int64 = 30 * 24 * 3600
    /// Checkouts above this total (fen) need a real-name verified consumer (clause 2.3.4).
    public var verifiedBuyerThresholdFen: Int64 = 500_000
    /// Merchants' waybills (full shipping address) stop working this many days after the order completes.
    public var waybillDaysAfterCompletion: Int64 = 15
    /// Unpaid orders are cancelled after this long.
    public var paymentWindowSeconds: Int64 = 15 * 60
    /// Paid orders are to be shipped within this many hours; later ones are flagged late, the buyer told they may
    /// cancel for a full refund and the merchant reminded.
    public var shipWithinHours: Int64 = 48
    /// Receipt is confirmed for the buyer this many days after delivery (after shipment while delivery is unknown).
    public var autoConfirmDays: Int64 = 10
    /// How many days the buyer's one extension adds to the receipt window.
    public var receiptExtensionDays: Int64 = 5
    /// The platform's fee on completed orders, in basis points (500 = 5%).
    public var platformFeeBasisPoints: Int64 = 500
    /// How long after completion the buyer may review an order line.
    public var reviewWindowDays: Int64 = 30
    /// Complaint and dispute deadlines: merchant response, negotiation, arbitration, appeal (clause 2.4.4).
    public var disputes = Disputes.Settings()

    public init() {}
}

/// Everything a use case needs: storage, keys, time, policy. Built once at start-up.
public struct Platform: Sendable {
    public let db: DatabaseStack
    public let keys: KeyRing
    public let clock: any Clock
    public let settings: SecuritySettings
    public let passwordPolicy: PasswordPolicy
    public let logger: Logger
    /// The identity-verification provider (real-name checks, clause 2.3.4).
    public var identityVerifier: any IdentityVerifier = NoIdentityVerifier()
    /// The identity verifier's id in the provider registry, for the disclosure records of real-name checks.
    public var identityProviderId = "identity-provider"
    /// The licensed payment institution (clause 2.4.2); until one is configured, payments answer 503.
    public var payments: any PaymentProvider = NoPaymentProvider()
    /// The platform's public address: payment callbacks and the hosted page's return link are built from it.
    /// Shared by every copy of the platform, so it can be set once the listening port is known.
    public let publicAddress = PublicAddress("http://127.0.0.1:8080")
    public var publicBaseURL: String { publicAddress.value }
    /// Where one-time codes go; the outbox keeps them (development, demo, tests) until a gateway is set.
    public var textMessages: any TextMessageSender = MessageOutbox()
    /// Where e-mail goes; the outbox keeps it (development, demo, tests) until an SMTP relay is set.
    public var emails: any EmailSender = EmailOutbox()
    /// A provider that relays notices by webhook; when set, every notice also goes this way.
    public var noticeWebhook: (any NoticeWebhook)?
    /// Incident grading thresholds and the regulator's and people's clocks (clause 2.3.6).
    public var incidentPolicy = IncidentPolicy.standard
    /// How people reach the platform about an incident (in every notice, PIPL Art. 57).
    public var incidentContact = "security@covenant.example, 400-000-0000"
    /// The risk engine: the bundled rules until an operator loads others (clause 2.4.3).
    public var risk: RiskEngine
    /// Recent catalog pages (cleared by every listing or stock change in this process).
    public let browseCache = BrowseCache()
    /// Erased people's ids outside the database, replayed into restored backups (nil: in-memory databases, tests).
    public var erasureJournal: ErasureJournal?
    /// The risk engine's in-memory sliding-window features; shared by every copy of the platform.
    public let riskSignals = RiskSignals()
    /// The intrusion shield (clause 2.2); shared by every copy of the platform.
    public var shield = Shield(settings: ShieldSettings())
    /// Proposes the next sanction from a party's history (clause 2.5); staff decide.
    public var sanctionPolicy = SanctionPolicy.standard
    /// This process among the instances serving together: host name, process id and a random part, so a restart
    /// on the same host is a new instance: it names the holder of background-service leases, which operators
    /// read. (The shield and the risk signals tag their shared rows with their own random ids, made when they are,
    /// only to skip rows they wrote themselves.)
    public var instanceId =
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-"
        + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    /// Data keys for audit writes, so an audited action costs no extra key query.
    let auditKeys = AuditKeyCache()
    /// A hash that matches nothing, checked for unknown logins so they take as long as wrong passwords.
    let decoyPasswordHash: String

    /// Fails when the common-password list is missing: the password policy must never fail open.
    public init(db: DatabaseStack, keys: KeyRing, clock: any Clock, settings: SecuritySettings, logger: Logger) throws {
        guard CommonPasswords.list.count >= 10_000 else { throw PlatformError.commonPasswordListMissing }
        self.db = db
        self.keys = keys
        self.clock = clock
        self.settings = settings
        self.passwordPolicy = PasswordPolicy(commonPasswords: CommonPasswords.list)
        self.logger = logger
        self.decoyPasswordHash = PasswordHasher.decoyHash(cost: settings.passwordHashCost)
        self.risk = RiskEngine(live: try RiskChecks.bundledRules())
    }

    var now: Int64 { clock.nowMillis }
}

/// A value set at start-up (or once the server's port is known) and read by every request.
public final class PublicAddress: Sendable {
    private let storage: Mutex<String>

    public init(_ value: String) { storage = Mutex(value) }

    public var value: String { storage.withLock { $0 } }

    public func set(_ value: String) {
        let trimmed = value.hasSuffix("/") ? String(value.dropLast()) : value
        storage.withLock { $0 = trimmed }
    }
}

public enum PlatformError: Error, CustomStringConvertible {
    case commonPasswordListMissing
    case riskRulesMissing

    public var description: String {
        switch self {
        case .commonPasswordListMissing:
            "the list of common passwords (Resources/common-passwords.txt) is missing from the build"
        case .riskRulesMissing: "the bundled risk rules (Resources/risk-rules.json) are missing from the build"
        }
    }
}

/// Fresh random identifiers (UUID v4 text).
enum Identifiers {
    static func make() -> String { UUID().uuidString.lowercased() }
}
