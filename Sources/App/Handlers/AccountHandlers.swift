import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import Storage

/// `POST /api/v1/accounts`, `/api/v1/me…`: registration, profile, password, notices.
struct AccountHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct RegisterBody: StrictDecodable {
        static let fields: Set<String> = ["kind", "login", "password", "displayName"]
        let kind: String
        let login: String
        let password: String
        let displayName: String
    }

    struct Created: Encodable { let id: String }

    @Sendable func register(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RegisterBody.self, from: request, maxBytes: maxBodyBytes)
        guard let kind = AccountKind(rawValue: body.kind), kind == .consumer || kind == .merchant else {
            throw Problem.invalid("kind", "The kind must be 'consumer' or 'merchant'.")
        }
        let id = try await Registration.register(
            RegistrationInput(kind: kind, login: body.login, password: body.password, displayName: body.displayName),
            platform: platform)
        return try JSONResponse.make(Created(id: id), status: .created)
    }

    @Sendable func me(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(try await Profile.me(caller: context.caller, platform: platform))
    }

    @Sendable func notices(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["notices": try await Profile.notices(caller: context.caller, platform: platform)])
    }

    struct PasswordBody: StrictDecodable {
        static let fields: Set<String> = ["currentPassword", "newPassword"]
        let currentPassword: String
        let newPassword: String
    }

    struct CorrectionBody: StrictDecodable {
        static let fields: Set<String> = ["displayName", "login", "currentPassword"]
        let displayName: String?
        let login: String?
        let currentPassword: String?
    }

    /// The right to correct (2.3.5): the holder's own display name and login.
    @Sendable func correct(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(CorrectionBody.self, from: request, maxBytes: maxBodyBytes)
        let profile = try await Corrections.correct(
            CorrectionInput(displayName: body.displayName, login: body.login, currentPassword: body.currentPassword),
            caller: context.caller, ip: context.peerAddress, platform: platform)
        return try JSONResponse.make(profile)
    }

    @Sendable func changePassword(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(PasswordBody.self, from: request, maxBytes: maxBodyBytes)
        try await Passwords.change(
            caller: context.caller, current: body.currentPassword, new: body.newPassword, ip: context.peerAddress,
            platform: platform)
        return Response(status: .noContent)
    }
}
