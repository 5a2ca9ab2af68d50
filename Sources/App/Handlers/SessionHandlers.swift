import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace
import Storage

/// `POST /api/v1/sessions`, `DELETE /api/v1/sessions/current`, `/api/v1/me/sessions…`.
struct SessionHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct SignInBody: StrictDecodable {
        static let fields: Set<String> = ["login", "password", "otp"]
        let login: String
        let password: String
        let otp: String?
    }

    struct Issued: Encodable {
        let token: String
        let expiresAt: String
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(SignInBody.self, from: request, maxBytes: maxBodyBytes)
        let session = try await SignIn.signIn(
            SignInInput(
                login: body.login, password: body.password, otp: body.otp, ip: context.peerAddress,
                userAgent: String((request.headers[.userAgent] ?? "").prefix(256))),
            platform: platform)
        return try JSONResponse.make(
            Issued(token: session.token, expiresAt: Timestamps.iso8601(millis: session.expiresAt)), status: .created)
    }

    @Sendable func deleteCurrent(_ request: Request, context: SignedInContext) async throws -> Response {
        try await Sessions.signOut(caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["sessions": try await Sessions.list(caller: context.caller, platform: platform)])
    }

    @Sendable func revoke(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await Sessions.revoke(id: id, caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }
}
