public import Domain
public import HTTPTypes
import Hummingbird
import Marketplace

/// Sanctions and the rulebook are enforced here, for every state-changing route, not by each handler (clause 2.5):
/// a route's use decides which rungs of the ladder block it.
struct GovernanceGate: RouterMiddleware {
    typealias Context = AppRequestContext
    let platform: Platform

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if request.method != .get, request.method != .head, let caller = context.caller,
            let path = context.endpointPath
        {
            try await Sanctions.check(RouteUses.use(request.method, path), caller: caller, platform: platform)
        }
        return try await next(request, context)
    }
}

/// What each state-changing route is for. Staff routes are exempt (sanctions bind consumers and merchants); a write
/// route missing here counts as new business, and a test checks that every one is listed.
public enum RouteUses {
    public static func use(_ method: HTTPRequest.Method, _ path: String) -> RouteUse {
        if path.hasPrefix("/api/v1/staff/") || path.hasPrefix("/ops/") { return .exempt }
        return table["\(method) \(path)"] ?? .business
    }

    public static let table: [String: RouteUse] = [
        // anonymous, or not about the caller's own business
        "POST /api/v1/accounts": .exempt,
        "POST /api/v1/sessions": .exempt,
        "POST /api/v1/payments/callback": .exempt,
        // providers are supervised by their credentials, not by sanctions on consumers and merchants
        "POST /api/v1/provider/shipments/{id}/delivered": .exempt,
        "POST /api/v1/provider/orders/{id}/reveal": .exempt,
        // withdrawing a listing never hurts anyone
        "DELETE /api/v1/merchant/products/{id}": .exempt,

        "DELETE /api/v1/sessions/current": .selfCare,
        "PUT /api/v1/me/password": .selfCare,
        "DELETE /api/v1/me/sessions/{id}": .selfCare,
        "POST /api/v1/me/two-factor": .selfCare,
        "POST /api/v1/me/two-factor/confirm": .selfCare,
        "DELETE /api/v1/me/two-factor": .selfCare,

        "POST /api/v1/me/reveal": .personalRights,
        "PATCH /api/v1/me": .personalRights,
        "DELETE /api/v1/me": .personalRights,
        "POST /api/v1/me/consents": .personalRights,
        "DELETE /api/v1/me/consents/{purpose}": .personalRights,

        "POST /api/v1/me/rulebook-acceptance": .governance,
        "POST /api/v1/me/sanctions/{id}/appeal": .governance,

        "POST /api/v1/orders/{id}/cancel": .existingOrders,
        "POST /api/v1/orders/{id}/confirm-receipt": .existingOrders,
        "POST /api/v1/orders/{id}/extend-receipt": .existingOrders,
        "POST /api/v1/orders/{id}/refund": .existingOrders,
        "POST /api/v1/orders/{id}/disputes": .existingOrders,
        "POST /api/v1/disputes/{id}/accept-offer": .existingOrders,
        "POST /api/v1/disputes/{id}/withdraw": .existingOrders,
        "POST /api/v1/disputes/{id}/escalate": .existingOrders,
        "POST /api/v1/disputes/{id}/appeal": .existingOrders,
        "POST /api/v1/disputes/{id}/messages": .existingOrders,
        "POST /api/v1/disputes/{id}/images": .existingOrders,
        "POST /api/v1/merchant/orders/{id}/waybill": .existingOrders,
        "POST /api/v1/merchant/orders/{id}/ship": .existingOrders,
        "POST /api/v1/merchant/orders/{id}/delivered": .existingOrders,
        "POST /api/v1/merchant/orders/{id}/refund-decision": .existingOrders,
        "POST /api/v1/merchant/disputes/{id}/response": .existingOrders,

        "POST /api/v1/cart/items": .function(.orders),
        "DELETE /api/v1/cart/items/{listingId}": .function(.orders),
        "POST /api/v1/checkouts": .function(.orders),
        "POST /api/v1/checkouts/{id}/payment": .function(.orders),
        "POST /api/v1/merchant/products": .function(.listings),
        "PUT /api/v1/merchant/products/{id}": .function(.listings),
        "POST /api/v1/orders/{id}/reviews": .function(.reviews),
        "POST /api/v1/merchant/reviews/{id}/reply": .function(.reviews),
        "POST /api/v1/merchant/payouts": .function(.payouts),

        // the web pages: the same uses as the API routes they stand for
        "POST /signin": .exempt,
        "POST /signout": .selfCare,
        "POST /account/sessions/{id}/revoke": .selfCare,
        "POST /account/consents": .personalRights,
        "POST /account/consents/{purpose}/withdraw": .personalRights,
        "POST /account/delete": .personalRights,
        "POST /account/correct": .personalRights,
        "POST /account/two-factor": .selfCare,
        "POST /account/two-factor/confirm": .selfCare,
        "POST /account/two-factor/disable": .selfCare,
        "POST /account/verification": .business,
        "POST /account/verification/code": .business,
        "POST /disputes/{id}/{action}": .existingOrders,
        "POST /orders/{id}/{action}": .existingOrders,
        "POST /orders/{id}/reviews": .function(.reviews),
        "POST /cart/items": .function(.orders),
        "POST /cart/items/{listingId}/remove": .function(.orders),
        "POST /checkout": .function(.orders),
        "POST /merchant/orders/{id}/waybill": .existingOrders,
        "POST /merchant/orders/{id}/{action}": .existingOrders,
        "POST /merchant/products": .function(.listings),
        "POST /merchant/products/{id}/withdraw": .exempt,
        "POST /merchant/payouts": .function(.payouts),
        "POST /merchant/staff": .business,
        "POST /merchant/staff/{id}/role": .business,
        // Removing someone who left the store is never held back by a sanction.
        "POST /merchant/staff/{id}/remove": .exempt,
        "POST /merchant/sanctions/{id}/appeal": .governance,

        "POST /api/v1/merchant/staff": .business,
        "PUT /api/v1/merchant/staff/{id}/role": .business,
        "DELETE /api/v1/merchant/staff/{id}": .exempt,
        "POST /api/v1/merchant/verification": .business,
        "POST /api/v1/me/verification": .business,
        "POST /api/v1/me/verification/code": .business,
        "POST /api/v1/merchant/complaints": .business,
        "POST /api/v1/reports": .business,
    ]
}
