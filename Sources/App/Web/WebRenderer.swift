import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Mustache
import NIOCore

/// The languages of the pages; every text is in `Resources/i18n/<language>.json`.
enum Language: String, CaseIterable, Sendable {
    case zh, en

    /// The `covenant_lang` cookie, else the browser's first preference, else Chinese.
    static func of(_ request: Request) -> Language {
        if let chosen = WebCookie.value(WebCookie.language, in: request).flatMap(Language.init) { return chosen }
        let accepted = (request.headers[.acceptLanguage] ?? "").lowercased()
        if accepted.hasPrefix("en") { return .en }
        return .zh
    }

    var other: Language { self == .zh ? .en : .zh }
}

/// Server-rendered pages: swift-mustache templates, HTML-escaped by default, and the strings of each language.
/// Loaded once from the App bundle's resources.
struct WebRenderer: Sendable {
    let library: MustacheLibrary
    let strings: [Language: [String: String]]

    static let shared: WebRenderer = {
        do { return try load() } catch { fatalError("the web templates in the App bundle do not load: \(error)") }
    }()

    static var resources: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
                throw Problem.internalError
            }
            return url
        }
    }

    static func load() throws -> WebRenderer {
        let base = try resources
        let folder = base.appendingPathComponent("templates")
        var library = MustacheLibrary()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        var strings: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let data = try Data(contentsOf: base.appendingPathComponent("i18n/\(language.rawValue).json"))
            strings[language] = try JSONDecoder().decode([String: String].self, from: data)
        }
        return WebRenderer(library: library, strings: strings)
    }

    func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }
}

/// What every page needs to know about its request: who is looking, in which language, and the CSRF token.
struct WebView {
    let caller: Caller?
    let language: Language
    let csrf: String
    let path: String
    let query: String

    init(_ request: Request, caller: Caller?) {
        self.caller = caller
        self.language = Language.of(request)
        self.csrf = WebCookie.value(WebCookie.csrf, in: request) ?? ""
        self.path = request.uri.path
        self.query = request.uri.query ?? ""
    }

    var strings: [String: String] { WebRenderer.shared.strings[language] ?? [:] }

    /// A text of the current language, or its key when a translation is missing (a test keeps them complete).
    func text(_ key: String) -> String { strings[key] ?? key }

    /// Renders `template` inside the layout with the navigation for the caller.
    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var root = values
        root["t"] = strings
        root["lang"] = language.rawValue
        root["csrf"] = csrf
        let back = path + (query.isEmpty ? "" : "?" + query)
        root["switchLanguage"] = "/language?to=\(language.other.rawValue)&back=\(Self.queryEscaped(back))"
        root["otherLang"] = language.other.rawValue
        root["otherLanguage"] = text("language_\(language.other.rawValue)")
        if let caller {
            root["signedIn"] = true
            root["isConsumer"] = caller.kind == .consumer
            root["isMerchant"] = caller.kind == .merchant
            root["isStaff"] = caller.kind == .staff
            root["roleName"] = text("role_\(caller.role.rawValue)")
            let permissions = caller.role.permissions
            root["staffCan"] = [
                "risk": permissions.contains(.reviewRisk), "arbitrate": permissions.contains(.arbitrate),
                "listings": permissions.contains(.reviewListings), "incidents": permissions.contains(.handleIncidents),
                "rights": permissions.contains(.handlePrivacyRequests), "audit": permissions.contains(.readAudit),
                "governance": permissions.contains(.enforceRules), "providers": permissions.contains(.manageProviders),
                "keys": permissions.contains(.maintainKeys),
            ]
        }
        if let done = URLComponents(string: "?" + query)?.queryItems?.first(where: { $0.name == "done" })?.value,
            let notice = strings["done_\(done)"]
        {
            root["notice"] = notice
        }
        let html = WebRenderer.shared.render(template, root)
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func error(_ problem: Problem) -> Response {
        let status = HTTPResponse.Status(code: problem.statusCode)
        return page(
            "error",
            [
                "status": problem.statusCode, "title": strings["problem_\(problem.type)"] ?? problem.title,
                "detail": problem.detail, "type": problem.type,
            ], status: status)
    }

    /// 303 to a path of ours (never to a URL a request named, so no open redirect).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location.hasPrefix("/") && !location.hasPrefix("//") ? location : "/"]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "/"
    }
}

/// Formatting shared by the pages.
enum WebFormat {
    static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let value = abs(fen)
        return "\(sign)¥\(value / 100).\(String(format: "%02d", Int(value % 100)))"
    }

    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
