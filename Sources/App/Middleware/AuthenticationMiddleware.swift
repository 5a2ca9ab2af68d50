import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace
import Storage

/// Resolves `Authorization: Bearer <token>` to a caller, or on pages (never `/api/`) the session cookie, whose
/// forms carry CSRF tokens; the JSON API takes bearer tokens only, so it needs no CSRF defence.
/// It never refuses: the typed contexts decide who may reach what.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let platform: Platform
    let trustForwardedFor: Bool
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        if trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !last.isEmpty, last.count <= 64 { context.peerAddress = last }
        }
        var request = request
        if let token = Self.token(from: request) {
            if token.hasPrefix("cvp_") {
                // Providers sign the body too, so it is read here (and stays readable for the handler).
                let body = try await request.collectBody(upTo: maxBodyBytes)
                context.provider = try await ProviderCredentials.authenticate(
                    token: token, method: request.method.rawValue, path: request.uri.path,
                    timestamp: request.headers[HTTPField.Name("X-Covenant-Timestamp")!],
                    signature: request.headers[HTTPField.Name("X-Covenant-Signature")!],
                    body: Data(body.readableBytesView), ip: context.peerAddress, platform: platform)
            } else {
                context.caller = try await Sessions.authenticate(token: token, platform: platform)
            }
        } else if !request.uri.path.hasPrefix("/api/"), let cookie = WebCookie.value(WebCookie.session, in: request),
            cookie.count <= 256
        {
            context.caller = try await Sessions.authenticate(token: cookie, platform: platform)
        }
        do {
            return try await next(request, context)
        } catch let problem as Problem
            where (problem.statusCode == 403 && !Self.shieldRefusals.contains(problem.type))
            || (problem.statusCode == 401 && context.caller != nil)
        {
            await recordDenial(problem, request: request, context: context)
            throw problem
        }
    }

    /// Every authorization denial is an audit event naming who was refused what (2.2, 2.3.3).
    private func recordDenial(_ problem: Problem, request: Request, context: Context) async {
        let event = AuditEvent(
            "authz.denied", actor: context.caller?.accountId,
            object: "\(request.method) \(context.endpointPath ?? "?")",
            outcome: .denied, details: ["problem": problem.type])
        do {
            try await AuditTrail.recordAlone(event, platform: platform)
        } catch {
            context.logger.error(
                "could not record an authorization denial", metadata: ["error.type": "\(type(of: error))"])
        }
    }

    /// The shield records its own refusals (once per detection), so a banned address cannot flood the audit log.
    static let shieldRefusals: Set<String> = ["request-blocked", "address-blocked"]

    static func token(from request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]) }
        }
        return nil
    }
}
