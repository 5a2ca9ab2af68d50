import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Privacy

/// Signing in and out, the language switch, and the privacy and security centre every account has
/// (2.3.1 consent, 2.3.5 rights, 2.2 sessions and two-factor, 2.3.3 access receipts).
struct AccountPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func signInForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let query = request.uri.queryParameters
        return view.page(
            "signin",
            [
                "next": Self.localPath(query.get("next")),
                "why": query.get("why").flatMap { view.strings["problem_\($0)"] } ?? false,
            ])
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let view = WebView(request, caller: nil)
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let next = Self.localPath(form["next"])
        do {
            let otp = form["otp"].map { $0.trimmingCharacters(in: .whitespaces) }
            let session = try await SignIn.signIn(
                SignInInput(
                    login: try form.require("login"), password: try form.require("password"),
                    otp: otp?.isEmpty == false ? otp : nil, ip: context.peerAddress,
                    userAgent: String((request.headers[.userAgent] ?? "").prefix(256))),
                platform: platform)
            let seconds = max(60, Int(Double(session.expiresAt) / 1000 - Date().timeIntervalSince1970))
            return WebView.redirect(
                next, cookies: [WebCookie.header(WebCookie.session, session.token, maxAge: seconds, sameSite: "Lax")])
        } catch let problem as Problem where problem.statusCode == 401 || problem.type == "otp-required" {
            // The same words for every failure, as the API gives (no hint which part was wrong).
            return view.page(
                "signin",
                [
                    "next": next, "login": form["login"] ?? "",
                    "error": view.strings["problem_\(problem.type)"] ?? problem.detail,
                    "otpNeeded": problem.type == "otp-required" || problem.type == "step-up-code-sent",
                ], status: HTTPResponse.Status(code: problem.statusCode))
        }
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let caller = context.caller { try await Sessions.signOut(caller: caller, platform: platform) }
        return WebView.redirect("/?done=signed_out", cookies: [WebCookie.expired(WebCookie.session)])
    }

    /// `GET /language?to=en&back=/cart`: remembers the choice and goes back to a path of this site.
    @Sendable func language(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let language = query.get("to").flatMap(Language.init) ?? .zh
        return WebView.redirect(
            Self.localPath(query.get("back")),
            cookies: [WebCookie.header(WebCookie.language, language.rawValue, maxAge: 86_400 * 365)])
    }

    /// Only a path of this site (`/…`, never `//host` or a scheme), else the home page.
    static func localPath(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.contains("\\"),
            candidate.count <= 512, !candidate.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return "/" }
        return candidate
    }

    // MARK: The privacy and security centre

    @Sendable func centre(_ request: Request, context: SignedInContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let profile = try await Profile.me(caller: caller, platform: platform)
        let consents = try await Consents.list(caller: caller, platform: platform)
        let sessions = try await Sessions.list(caller: caller, platform: platform)
        let receipts = try await AuditQueries.receipts(caller: caller, platform: platform)
        let disclosures = try await ProviderAccess.disclosures(caller: caller, platform: platform)
        let requests = try await Rights.requests(caller: caller, platform: platform)
        let verification = try await RealName.status(caller: caller, platform: platform)
        let notice = PrivacyNotice.current
        let given = Set(consents.filter(\.current).map(\.purpose))
        return view.page(
            "account",
            [
                "profile": [
                    "login": profile.login, "displayName": profile.displayName,
                    "kind": view.text("kind_\(profile.kind)"), "twoFactor": profile.twoFactorEnabled,
                    "twoFactorRequired": profile.twoFactorRequired, "since": WebFormat.time(profile.createdAt),
                    "mayDisableTwoFactor": profile.twoFactorEnabled && caller.kind == .consumer,
                ],
                "verification": [
                    "status": view.text("verification_\(verification.status)"), "statusKey": verification.status,
                    "reason": verification.reason ?? false,
                    // Consumers verify here; merchants verify as a business in the merchant API.
                    "canStart": caller.kind == .consumer && verification.status != "verified",
                    "awaitingCode": caller.kind == .consumer && verification.status == "pending",
                ],
                "noticeVersion": notice.version,
                "purposes": notice.purposes.map { purpose -> [String: Any] in
                    [
                        "purpose": purpose.purpose, "label": view.text("purpose_\(purpose.purpose)"),
                        "statement": purpose.statement, "given": given.contains(purpose.purpose),
                        "withdrawable": purpose.withdrawable, "separate": purpose.separateConsent,
                    ]
                },
                "sessions": sessions.map { session -> [String: Any] in
                    [
                        "id": session.id, "device": session.device, "since": WebFormat.time(session.createdAt),
                        "lastSeen": WebFormat.time(session.lastSeenAt), "current": session.current,
                    ]
                },
                "receipts": receipts.prefix(50).map { event -> [String: Any] in
                    [
                        "sequence": event.leafIndex.map(String.init) ?? "", "type": event.eventType,
                        "actor": String(event.actor.prefix(12)), "when": WebFormat.time(event.occurredAt),
                        "purpose": event.details?["purpose"] ?? "", "fields": event.details?["fields"] ?? "",
                        "proven": event.proof != nil,
                        "proofLink": event.leafIndex.map { "/api/v1/audit/events/\($0)/proof" } ?? false,
                    ]
                },
                "noReceipts": receipts.isEmpty,
                "disclosures": disclosures.map { disclosure -> [String: Any] in
                    [
                        "provider": disclosure.providerName, "kind": disclosure.providerKind,
                        "fields": disclosure.fields.joined(separator: ", "), "purpose": disclosure.purpose,
                        "when": WebFormat.time(disclosure.disclosedAt),
                    ]
                },
                "noDisclosures": disclosures.isEmpty,
                "requests": requests.map { request -> [String: Any] in
                    [
                        "kind": view.text("request_\(request.kind)"), "status": request.status,
                        "due": WebFormat.time(request.dueAt), "overdue": request.overdue,
                    ]
                },
            ])
    }

    /// Corrects the display name, or the login with the current password (2.3.5).
    @Sendable func correct(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        func given(_ name: String) -> String? {
            form[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        _ = try await Corrections.correct(
            CorrectionInput(
                displayName: given("displayName"), login: given("login"), currentPassword: form["currentPassword"]),
            caller: context.caller, ip: context.peerAddress, platform: platform)
        return WebView.redirect("/account?done=corrected#profile")
    }

    // MARK: Two-factor set-up (2.2, 3.2)

    /// Step 1: a new secret, shown on this page only (the page is `no-store` like every page), with the code form.
    @Sendable func beginTwoFactor(_ request: Request, context: SignedInContext) async throws -> Response {
        let enrolment = try await TwoFactor.begin(caller: context.caller, platform: platform)
        let secret = Array(enrolment.secret)
        let grouped = stride(from: 0, to: secret.count, by: 4).map { String(secret[$0..<min($0 + 4, secret.count)]) }
        return WebView(request, caller: context.caller).page(
            "two-factor",
            ["enrolling": true, "secret": grouped.joined(separator: " "), "otpauth": enrolment.otpauthURL])
    }

    /// Step 2: a current code turns it on; the recovery codes are shown once.
    @Sendable func confirmTwoFactor(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let codes = try await TwoFactor.confirm(
            code: try form.require("code").trimmingCharacters(in: .whitespaces), caller: context.caller,
            platform: platform)
        return WebView(request, caller: context.caller).page("two-factor", ["showCodes": true, "recoveryCodes": codes])
    }

    @Sendable func disableTwoFactor(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        try await TwoFactor.disable(
            code: try form.require("code").trimmingCharacters(in: .whitespaces), caller: context.caller,
            ip: context.peerAddress, platform: platform)
        return WebView.redirect("/account?done=two_factor_off#profile")
    }

    // MARK: Real-name verification (2.3.4)

    /// Name and resident ID number; a code then goes to the account's mobile number.
    @Sendable func startVerification(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await RealName.startConsumer(
            name: try form.require("name"), residentId: try form.require("residentId"), caller: context.caller,
            platform: platform)
        return WebView.redirect("/account?done=verification_code_sent#verification")
    }

    @Sendable func confirmVerification(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let result = try await RealName.confirmCode(
            try form.require("code").trimmingCharacters(in: .whitespaces), caller: context.caller, platform: platform)
        return WebView.redirect("/account?done=verification_\(result.status)#verification")
    }

    @Sendable func notice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let notice = PrivacyNotice.current
        return view.page(
            "privacy-notice",
            [
                "version": notice.version, "text": notice.text,
                "purposes": notice.purposes.map {
                    ["label": view.text("purpose_\($0.purpose)"), "statement": $0.statement]
                },
            ])
    }

    @Sendable func giveConsent(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard let purpose = ConsentPurpose(rawValue: try form.require("purpose")) else {
            throw Problem.invalid("purpose", "Unknown purpose.")
        }
        _ = try await Consents.grant(
            purpose: purpose, noticeVersion: try form.require("noticeVersion"), caller: context.caller,
            platform: platform)
        return WebView.redirect("/account?done=consent_given#consents")
    }

    @Sendable func withdrawConsent(_ request: Request, context: SignedInContext) async throws -> Response {
        guard let purpose = ConsentPurpose(rawValue: try context.parameters.require("purpose")) else {
            throw Problem.notFound("The purpose")
        }
        try await Consents.withdraw(purpose: purpose, caller: context.caller, platform: platform)
        return WebView.redirect("/account?done=consent_withdrawn#consents")
    }

    @Sendable func revokeSession(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await Sessions.revoke(id: id, caller: context.caller, platform: platform)
        if id == context.caller.sessionId {
            return WebView.redirect("/?done=signed_out", cookies: [WebCookie.expired(WebCookie.session)])
        }
        return WebView.redirect("/account?done=session_revoked#sessions")
    }

    /// All of my data as JSON, as a download (2.3.5); the export itself is audited by the use case.
    @Sendable func export(_ request: Request, context: SignedInContext) async throws -> Response {
        var response = try JSONResponse.make(try await Rights.export(caller: context.caller, platform: platform))
        response.headers[.contentDisposition] = "attachment; filename=\"covenant-my-data.json\""
        return response
    }

    @Sendable func erase(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard form["confirm"] == "yes" else {
            throw Problem.invalid("confirm", "Tick the box to confirm that your account should be deleted.")
        }
        switch try await Rights.erase(
            password: try form.require("password"), caller: context.caller, ip: context.peerAddress, platform: platform)
        {
        case .erased:
            return WebView.redirect("/?done=account_deleted", cookies: [WebCookie.expired(WebCookie.session)])
        case .queued:
            return WebView.redirect("/account?done=erasure_queued")
        }
    }
}
