import Domain
import Foundation
import Hummingbird
import Marketplace

/// Real-name verification (2.3.4): consumers and merchant owners verify; reviewers decide what a check sent to
/// manual review.
struct VerificationHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct ConsumerBody: StrictDecodable {
        static let fields: Set<String> = ["name", "residentId"]
        let name: String
        let residentId: String
    }

    struct CodeBody: StrictDecodable {
        static let fields: Set<String> = ["code"]
        let code: String
    }

    struct MerchantBody: StrictDecodable {
        static let fields: Set<String> = ["licenceCode", "representativeName", "representativeId"]
        let licenceCode: String
        let representativeName: String
        let representativeId: String
    }

    @Sendable func status(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(try await RealName.status(caller: context.caller, platform: platform))
    }

    @Sendable func startConsumer(_ request: Request, context: SignedInContext) async throws -> Response {
        guard context.caller.kind == .consumer else {
            throw Problem.forbidden("Consumers verify here; merchant owners use /api/v1/merchant/verification.")
        }
        let body = try await JSONBody.decode(ConsumerBody.self, from: request, maxBytes: maxBodyBytes)
        let view = try await RealName.startConsumer(
            name: body.name, residentId: body.residentId, caller: context.caller, platform: platform)
        return try JSONResponse.make(view, status: .accepted)
    }

    @Sendable func confirmCode(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(CodeBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await RealName.confirmCode(body.code, caller: context.caller, platform: platform))
    }

    @Sendable func startMerchant(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(MerchantBody.self, from: request, maxBytes: maxBodyBytes)
        let view = try await RealName.startMerchant(
            licenceCode: body.licenceCode, representativeName: body.representativeName,
            representativeId: body.representativeId, caller: context.caller, platform: platform)
        return try JSONResponse.make(view)
    }

    @Sendable func queue(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make([
            "verifications": try await RealName.reviewQueue(caller: context.caller, platform: platform)
        ])
    }

    @Sendable func decide(_ request: Request, context: StaffContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ReviewDecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await RealName.review(
                accountId: id, approve: body.approve, reason: body.reason, caller: context.caller, platform: platform))
    }
}
