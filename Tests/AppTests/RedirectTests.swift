import App
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Clause 2.2: with TLS on, plain HTTP only ever answers with a redirect to the same path over HTTPS.
@Suite("HTTP to HTTPS")
struct RedirectTests {
    @Test("2.2: every plain-HTTP request gets a 308 to HTTPS, keeping path and query; odd Host headers are not echoed")
    func redirects() async throws {
        let app = Application(router: buildRedirectRouter(httpsPort: 8443, fallbackHost: "shop.example"))
        try await app.test(.router) { client in
            // The test client names its own authority (localhost); a real one sends the Host it meant.
            try await client.execute(uri: "/api/v1/products?q=tea", method: .get) { response in
                #expect(response.status == .permanentRedirect)
                #expect(response.headers[.location] == "https://localhost:8443/api/v1/products?q=tea")
            }
            try await client.execute(uri: "/api/v1/sessions", method: .post) { response in
                #expect(response.status == .permanentRedirect, "a POST is redirected, not served")
            }
        }
        #expect(
            httpsLocation(
                authority: "market.example:80", path: "/a", query: nil, httpsPort: 443, fallbackHost: "shop.example")
                == "https://market.example/a")
        #expect(
            httpsLocation(
                authority: "evil.example/<script>", path: "/", query: "x=1", httpsPort: 8443,
                fallbackHost: "shop.example") == "https://shop.example:8443/?x=1")
    }
}
