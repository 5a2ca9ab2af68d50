import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace

/// In front of every page: gives each browser its CSRF cookie, refuses a form without the matching token
/// (or from another origin), sends people who are not signed in to the sign-in page, and turns problems into
/// HTML pages in the reader's language instead of JSON.
struct WebMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var request = request
        var newCookie: String?
        if WebCookie.value(WebCookie.csrf, in: request).map(CSRF.isWellFormed) != true {
            // The page rendered now must carry the token the browser will send back: add it to this request too.
            let token = CSRF.newToken()
            newCookie = token
            var head = request.head
            head.headerFields[.cookie] = (["\(WebCookie.csrf)=\(token)"] + request.headers[values: .cookie])
                .joined(separator: "; ")
            request = Request(head: head, body: request.body)
        }
        let view = WebView(request, caller: context.caller)
        var response: Response
        do {
            if request.method != .get, request.method != .head {
                try await Self.checkForgery(&request, maxBodyBytes: maxBodyBytes)
            }
            response = try await next(request, context)
        } catch let problem as Problem {
            response = Self.render(problem, request: request, view: view)
        } catch let error as any HTTPResponseError {
            response = Self.render(ProblemMiddleware.problem(for: error.status), request: request, view: view)
        } catch {
            context.logger.error(
                "unhandled error on a page", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            response = view.error(.internalError)
        }
        if let newCookie {
            response.headers.append(
                HTTPField(name: .setCookie, value: WebCookie.header(WebCookie.csrf, newCookie, maxAge: 86_400 * 30)))
        }
        return response
    }

    static func render(_ problem: Problem, request: Request, view: WebView) -> Response {
        if problem.statusCode == 401, request.method == .get {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return WebView.redirect("/signin?next=\(WebView.queryEscaped(back))")
        }
        var response = view.error(problem)
        if let retry = problem.retryAfter { response.headers[.retryAfter] = String(retry) }
        return response
    }

    /// The form's `_csrf` must equal the browser's CSRF cookie, and an `Origin`, when sent, must be this host.
    static func checkForgery(_ request: inout Request, maxBodyBytes: Int) async throws {
        if let origin = request.headers[HTTPField.Name("Origin")!], origin != "null" {
            let host = request.head.authority ?? ""
            guard !host.isEmpty, origin == "http://" + host || origin == "https://" + host else { throw forgery }
        }
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard CSRF.matches(form[CSRF.field], cookie: WebCookie.value(WebCookie.csrf, in: request)) else {
            throw forgery
        }
        _ = try await request.collectBody(upTo: maxBodyBytes)
    }

    static let forgery = Problem(
        type: "csrf-refused", status: 403, title: "Form refused",
        detail: "This form was not sent from a page of this site, or it is too old. Reload the page and try again.")
}
