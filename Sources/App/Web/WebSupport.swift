import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Cookies of the web pages. The session cookie carries the same token as `Authorization: Bearer`, but only
/// pages read it (never `/api/`), so the JSON API stays immune to cross-site requests.
enum WebCookie {
    static let session = "covenant_session"
    static let csrf = "covenant_csrf"
    static let language = "covenant_lang"

    /// The request's cookies by name (the first of a repeated name wins).
    static func all(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty, cookies[parts[0]] == nil else { continue }
                cookies[parts[0]] = parts[1]
            }
        }
        return cookies
    }

    static func value(_ name: String, in request: Request) -> String? { all(request)[name] }

    /// `HttpOnly; Secure; SameSite` always: browsers keep Secure cookies for `localhost` and loopback addresses,
    /// so the demo on http://127.0.0.1 works while production never sends them in clear.
    /// The session is `Lax` so that coming back from the payment institution's page keeps it; every change of
    /// state is a POST with a CSRF token. The CSRF and language cookies are `Strict`.
    static func header(_ name: String, _ value: String, maxAge: Int?, sameSite: String = "Strict") -> String {
        var cookie = "\(name)=\(value); Path=/; HttpOnly; Secure; SameSite=\(sameSite)"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        return cookie
    }

    static func expired(_ name: String) -> String { header(name, "", maxAge: 0, sameSite: "Lax") }
}

/// A submitted HTML form (`application/x-www-form-urlencoded`), read with the same care as JSON bodies:
/// bounded, no control characters, and no card number in any field (2.4.2).
struct WebForm: Sendable {
    let fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }

    func require(_ name: String) throws -> String {
        guard let value = fields[name] else { throw Problem.invalid(name, "The field '\(name)' is required.") }
        return value
    }

    func integer(_ name: String) throws -> Int64 {
        guard let value = Int64(try require(name).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.invalid(name, "The field '\(name)' must be a whole number.")
        }
        return value
    }

    /// A price or amount typed as yuan (`168`, `168.5`, `168.50`) in fen.
    func fen(_ name: String) throws -> Int64 {
        let text = try require(name).trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let yuan = Int64(parts[0]), yuan >= 0, yuan < 100_000_000,
            parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isNumber)
        else { throw Problem.invalid(name, "Enter an amount in yuan, such as 168 or 168.50.") }
        let cents = parts.count == 2 ? Int64(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0 : 0
        return yuan * 100 + cents
    }

    static let maxFieldLength = 10_000

    static func read(_ request: Request, maxBytes: Int) async throws -> WebForm {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { throw Problem.unsupportedMediaType }
        var request = request
        let buffer = try await request.collectBody(upTo: maxBytes)
        return try parse(String(buffer: buffer))
    }

    static func parse(_ body: String) throws -> WebForm {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), !name.isEmpty else {
                throw Problem.malformed("The form could not be read.")
            }
            guard let value = parts.count == 2 ? decode(parts[1]) : "" else {
                throw Problem.malformed("The form could not be read.")
            }
            try inspect(value, field: name)
            if fields[name] == nil { fields[name] = value }
        }
        return WebForm(fields: fields)
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Multi-line fields keep their line breaks; every other control character is refused.
    private static func inspect(_ value: String, field: String) throws {
        if value.count > maxFieldLength { throw Problem.invalid(field, "The value is too long.") }
        if value.unicodeScalars.contains(where: {
            $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\r" && $0 != "\t"
        }) {
            throw Problem.invalid(field, "The value contains control characters.")
        }
        if CardNumberDetector.containsCardNumber(value) {
            throw Problem(
                type: "card-number-refused", status: 422, title: "Card numbers are not accepted",
                detail: "Covenant never takes card numbers. Pay on the payment provider's page instead.",
                field: field)
        }
    }
}

/// Cross-site request forgery defence for pages (DESIGN.md): every form carries the token held in the
/// `HttpOnly; SameSite=Strict` CSRF cookie, compared in constant time; a cross-origin `Origin` is refused too.
enum CSRF {
    static let field = "_csrf"

    static func newToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func isWellFormed(_ token: String) -> Bool {
        token.count == 43 && token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// A key of this process's own: the two tokens are compared as MACs, in constant time, by swift-crypto.
    private static let comparisonKeyBytes: Data = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }

    static func matches(_ submitted: String?, cookie: String?) -> Bool {
        guard let submitted, let cookie, isWellFormed(cookie) else { return false }
        let comparisonKey = SymmetricKey(data: comparisonKeyBytes)
        let expected = HMAC<SHA256>.authenticationCode(for: Data(cookie.utf8), using: comparisonKey)
        return HMAC<SHA256>.isValidAuthenticationCode(
            expected, authenticating: Data(submitted.utf8), using: comparisonKey)
    }
}
