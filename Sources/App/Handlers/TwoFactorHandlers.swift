import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import Storage

/// `/api/v1/me/two-factor…`: enrol, confirm, turn off.
struct TwoFactorHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct CodeBody: StrictDecodable {
        static let fields: Set<String> = ["otp"]
        let otp: String
    }

    struct RecoveryCodes: Encodable { let recoveryCodes: [String] }

    @Sendable func begin(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(try await TwoFactor.begin(caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func confirm(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(CodeBody.self, from: request, maxBytes: maxBodyBytes)
        let codes = try await TwoFactor.confirm(code: body.otp, caller: context.caller, platform: platform)
        return try JSONResponse.make(RecoveryCodes(recoveryCodes: codes))
    }

    @Sendable func disable(_ request: Request, context: SignedInContext) async throws -> Response {
        try TwoFactor.ensureMayDisable(caller: context.caller)
        let body = try await JSONBody.decode(CodeBody.self, from: request, maxBytes: maxBodyBytes)
        try await TwoFactor.disable(code: body.otp, caller: context.caller, ip: context.peerAddress, platform: platform)
        return Response(status: .noContent)
    }
}
