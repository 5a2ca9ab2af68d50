import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace

/// The intrusion shield in front of every route (clause 2.2): refuses banned addresses, requests with attack
/// signatures and bursts above the rate limits, then watches responses for probing and credential stuffing.
/// Runs after authentication has resolved the client's address.
struct ShieldMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let platform: Platform
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        // Liveness and readiness probes always answer, so an orchestrator never restarts a healthy instance.
        if path.hasPrefix("/health/") { return try await next(request, context) }
        var request = request
        var body = ""
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        // Text bodies are inspected; images and other binary uploads are checked by their own handlers.
        let textual =
            contentType.hasPrefix("application/json") || contentType.hasPrefix("text/")
            || contentType.hasPrefix("application/x-www-form-urlencoded")
        if request.method != .get, request.method != .head, textual {
            let buffer = try await request.collectBody(upTo: maxBodyBytes)
            body = AttackSignatures.bodyText(
                Data(buffer.readableBytesView), json: contentType.hasPrefix("application/json"))
        }
        let signIn = request.method == .post && (path == "/api/v1/sessions" || path == "/api/v1/accounts")
        let routeClass: Shield.RouteClass =
            path == "/api/v1/payments/callback"
            ? .signed : signIn ? .auth : (request.method == .get || request.method == .head ? .read : .write)
        let input = AttackSignatures.Input(
            path: path, query: request.uri.query ?? "",
            headers: request.headers.map { ($0.name.rawName, $0.value) }, body: body)
        let ip = context.peerAddress
        switch try await platform.shield.admit(
            ip: ip, account: context.caller?.accountId, routeClass: routeClass, request: input, platform: platform)
        {
        case .allow: break
        case .throttle(let wait): throw Problem.throttled(retryAfter: wait)
        case .banned(let wait):
            throw Problem(
                type: "address-blocked", status: 403, title: "Address blocked",
                detail: "Requests from this address are blocked for a while after attacks were detected from it.",
                retryAfter: wait)
        case .blocked:
            throw Problem(
                type: "request-blocked", status: 403, title: "Request blocked",
                detail: "The request looks like an attack and was refused. If this is a mistake, contact support.")
        }
        let status: Int
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            try? await platform.shield.observe(ip: ip, path: path, status: status, signIn: signIn, platform: platform)
            return response
        } catch {
            let code = (error as? Problem)?.statusCode ?? (error as? HTTPError).map { Int($0.status.code) } ?? 500
            try? await platform.shield.observe(ip: ip, path: path, status: code, signIn: signIn, platform: platform)
            throw error
        }
    }
}
