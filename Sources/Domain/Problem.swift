// Errors as RFC 9457 problem details: a stable type, a human title and detail, nothing internal.

/// A client-facing error. Handlers and use cases throw these; the app renders `application/problem+json`.
public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Short stable identifier, rendered as `https://covenant.example/problems/<type>`.
    public let type: String
    public let statusCode: Int
    public let title: String
    public let detail: String
    /// Seconds the client should wait (429, 503).
    public var retryAfter: Int?
    /// Which field was wrong, when a single field was.
    public var field: String?

    public init(
        type: String, status: Int, title: String, detail: String, retryAfter: Int? = nil, field: String? = nil
    ) {
        self.type = type
        self.statusCode = status
        self.title = title
        self.detail = detail
        self.retryAfter = retryAfter
        self.field = field
    }

    public var description: String { "\(statusCode) \(type): \(detail)" }
}

extension Problem {
    public static func malformed(_ detail: String) -> Problem {
        Problem(type: "malformed-request", status: 400, title: "Malformed request", detail: detail)
    }
    public static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem(type: "invalid-field", status: 422, title: "Invalid field", detail: detail, field: field)
    }
    public static func unknownField(_ field: String) -> Problem {
        Problem(
            type: "unknown-field", status: 422, title: "Unknown field",
            detail: "The field '\(field)' is not accepted here.", field: field)
    }
    public static let unauthenticated = Problem(
        type: "unauthenticated", status: 401, title: "Sign-in required",
        detail: "This request needs a valid session. Sign in and send the session token.")
    public static let badCredentials = Problem(
        type: "invalid-credentials", status: 401, title: "Sign-in failed",
        detail: "The login or password is not correct.")
    public static let otpRequired = Problem(
        type: "otp-required", status: 401, title: "One-time code required",
        detail: "This account uses two-factor authentication: send the code from your authenticator app as 'otp'.")
    public static func forbidden(_ detail: String) -> Problem {
        Problem(type: "forbidden", status: 403, title: "Not allowed", detail: detail)
    }
    public static let twoFactorRequired = Problem(
        type: "two-factor-required", status: 403, title: "Two-factor authentication required",
        detail: "Merchant and platform staff accounts must enrol and use two-factor authentication "
            + "(POST /api/v1/me/two-factor) before any privileged action.")
    public static let passwordChangeRequired = Problem(
        type: "password-change-required", status: 403, title: "Password change required",
        detail: "This account has a one-time password. Set a new password (PUT /api/v1/me/password) first.")
    public static let rulesAcceptanceRequired = Problem(
        type: "rules-acceptance-required", status: 403, title: "New platform rules to accept",
        detail: "A new version of the user agreement, platform rules or security policy is in force. Read it "
            + "(GET /api/v1/rulebook) and accept it (POST /api/v1/me/rulebook-acceptance) to continue.")
    /// A sanction blocks this action (clause 2.5): the response names it and how to appeal.
    public static func sanctioned(id: String, level: String, what: String, until: String?, ruleRef: String) -> Problem {
        Problem(
            type: "sanctioned", status: 403, title: "Blocked by a sanction",
            detail: "Sanction \(id) (\(level)\(what), \(until.map { "until \($0)" } ?? "with no end date"), rule "
                + "\(ruleRef)) does not allow this. You may appeal it once: POST /api/v1/me/sanctions/\(id)/appeal.")
    }
    public static func notFound(_ what: String) -> Problem {
        Problem(type: "not-found", status: 404, title: "Not found", detail: "\(what) was not found.")
    }
    /// A state-machine step that does not apply now (orders, disputes): 409 naming the current state.
    public static func illegalTransition(_ detail: String) -> Problem {
        Problem(type: "illegal-transition", status: 409, title: "Not now", detail: detail)
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(type: "conflict", status: 409, title: "Conflict", detail: detail)
    }
    public static func locked(retryAfter: Int) -> Problem {
        Problem(
            type: "account-locked", status: 429, title: "Account temporarily locked",
            detail: "Too many failed sign-ins. Try again later.", retryAfter: retryAfter)
    }
    public static func throttled(retryAfter: Int) -> Problem {
        Problem(
            type: "too-many-requests", status: 429, title: "Too many requests",
            detail: "Too many attempts from this address. Try again later.", retryAfter: retryAfter)
    }
    public static let tooLarge = Problem(
        type: "payload-too-large", status: 413, title: "Request body too large",
        detail: "The request body is larger than this endpoint accepts.")
    public static let unsupportedMediaType = Problem(
        type: "unsupported-media-type", status: 415, title: "Unsupported media type",
        detail: "Send the request body as application/json.")
    public static let internalError = Problem(
        type: "internal-error", status: 500, title: "Internal error",
        detail: "Something went wrong on our side. It has been logged; please try again.")
    public static let unavailable = Problem(
        type: "unavailable", status: 503, title: "Service unavailable", detail: "The service is not ready.")
}
