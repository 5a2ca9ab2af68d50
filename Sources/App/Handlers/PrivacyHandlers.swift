import Domain
import Foundation
import Hummingbird
import Marketplace
import Privacy

/// Rights of the person and purpose-bound reveals (2.3.2, 2.3.3, 2.3.5).
struct PrivacyHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct RevealBody: StrictDecodable {
        static let fields: Set<String> = ["fields"]
        let fields: [String]
    }

    struct StaffRevealBody: StrictDecodable {
        static let fields: Set<String> = ["fields", "purpose", "justification"]
        let fields: [String]
        let purpose: String
        let justification: String
    }

    struct ConsentBody: StrictDecodable {
        static let fields: Set<String> = ["purpose", "noticeVersion"]
        let purpose: String
        let noticeVersion: String
    }

    struct EraseBody: StrictDecodable {
        static let fields: Set<String> = ["password"]
        let password: String
    }

    struct TrainingBody: StrictDecodable {
        static let fields: Set<String> = ["staffId", "completedAt", "validDays"]
        let staffId: String
        let completedAt: Int64?
        let validDays: Int
    }

    static func revealable(_ names: [String]) throws -> [RevealableField] {
        guard names.count <= RevealableField.allCases.count else {
            throw Problem.invalid("fields", "Too many fields.")
        }
        return try names.map { name in
            guard let field = RevealableField(rawValue: name) else {
                throw Problem.invalid(
                    "fields",
                    "Revealable fields are: " + RevealableField.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return field
        }
    }

    @Sendable func revealOwn(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(RevealBody.self, from: request, maxBytes: maxBodyBytes)
        let values = try await Reveal.own(
            fields: try Self.revealable(body.fields), caller: context.caller, platform: platform)
        return try JSONResponse.make(["values": values])
    }

    @Sendable func export(_ request: Request, context: SignedInContext) async throws -> Response {
        var response = try JSONResponse.make(try await Rights.export(caller: context.caller, platform: platform))
        response.headers[.contentDisposition] = "attachment; filename=\"covenant-my-data.json\""
        return response
    }

    @Sendable func erase(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(EraseBody.self, from: request, maxBytes: maxBodyBytes)
        switch try await Rights.erase(
            password: body.password, caller: context.caller, ip: context.peerAddress, platform: platform)
        {
        case .erased: return Response(status: .noContent)
        case .queued(let request): return try JSONResponse.make(request, status: .accepted)
        }
    }

    @Sendable func myRequests(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["requests": try await Rights.requests(caller: context.caller, platform: platform)])
    }

    @Sendable func notice(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(PrivacyNotice.current)
    }

    @Sendable func myConsents(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["consents": try await Consents.list(caller: context.caller, platform: platform)])
    }

    @Sendable func giveConsent(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(ConsentBody.self, from: request, maxBytes: maxBodyBytes)
        let consent = try await Consents.grant(
            purpose: try Self.purpose(body.purpose), noticeVersion: body.noticeVersion, caller: context.caller,
            platform: platform)
        return try JSONResponse.make(consent, status: .created)
    }

    @Sendable func withdrawConsent(_ request: Request, context: SignedInContext) async throws -> Response {
        try await Consents.withdraw(
            purpose: try Self.purpose(try context.parameters.require("purpose")), caller: context.caller,
            platform: platform)
        return Response(status: .noContent)
    }

    static func purpose(_ name: String) throws -> ConsentPurpose {
        guard let purpose = ConsentPurpose(rawValue: name) else {
            throw Problem.invalid(
                "purpose", "The purpose is one of: " + ConsentPurpose.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return purpose
    }

    @Sendable func staffReveal(_ request: Request, context: StaffContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(StaffRevealBody.self, from: request, maxBytes: maxBodyBytes)
        guard let purpose = RevealPurpose(rawValue: body.purpose) else {
            throw Problem.invalid(
                "purpose", "The purpose is one of: " + RevealPurpose.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let values = try await Reveal.byStaff(
            accountId: id, fields: try Self.revealable(body.fields), purpose: purpose,
            justification: body.justification, caller: context.caller, platform: platform)
        return try JSONResponse.make(["values": values])
    }

    @Sendable func recordTraining(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(TrainingBody.self, from: request, maxBytes: maxBodyBytes)
        try await StaffTraining.record(
            staffId: body.staffId, completedAt: body.completedAt, validDays: body.validDays, caller: context.caller,
            platform: platform)
        return Response(status: .created)
    }

    @Sendable func queue(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["requests": try await Rights.queue(caller: context.caller, platform: platform)])
    }
}
