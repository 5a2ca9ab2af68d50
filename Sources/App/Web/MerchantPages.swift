import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace

/// The merchant console: orders with the buyer masked and the privacy waybill (2.3.2), shipping, listings and
/// their screening (2.4.1), balance and payouts, disputes (2.4.4), staff sub-accounts (3.2), the store's sanctions
/// and appeals (2.5), and the security settings that protect it. Every route needs the role's permission.
struct MerchantPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func console(_ request: Request, context: MerchantContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let permissions = caller.role.permissions
        var values: [String: Any] = [:]
        if permissions.contains(.fulfilOrders) {
            let orders = try await Orders.forMerchant(caller: caller, platform: platform)
            values["orders"] = orders.map { order -> [String: Any] in
                var row = OrderPresentation.summary(order, view)
                row["recipient"] = order.recipient.map { "\($0.name) · \($0.phone) · \($0.address.region)" } ?? ""
                row["toShip"] = order.status == OrderStatus.awaitingShipment.rawValue
                return row
            }
            values["noOrders"] = orders.isEmpty
            values["disputes"] = try await Disputes.mine(caller: caller, platform: platform).map {
                DisputePresentation.summary($0, view)
            }
        }
        if permissions.contains(.manageListings) {
            let listings = try await Listings.mine(caller: caller, platform: platform)
            values["listings"] = listings.map { listing -> [String: Any] in
                [
                    "id": listing.id, "title": listing.title, "price": WebFormat.yuan(listing.priceFen),
                    "stock": listing.stock, "status": view.text("listing_\(listing.status)"),
                    "statusKey": listing.status, "reasons": listing.reasons.joined(separator: "; "),
                ]
            }
            values["manageListings"] = true
            values["categories"] = ["tea", "home", "electronics", "clothing", "food", "books", "other"].map {
                ["value": $0, "label": view.text("category_\($0)")]
            }
        }
        if permissions.contains(.viewFinance) {
            let balance = try await Settlement.balance(caller: caller, platform: platform)
            values["balance"] = [
                "available": WebFormat.yuan(balance.availableFen), "escrow": WebFormat.yuan(balance.inEscrowFen),
                "payouts": balance.payouts.map { ["amount": WebFormat.yuan($0.amountFen), "status": $0.status] },
            ]
            values["canPayout"] = permissions.contains(.requestPayouts) && balance.availableFen > 0
            values["payoutKey"] = UUID().uuidString.lowercased()
        }
        if permissions.contains(.viewMerchantStaff) {
            let staff = try await TeamAccounts.listMerchantStaff(caller: caller, platform: platform)
            values["viewStaff"] = true
            let manage = permissions.contains(.manageMerchantStaff)
            values["staff"] = staff.map { member -> [String: Any] in
                var row = Self.staffRow(member, view)
                // The owner is not a staff member: their account is not changed from here.
                if manage, let role = Role(rawValue: member.role), Role.merchantStaffRoles.contains(role) {
                    row["manage"] = [
                        "id": member.id,
                        "roles": Role.merchantStaffRoles.map {
                            ["value": $0.rawValue, "label": view.text("role_\($0.rawValue)"), "selected": $0 == role]
                        },
                    ]
                }
                return row
            }
            values["staffTwoFactor"] = "\(staff.filter(\.twoFactorEnabled).count) / \(staff.count)"
            values["manageStaff"] = manage
            values["staffRoles"] = Role.merchantStaffRoles.map {
                ["value": $0.rawValue, "label": view.text("role_\($0.rawValue)")]
            }
        }
        let sanctions = try await Sanctions.mine(caller: caller, platform: platform)
        let mayAppeal = (try? Sanctions.requireAppellant(caller)) != nil
        values["sanctions"] = sanctions.map { Self.sanctionRow($0, mayAppeal: mayAppeal, view) }
        values["noSanctions"] = sanctions.isEmpty
        values["mayAppeal"] = mayAppeal
        values["security"] = securityFacts(caller, view)
        return view.page("merchant", values)
    }

    // MARK: Staff sub-accounts (3.2)

    /// A staff member as the API's masked view gives it: login and name masked, never in full.
    static func staffRow(_ member: ProfileView, _ view: WebView) -> [String: Any] {
        [
            "login": member.login, "displayName": member.displayName, "role": view.text("role_\(member.role)"),
            "twoFactor": member.twoFactorEnabled,
            "state": view.text(member.mustChangePassword ? "staff_first_sign_in_pending" : "staff_active"),
        ]
    }

    /// Adds a staff member with one role. The one-time password is shown on this response only: not in a
    /// redirect URL, not logged, and the page is `no-store` like every page.
    @Sendable func addStaff(_ request: Request, context: MerchantContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard let role = Role(rawValue: try form.require("role")) else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        let created = try await TeamAccounts.addMerchantStaff(
            caller: context.caller, login: try form.require("login"), displayName: try form.require("displayName"),
            role: role, platform: platform)
        // The new member as the staff list shows them (masked), rather than echoing what was typed.
        let member = try await TeamAccounts.listMerchantStaff(caller: context.caller, platform: platform)
            .first { $0.id == created.id }
        var values = member.map { Self.staffRow($0, view) } ?? [:]
        values["oneTimePassword"] = created.oneTimePassword
        return view.page("merchant-staff-created", values, status: .created)
    }

    @Sendable func changeStaffRole(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard let role = Role(rawValue: try form.require("role")) else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        _ = try await TeamAccounts.changeMerchantStaffRole(
            try context.parameters.require("id"), to: role, caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=staff_role_changed#staff")
    }

    /// Removes a staff member: the account is disabled and its sessions end now.
    @Sendable func removeStaff(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard form["confirm"] == "yes" else {
            throw Problem.invalid("confirm", "Tick the box to confirm the removal.")
        }
        try await TeamAccounts.removeMerchantStaff(
            try context.parameters.require("id"), caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=staff_removed#staff")
    }

    // MARK: Sanctions and appeals (2.5)

    /// Empty texts are `false` so that their sections stay hidden (a string, even empty, opens a section).
    static func sanctionRow(_ sanction: SanctionView, mayAppeal: Bool, _ view: WebView) -> [String: Any] {
        let functions = sanction.functions.map { view.text("sanction_function_\($0)") }
        return [
            "id": sanction.id, "shortId": String(sanction.id.prefix(8)),
            "level": view.text("sanction_level_\(sanction.level)"),
            "functions": functions.isEmpty ? false : functions.joined(separator: ", "),
            "rule": sanction.ruleRef, "reason": sanction.reason ?? "", "starts": WebFormat.time(sanction.startsAt),
            "ends": sanction.endsAt.map { WebFormat.time($0) } ?? view.text("sanction_no_end"),
            "inForce": sanction.inForce,
            "status": view.text(sanction.inForce ? "sanction_in_force" : "sanction_ended"),
            "appeal": sanction.appeal.map { appeal -> [String: Any] in
                ["status": view.text("appeal_\(appeal.status)"), "note": appeal.note ?? false]
            } ?? false,
            // Each sanction is appealed once (the use case refuses a second).
            "canAppeal": mayAppeal && sanction.appeal == nil,
        ]
    }

    /// The owner appeals a sanction of the store; who may appeal is checked before the body is read, as the API does.
    @Sendable func appealSanction(_ request: Request, context: MerchantContext) async throws -> Response {
        try Sanctions.requireAppellant(context.caller)
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Sanctions.appeal(
            sanction: try context.parameters.require("id"), statement: try form.require("statement"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=sanction_appealed#sanctions")
    }

    // MARK: Security settings (read-only)

    /// What protects the store's accounts, as configured: nothing here can be changed from the console.
    func securityFacts(_ caller: Caller, _ view: WebView) -> [String: Any] {
        let settings = platform.settings
        let lockout = view.text("security_lockout_policy")
            .replacingOccurrences(of: "{n}", with: String(settings.lockoutThreshold))
            .replacingOccurrences(of: "{window}", with: Self.duration(settings.lockoutWindowSeconds, view))
            .replacingOccurrences(of: "{duration}", with: Self.duration(settings.lockoutDurationSeconds, view))
        return [
            "twoFactor": caller.twoFactorEnrolled,
            "idle": Self.duration(settings.sessionIdleSeconds, view),
            "lifetime": Self.duration(settings.privilegedSessionLifetimeSeconds, view),
            "lockout": lockout,
            "waybill": view.text("security_waybill_value")
                .replacingOccurrences(
                    of: "{duration}", with: Self.duration(settings.waybillDaysAfterCompletion * 86_400, view)),
        ]
    }

    /// "15 minutes", "8 hours", "1 day" in the reader's language, in the largest whole unit.
    static func duration(_ seconds: Int64, _ view: WebView) -> String {
        let units: [(String, Int64)] = [("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)]
        let (unit, size) = units.first { seconds > 0 && seconds % $0.1 == 0 } ?? ("second", 1)
        let count = seconds / size
        let key = "duration_\(unit)" + (count == 1 ? "" : "s")
        return view.text(key).replacingOccurrences(of: "{n}", with: String(count))
    }

    @Sendable func order(_ request: Request, context: MerchantContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        try context.caller.require(.fulfilOrders)
        let order = try await Orders.get(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        var values = OrderPresentation.detail(order, view)
        values["toShip"] = order.status == OrderStatus.awaitingShipment.rawValue
        values["shippedNotDelivered"] = order.status == OrderStatus.shipped.rawValue
        values["refundRequested"] = order.status == OrderStatus.refundRequested.rawValue
        return view.page("merchant-order", values)
    }

    /// The privacy waybill: the full address for the merchant's own paid order, audited as a reveal with its
    /// purpose, printed from this page; it stops working a set time after the order completes.
    @Sendable func waybill(_ request: Request, context: MerchantContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let waybill = try await Orders.waybill(
            orderId: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return view.page(
            "waybill",
            [
                "orderId": waybill.orderId, "shortId": String(waybill.orderId.prefix(8)), "name": waybill.recipientName,
                "phone": waybill.recipientPhone, "region": waybill.address.region, "detail": waybill.address.detail,
                "expires": waybill.expiresAt.map { WebFormat.time($0) } ?? false,
            ])
    }

    @Sendable func orderAction(_ request: Request, context: MerchantContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let action = try context.parameters.require("action")
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let caller = context.caller
        switch action {
        case "ship":
            _ = try await Orders.ship(
                id: id, carrier: try form.require("carrier"), trackingNumber: try form.require("trackingNumber"),
                caller: caller, platform: platform)
        case "delivered": _ = try await Orders.markDelivered(id: id, caller: caller, platform: platform)
        case "refund-decision":
            _ = try await Orders.decideRefund(
                id: id, approve: form["approve"] == "yes", caller: caller, platform: platform)
        default: throw Problem.notFound("The action")
        }
        return WebView.redirect("/merchant/orders/\(id)?done=\(action.replacingOccurrences(of: "-", with: "_"))")
    }

    @Sendable func createListing(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let listing = try await Listings.create(
            ListingInput(
                title: try form.require("title"), description: try form.require("description"), imageRefs: [],
                priceFen: try form.fen("price"), stock: try form.integer("stock"),
                category: try form.require("category")),
            caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=listing_\(listing.status)#listings")
    }

    @Sendable func withdrawListing(_ request: Request, context: MerchantContext) async throws -> Response {
        try await Listings.withdraw(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return WebView.redirect("/merchant?done=listing_withdrawn#listings")
    }

    @Sendable func payout(_ request: Request, context: MerchantContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let amount = try form.fen("amount")
        _ = try await Idempotency.run(
            key: form["idempotencyKey"], accountId: context.caller.accountId, request: "POST /merchant/payouts",
            body: Data(String(amount).utf8), platform: platform
        ) { attempt in
            let payout = try await Settlement.requestPayout(
                amountFen: amount, caller: context.caller, attempt: attempt, platform: platform)
            return (201, try JSONResponse.encode(payout))
        }
        return WebView.redirect("/merchant?done=payout_requested#balance")
    }
}
