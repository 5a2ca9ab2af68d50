import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import NIOCore

/// The web pages' route table: every page behind the context that says who may see it, all behind
/// `WebMiddleware` (CSRF, sign-in redirects, HTML errors). Writes are POSTs, listed in `RouteUses` like the API's.
func addWebRoutes(to router: Router<AppRequestContext>, platform: Platform, maxBodyBytes: Int) {
    let store = StorefrontPages(platform: platform, maxBodyBytes: maxBodyBytes)
    let account = AccountPages(platform: platform, maxBodyBytes: maxBodyBytes)
    let merchant = MerchantPages(platform: platform, maxBodyBytes: maxBodyBytes)
    let disputes = DisputePages(platform: platform, maxBodyBytes: maxBodyBytes)
    let ops = OperationsPages(platform: platform, maxBodyBytes: maxBodyBytes)
    let keys = OperationsKeyPages(platform: platform)
    let backtests = OperationsBacktestPages(platform: platform, maxBodyBytes: maxBodyBytes)

    router.get("static/:file", use: StaticFiles.serve)

    let web = router.group().add(middleware: WebMiddleware(maxBodyBytes: maxBodyBytes))
    // Anyone.
    web.get("/", use: store.browse)
    web.get("products/:id", use: store.product)
    web.get("signin", use: account.signInForm)
    web.post("signin", use: account.signIn)
    web.post("signout", use: account.signOut)
    web.get("language", use: account.language)
    web.get("privacy", use: account.notice)

    // Every account: the privacy and security centre, and the disputes it is a party to (or arbitrates).
    let signedIn = web.group(context: SignedInContext.self)
    signedIn.get("account", use: account.centre)
    signedIn.get("account/export", use: account.export)
    signedIn.post("account/consents", use: account.giveConsent)
    signedIn.post("account/consents/:purpose/withdraw", use: account.withdrawConsent)
    signedIn.post("account/sessions/:id/revoke", use: account.revokeSession)
    signedIn.post("account/delete", use: account.erase)
    signedIn.post("account/correct", use: account.correct)
    signedIn.post("account/two-factor", use: account.beginTwoFactor)
    signedIn.post("account/two-factor/confirm", use: account.confirmTwoFactor)
    signedIn.post("account/two-factor/disable", use: account.disableTwoFactor)
    signedIn.post("account/verification", use: account.startVerification)
    signedIn.post("account/verification/code", use: account.confirmVerification)
    signedIn.get("disputes/:id", use: disputes.dispute)
    signedIn.post("disputes/:id/:action", use: disputes.act)

    let consumer = web.group(context: ConsumerContext.self)
    consumer.get("cart", use: store.cart)
    consumer.post("cart/items", use: store.addToCart)
    consumer.post("cart/items/:listingId/remove", use: store.removeFromCart)
    consumer.post("checkout", use: store.checkout)
    consumer.get("checkouts/:id", use: store.checkoutReturn)
    consumer.get("orders", use: store.orders)
    consumer.get("orders/:id", use: store.order)
    consumer.post("orders/:id/reviews", use: store.review)
    consumer.post("orders/:id/:action", use: store.orderAction)

    let merchants = web.group("merchant", context: MerchantContext.self)
    merchants.get("", use: merchant.console)
    merchants.get("orders/:id", use: requiring(.fulfilOrders, merchant.order))
    merchants.post("orders/:id/waybill", use: requiring(.fulfilOrders, merchant.waybill))
    merchants.post("orders/:id/:action", use: requiring(.fulfilOrders, merchant.orderAction))
    merchants.post("products", use: requiring(.manageListings, merchant.createListing))
    merchants.post("products/:id/withdraw", use: requiring(.manageListings, merchant.withdrawListing))
    merchants.post("payouts", use: requiring(.requestPayouts, merchant.payout))
    merchants.post("staff", use: requiring(.manageMerchantStaff, merchant.addStaff))
    merchants.post("staff/:id/role", use: requiring(.manageMerchantStaff, merchant.changeStaffRole))
    merchants.post("staff/:id/remove", use: requiring(.manageMerchantStaff, merchant.removeStaff))
    // No permission names appellants: the handler checks `Sanctions.requireAppellant` (the owner).
    merchants.post("sanctions/:id/appeal", use: merchant.appealSanction)

    let staff = web.group("ops", context: StaffContext.self)
    staff.get("", use: ops.dashboard)
    staff.get("risk", use: requiring(.reviewRisk, ops.riskQueue))
    staff.get("risk/backtests", use: requiring(.reviewRisk, backtests.page))
    staff.post("risk/backtests", use: requiring(.reviewRisk, backtests.start))
    staff.post("risk/:id/claim", use: requiring(.reviewRisk, ops.claimRisk))
    staff.post("risk/:id/decision", use: requiring(.reviewRisk, ops.decideRisk))
    staff.get("disputes", use: requiring(.arbitrate, ops.disputes))
    staff.get("listings", use: requiring(.reviewListings, ops.listings))
    staff.post("listings/:id/decision", use: requiring(.reviewListings, ops.decideListing))
    staff.get("incidents", use: requiring(.handleIncidents, ops.incidents))
    staff.get("rights", use: requiring(.handlePrivacyRequests, ops.rights))
    staff.get("audit", use: requiring(.readAudit, ops.audit))
    staff.get("keys", use: requiring(.maintainKeys, keys.keys))
    staff.post("keys/jobs/:kind", use: requiring(.maintainKeys, keys.start))
    staff.get("violations", use: requiring(.enforceRules, ops.violations))
    staff.post("violations", use: requiring(.enforceRules, ops.recordFinding))
    staff.post("violations/:id/decision", use: requiring(.enforceRules, ops.decideViolation))
    staff.get("sanctions", use: requiring(.enforceRules, ops.sanctions))
    staff.post("sanctions", use: requiring(.enforceRules, ops.impose))
    staff.post("sanctions/:id/lift", use: requiring(.enforceRules, ops.liftSanction))
    staff.post("sanctions/appeals/:id/decision", use: requiring(.enforceRules, ops.decideAppeal))
    staff.get("providers", use: requiring(.manageProviders, ops.providers))
    staff.post("providers", use: requiring(.manageProviders, ops.registerProvider))
    staff.post("providers/:id/assessments", use: requiring(.manageProviders, ops.assessProvider))
    staff.post("providers/:id/status", use: requiring(.manageProviders, ops.setProviderStatus))
}

/// The pages' style sheet and icons, from the App bundle; cached, since their names change with their content
/// only between releases.
enum StaticFiles {
    static let files: [String: (type: String, data: Data)] = {
        var files: [String: (String, Data)] = [:]
        guard let folder = try? WebRenderer.resources.appendingPathComponent("static"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [:] }
        let types = [
            "css": "text/css; charset=utf-8", "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon",
        ]
        for name in names {
            guard let type = types[(name as NSString).pathExtension],
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            else { continue }
            files[name] = (type, data)
        }
        return files
    }()

    @Sendable static func serve(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let file = files[try context.parameters.require("file")] else { throw Problem.notFound("The file") }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.data)))
    }
}
