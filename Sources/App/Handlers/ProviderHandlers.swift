import Domain
import Foundation
import Hummingbird
import Marketplace

/// Third-party providers (clause 2.6): the registry and credentials for staff, the provider API itself, and each
/// person's record of what was disclosed to providers.
struct ProviderHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct RegisterBody: StrictDecodable {
        static let fields: Set<String> = [
            "kind", "legalName", "licenceCode", "qualification", "contractRef", "dpaRef", "contacts",
        ]
        let kind: String
        let legalName: String
        let licenceCode: String
        let qualification: String
        let contractRef: String
        let dpaRef: String
        let contacts: [ProviderContact]
    }

    struct AssessBody: StrictDecodable {
        static let fields: Set<String> = [
            "assessedOn", "assessor", "questionnaire", "findings", "result", "nextReviewAt",
        ]
        let assessedOn: Int64
        let assessor: String
        let questionnaire: [String: String]
        let findings: String
        let result: String
        let nextReviewAt: Int64
    }

    struct StatusBody: StrictDecodable {
        static let fields: Set<String> = ["status", "reason"]
        let status: String
        let reason: String
    }

    struct CredentialBody: StrictDecodable {
        static let fields: Set<String> = ["scopes", "expiresAt", "ipAllow", "publicKey"]
        let scopes: [String]
        let expiresAt: Int64
        let ipAllow: [String]?
        let publicKey: String
    }

    struct RotateBody: StrictDecodable {
        static let fields: Set<String> = ["publicKey"]
        let publicKey: String?
    }

    struct RevealBody: StrictDecodable {
        static let fields: Set<String> = ["fields", "purpose", "agent"]
        let fields: [String]
        let purpose: String
        let agent: String
    }

    // MARK: Staff

    @Sendable func list(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["providers": try await ServiceProviders.list(caller: context.caller, platform: platform)]
        )
    }

    @Sendable func register(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(RegisterBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ServiceProviders.register(
                ProviderInput(
                    kind: body.kind, legalName: body.legalName, licenceCode: body.licenceCode,
                    qualification: body.qualification, contractRef: body.contractRef, dpaRef: body.dpaRef,
                    contacts: body.contacts), caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func assess(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(AssessBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ServiceProviders.assess(
                provider: try context.parameters.require("id"), assessedOn: body.assessedOn, assessor: body.assessor,
                questionnaire: body.questionnaire, findings: body.findings, result: body.result,
                nextReviewAt: body.nextReviewAt, caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func setStatus(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(StatusBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ServiceProviders.setStatus(
                provider: try context.parameters.require("id"), status: body.status, reason: body.reason,
                caller: context.caller, platform: platform))
    }

    @Sendable func issueCredential(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(CredentialBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ProviderCredentials.issue(
                provider: try context.parameters.require("id"),
                .init(
                    scopes: body.scopes, expiresAt: body.expiresAt, ipAllow: body.ipAllow ?? [],
                    publicKey: body.publicKey), caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func rotateCredential(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(RotateBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ProviderCredentials.rotate(
                credential: try context.parameters.require("id"), publicKey: body.publicKey, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func revokeCredential(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(
            try await ProviderCredentials.revoke(
                credential: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    // MARK: Everyone signed in

    @Sendable func myDisclosures(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make([
            "disclosures": try await ProviderAccess.disclosures(caller: context.caller, platform: platform)
        ])
    }

    // MARK: Providers

    @Sendable func shipments(_ request: Request, context: ProviderContext) async throws -> Response {
        try JSONResponse.make([
            "shipments": try await ProviderAccess.shipments(principal: context.provider, platform: platform)
        ])
    }

    @Sendable func waybill(_ request: Request, context: ProviderContext) async throws -> Response {
        try JSONResponse.make(
            try await ProviderAccess.waybill(
                orderId: try context.parameters.require("id"), principal: context.provider, platform: platform))
    }

    @Sendable func delivered(_ request: Request, context: ProviderContext) async throws -> Response {
        try await ProviderAccess.delivered(
            orderId: try context.parameters.require("id"), principal: context.provider, platform: platform)
        return Response(status: .noContent)
    }

    @Sendable func order(_ request: Request, context: ProviderContext) async throws -> Response {
        try JSONResponse.make(
            try await ProviderAccess.order(
                id: try context.parameters.require("id"), principal: context.provider, platform: platform))
    }

    @Sendable func reveal(_ request: Request, context: ProviderContext) async throws -> Response {
        try context.provider.require(.personalReveal)
        let body = try await JSONBody.decode(RevealBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ProviderAccess.reveal(
                orderId: try context.parameters.require("id"), fields: body.fields, purpose: body.purpose,
                agent: body.agent, principal: context.provider, platform: platform))
    }
}
