import Domain
import Foundation
public import Hummingbird
// App owns HTTP: typed request contexts per party, middleware, thin handlers, the route table.
// Handlers decode, call one use case and encode; rules live in Marketplace.
import HummingbirdCore
import HummingbirdTLS
public import Logging
public import Marketplace
import Metrics
import NIOCore
public import Prometheus
import Storage
import Synchronization

/// The Prometheus registry behind `/metrics`, installed as the process's metrics backend once.
public enum MetricsBackend {
    private static let installed = Mutex(false)
    public static let registry = PrometheusCollectorRegistry()

    public static func bootstrap() {
        installed.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }
}

/// Builds the router: every route of the platform, each behind the context that says who may call it.
public func buildRouter(platform: Platform, config: AppConfig) -> Router<AppRequestContext> {
    MetricsBackend.bootstrap()
    let router = Router(context: AppRequestContext.self)
    router.addMiddleware {
        SecurityHeadersMiddleware<AppRequestContext>(tls: config.tlsEnabled)
        ProblemMiddleware()
        MetricsMiddleware<AppRequestContext>()
        AuthenticationMiddleware(
            platform: platform, trustForwardedFor: config.trustForwardedFor, maxBodyBytes: config.maxBodyBytes)
        ShieldMiddleware(platform: platform, maxBodyBytes: config.maxBodyBytes)
        GovernanceGate(platform: platform)
    }
    let limit = config.maxBodyBytes
    let operations = OperationsHandlers(platform: platform, registry: MetricsBackend.registry)
    let accounts = AccountHandlers(platform: platform, maxBodyBytes: limit)
    let sessions = SessionHandlers(platform: platform, maxBodyBytes: limit)
    let twoFactor = TwoFactorHandlers(platform: platform, maxBodyBytes: limit)
    let team = TeamHandlers(platform: platform, maxBodyBytes: limit)
    let audit = AuditHandlers(platform: platform)
    let privacy = PrivacyHandlers(platform: platform, maxBodyBytes: limit)
    let verification = VerificationHandlers(platform: platform, maxBodyBytes: limit)
    let catalog = CatalogHandlers(platform: platform, maxBodyBytes: limit)
    let orders = OrderHandlers(platform: platform, maxBodyBytes: limit)
    let risk = RiskHandlers(platform: platform, maxBodyBytes: limit)
    let disputes = DisputeHandlers(platform: platform, maxBodyBytes: limit)
    let forceMajeure = ForceMajeureHandlers(platform: platform, maxBodyBytes: limit)
    let governance = GovernanceHandlers(platform: platform, maxBodyBytes: limit)
    let providers = ProviderHandlers(platform: platform, maxBodyBytes: limit)
    let incidents = IncidentHandlers(platform: platform, maxBodyBytes: limit)

    // Anyone.
    router.get("health/live", use: operations.live)
    router.get("health/ready", use: operations.ready)
    router.get("metrics", use: operations.metrics)
    let api = router.group("api/v1")
    api.get("openapi.yaml", use: operations.openAPI)
    api.post("accounts", use: accounts.register)
    api.post("sessions", use: sessions.create)
    // The audit log's heads and consistency proofs hold no personal data: anyone may check them.
    api.get("privacy-notice", use: privacy.notice)
    api.get("rulebook", use: governance.rulebook)
    api.get("products", use: catalog.browse)
    api.get("products/:id", use: catalog.product)
    api.get("products/:id/reviews", use: orders.reviews)
    api.post("payments/callback", use: orders.paymentCallback)
    api.get("audit/head", use: audit.head)
    api.get("audit/consistency", use: audit.consistency)

    // Any signed-in account, even before two-factor enrolment (so that it can enrol).
    let signedIn = api.group(context: SignedInContext.self)
    signedIn.delete("sessions/current", use: sessions.deleteCurrent)
    signedIn.get("me", use: accounts.me)
    signedIn.patch("me", use: accounts.correct)
    signedIn.put("me/password", use: accounts.changePassword)
    signedIn.get("me/notices", use: accounts.notices)
    signedIn.post("me/rulebook-acceptance", use: governance.accept)
    signedIn.get("me/sanctions", use: governance.mySanctions)
    signedIn.post("me/sanctions/:id/appeal", use: governance.appeal)
    signedIn.post("reports", use: governance.report)
    signedIn.get("me/disclosures", use: providers.myDisclosures)
    signedIn.get("me/sessions", use: sessions.list)
    signedIn.delete("me/sessions/:id", use: sessions.revoke)
    signedIn.post("me/two-factor", use: twoFactor.begin)
    signedIn.post("me/two-factor/confirm", use: twoFactor.confirm)
    signedIn.delete("me/two-factor", use: twoFactor.disable)
    signedIn.get("me/access-receipts", use: audit.receipts)
    signedIn.post("me/reveal", use: privacy.revealOwn)
    signedIn.get("me/export", use: privacy.export)
    signedIn.delete("me", use: privacy.erase)
    signedIn.get("me/privacy-requests", use: privacy.myRequests)
    signedIn.get("me/consents", use: privacy.myConsents)
    signedIn.post("me/consents", use: privacy.giveConsent)
    signedIn.delete("me/consents/:purpose", use: privacy.withdrawConsent)
    signedIn.get("me/verification", use: verification.status)
    signedIn.post("me/verification", use: verification.startConsumer)
    signedIn.post("me/verification/code", use: verification.confirmCode)
    // Proofs for the people an event names, or audit staff; others get 404.
    signedIn.get("audit/events/:sequence/proof", use: audit.proof)

    // Merchant owners and staff, two-factor passed, by permission.
    signedIn.get("orders/:id", use: orders.get)
    // Disputes: the parties and arbitrators (the use cases check which one the caller is; others get 404).
    signedIn.get("disputes", use: disputes.mine)
    signedIn.get("disputes/:id", use: disputes.get)
    signedIn.post("disputes/:id/escalate", use: disputes.escalate)
    signedIn.post("disputes/:id/appeal", use: disputes.appeal)
    signedIn.post("disputes/:id/messages", use: disputes.message)
    signedIn.post("disputes/:id/images", use: disputes.image)

    // Consumers.
    let consumer = api.group(context: ConsumerContext.self)
    consumer.get("cart", use: orders.cart)
    consumer.post("cart/items", use: orders.setCartItem)
    consumer.delete("cart/items/:listingId", use: orders.removeCartItem)
    consumer.post("checkouts", use: orders.checkout)
    consumer.get("orders", use: orders.mine)
    consumer.post("orders/:id/cancel", use: orders.cancel)
    consumer.post("checkouts/:id/payment", use: orders.startPayment)
    consumer.get("checkouts/:id/payment", use: orders.payment)
    consumer.post("orders/:id/confirm-receipt", use: orders.confirmReceipt)
    consumer.post("orders/:id/extend-receipt", use: orders.extendReceipt)
    consumer.post("orders/:id/refund", use: orders.requestRefund)
    consumer.post("orders/:id/reviews", use: orders.createReview)
    consumer.post("orders/:id/disputes", use: disputes.open)
    consumer.post("disputes/:id/accept-offer", use: disputes.acceptOffer)
    consumer.post("disputes/:id/withdraw", use: disputes.withdraw)

    let merchant = api.group("merchant", context: MerchantContext.self)
    merchant.get("staff", use: requiring(.viewMerchantStaff, team.listMerchantStaff))
    merchant.post("staff", use: requiring(.manageMerchantStaff, team.addMerchantStaff))
    merchant.put("staff/:id/role", use: requiring(.manageMerchantStaff, team.changeMerchantStaffRole))
    merchant.delete("staff/:id", use: requiring(.manageMerchantStaff, team.removeMerchantStaff))
    merchant.post("verification", use: requiring(.verifyMerchant, verification.startMerchant))
    merchant.get("orders", use: requiring(.fulfilOrders, orders.merchantOrders))
    merchant.post("orders/:id/waybill", use: requiring(.fulfilOrders, orders.waybill))
    merchant.post("orders/:id/ship", use: requiring(.fulfilOrders, orders.ship))
    merchant.post("orders/:id/delivered", use: requiring(.fulfilOrders, orders.delivered))
    merchant.post("orders/:id/refund-decision", use: requiring(.fulfilOrders, orders.decideRefund))
    merchant.get("balance", use: requiring(.viewFinance, orders.balance))
    merchant.post("payouts", use: requiring(.requestPayouts, orders.requestPayout))
    merchant.post("reviews/:id/reply", use: requiring(.manageListings, orders.replyToReview))
    merchant.post("disputes/:id/response", use: requiring(.fulfilOrders, disputes.respond))
    merchant.post("complaints", use: requiring(.fulfilOrders, disputes.complain))
    merchant.get("products", use: requiring(.manageListings, catalog.mine))
    merchant.post("products", use: requiring(.manageListings, catalog.create))
    merchant.put("products/:id", use: requiring(.manageListings, catalog.update))
    merchant.delete("products/:id", use: requiring(.manageListings, catalog.withdraw))

    // Platform staff, two-factor passed, by permission.
    let staff = api.group("staff", context: StaffContext.self)
    staff.get("accounts", use: requiring(.listAccounts, team.listAccounts))
    staff.post("accounts/:id/unlock", use: requiring(.unlockAccounts, team.unlock))
    staff.get("audit/events", use: requiring(.readAudit, audit.search))
    staff.post("accounts/:id/reveal", use: requiring(.revealPersonalData, privacy.staffReveal))
    staff.post("training-records", use: requiring(.manageStaff, privacy.recordTraining))
    staff.get("privacy-requests", use: requiring(.handlePrivacyRequests, privacy.queue))
    staff.get("verifications", use: requiring(.reviewVerifications, verification.queue))
    staff.get("listing-reviews", use: requiring(.reviewListings, catalog.reviewQueue))
    staff.post("listing-reviews/:id/decision", use: requiring(.reviewListings, catalog.decide))
    staff.post("verifications/:id/decision", use: requiring(.reviewVerifications, verification.decide))
    staff.get("force-majeure", use: requiring(.declareForceMajeure, forceMajeure.list))
    staff.post("force-majeure", use: requiring(.declareForceMajeure, forceMajeure.declare))
    staff.post("force-majeure/:id/end", use: requiring(.declareForceMajeure, forceMajeure.end))
    staff.get("disputes", use: requiring(.arbitrate, disputes.queue))
    staff.get("complaints", use: requiring(.arbitrate, disputes.complaints))
    staff.post("complaints/:id/decision", use: requiring(.arbitrate, disputes.decideComplaint))
    staff.post("disputes/:id/decision", use: requiring(.arbitrate, disputes.decide))
    staff.get("risk-cases", use: requiring(.reviewRisk, risk.queue))
    staff.post("risk-cases/:id/claim", use: requiring(.reviewRisk, risk.claim))
    staff.post("risk-cases/:id/decision", use: requiring(.reviewRisk, risk.decide))
    staff.post("rulebook", use: requiring(.publishRules, governance.publish))
    staff.get("violations", use: requiring(.enforceRules, governance.violations))
    staff.post("violations", use: requiring(.enforceRules, governance.recordFinding))
    staff.post("violations/:id/decision", use: requiring(.enforceRules, governance.decideViolation))
    staff.get("parties/:id/sanctions", use: requiring(.enforceRules, governance.partySanctions))
    staff.get("parties/:id/sanction-proposal", use: requiring(.enforceRules, governance.proposal))
    staff.post("sanctions", use: requiring(.enforceRules, governance.impose))
    staff.post("sanctions/:id/lift", use: requiring(.enforceRules, governance.lift))
    staff.get("sanction-appeals", use: requiring(.enforceRules, governance.appeals))
    staff.post("sanction-appeals/:id/decision", use: requiring(.enforceRules, governance.decideAppeal))
    staff.get("providers", use: requiring(.manageProviders, providers.list))
    staff.post("providers", use: requiring(.manageProviders, providers.register))
    staff.post("providers/:id/assessments", use: requiring(.manageProviders, providers.assess))
    staff.post("providers/:id/status", use: requiring(.manageProviders, providers.setStatus))
    staff.post("providers/:id/credentials", use: requiring(.manageProviders, providers.issueCredential))
    staff.post("provider-credentials/:id/rotate", use: requiring(.manageProviders, providers.rotateCredential))
    staff.post("provider-credentials/:id/revoke", use: requiring(.manageProviders, providers.revokeCredential))

    staff.get("incidents", use: requiring(.handleIncidents, incidents.list))
    staff.post("incidents", use: requiring(.handleIncidents, incidents.register))
    staff.get("incidents/:id", use: requiring(.handleIncidents, incidents.get))
    staff.post("incidents/:id/actions", use: requiring(.handleIncidents, incidents.act))
    staff.post("incidents/:id/impact", use: requiring(.handleIncidents, incidents.impact))
    staff.post("incidents/:id/notices", use: requiring(.handleIncidents, incidents.notify))
    staff.post("incidents/:id/regulator-report", use: requiring(.handleIncidents, incidents.regulatorReport))
    staff.post("incidents/:id/tasks", use: requiring(.handleIncidents, incidents.addTask))
    staff.post("incidents/:id/tasks/:task/done", use: requiring(.handleIncidents, incidents.completeTask))
    staff.get("vulnerabilities", use: requiring(.handleIncidents, incidents.vulnerabilities))
    staff.post("vulnerabilities", use: requiring(.handleIncidents, incidents.recordVulnerability))
    staff.post("vulnerabilities/:id/close", use: requiring(.handleIncidents, incidents.closeVulnerability))

    // Third-party providers: signed requests with a live credential, by scope (2.6).
    let provider = api.group("provider", context: ProviderContext.self)
    provider.get("shipments", use: providers.shipments)
    provider.get("shipments/:id/waybill", use: providers.waybill)
    provider.post("shipments/:id/delivered", use: providers.delivered)
    provider.get("orders/:id", use: providers.order)
    provider.post("orders/:id/reveal", use: providers.reveal)

    addWebRoutes(to: router, platform: platform, maxBodyBytes: limit)
    return router
}

/// The HTTP application for `covenant serve` (TLS when configured).
/// `onRunning` is called once the server accepts connections.
public func buildApplication(
    platform: Platform, config: AppConfig, logger: Logger, onRunning: @escaping @Sendable () async -> Void = {}
) throws -> some ApplicationProtocol {
    let router = buildRouter(platform: platform, config: config)
    let server: HTTPServerBuilder
    if let certPath = config.tlsCertificatePath, let keyPath = config.tlsKeyPath {
        let certificates = try NIOSSLCertificate.fromPEMFile(certPath)
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        server = try .tls(.http1(), tlsConfiguration: tls)
    } else {
        server = .http1()
    }
    return Application(
        router: router, server: server,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "covenant"),
        services: [
            PeriodicService.auditIntegration(platform), PeriodicService.retention(platform),
            PeriodicService.orderTimers(platform),
            PeriodicService.maintenanceJobs(platform),
        ]
            // On PostgreSQL several instances may serve together: their risk counters count each other's traffic.
            + (platform.db.location.isPostgres || config.shareRiskSignals
                ? [PeriodicService.riskSignals(platform), PeriodicService.shieldUsage(platform)] : [])
            + (config.backupIntervalHours > 0
                ? [
                    PeriodicService.backups(
                        platform, directory: config.dataDir + "/backups",
                        interval: .seconds(config.backupIntervalHours * 3600), keep: config.backupKeep)
                ] : []),
        onServerRunning: { _ in await onRunning() }, logger: logger)
}
