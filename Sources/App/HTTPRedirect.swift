import Foundation
import HTTPTypes
public import Hummingbird

/// Plain HTTP only redirects to HTTPS (clause 2.2): every request, whatever its path or method, gets a 308 to the
/// same path on the TLS port, so nothing is ever served unencrypted.
struct RedirectToHTTPS<Context: RequestContext>: RouterMiddleware {
    let httpsPort: Int
    let fallbackHost: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var headers = HTTPFields()
        headers[.location] = httpsLocation(
            authority: request.head.authority, path: request.uri.path, query: request.uri.query, httpsPort: httpsPort,
            fallbackHost: fallbackHost)
        return Response(status: .permanentRedirect, headers: headers)
    }
}

/// The router of the plain-HTTP listener that `covenant serve --http-redirect-port` runs beside the TLS one.
public func buildRedirectRouter(httpsPort: Int, fallbackHost: String) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.addMiddleware { RedirectToHTTPS<BasicRequestContext>(httpsPort: httpsPort, fallbackHost: fallbackHost) }
    return router
}

/// Where a plain-HTTP request is sent: the same host (when it is a plain host name; anything odd falls back to the
/// configured one, so the header is never echoed), the TLS port, the same path and query.
public func httpsLocation(authority: String?, path: String, query: String?, httpsPort: Int, fallbackHost: String)
    -> String
{
    let requested = authority.map { String($0.split(separator: ":").first ?? "") } ?? ""
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-"))
    let host =
        !requested.isEmpty && requested.count <= 253 && requested.unicodeScalars.allSatisfy(allowed.contains)
        ? requested : fallbackHost
    let port = httpsPort == 443 ? "" : ":\(httpsPort)"
    return "https://\(host)\(port)\(path)\(query.map { "?" + $0 } ?? "")"
}
