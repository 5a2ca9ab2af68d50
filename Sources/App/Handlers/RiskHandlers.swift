import Domain
import Foundation
import Hummingbird
import Marketplace

/// The risk analysts' review queue (clause 2.4.3): list, claim, decide with a fraud or legitimate label.
struct RiskHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct DecisionBody: StrictDecodable {
        static let fields: Set<String> = ["fraud", "note"]
        let fraud: Bool
        let note: String
    }

    @Sendable func queue(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["cases": try await RiskChecks.queue(caller: context.caller, platform: platform)])
    }

    @Sendable func claim(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(
            try await RiskChecks.claim(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func decide(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(DecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await RiskChecks.decide(
                id: try context.parameters.require("id"), fraud: body.fraud, note: body.note, caller: context.caller,
                platform: platform))
    }
}

/// Force-majeure periods (clause 1.1.4).
struct ForceMajeureHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct DeclareBody: StrictDecodable {
        static let fields: Set<String> = ["cause", "scope", "scopeValues", "startsAt", "endsAt"]
        let cause: String
        let scope: String
        let scopeValues: [String]
        let startsAt: Int64
        let endsAt: Int64
    }

    struct EndBody: StrictDecodable {
        static let fields: Set<String> = ["endsAt"]
        let endsAt: Int64?
    }

    @Sendable func list(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["periods": try await ForceMajeure.list(caller: context.caller, platform: platform)])
    }

    @Sendable func declare(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(DeclareBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ForceMajeure.declare(
                cause: body.cause, scope: body.scope, values: body.scopeValues, startsAt: body.startsAt,
                endsAt: body.endsAt, caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func end(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(EndBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await ForceMajeure.changeEnd(
                id: try context.parameters.require("id"), endsAt: body.endsAt, caller: context.caller,
                platform: platform))
    }
}
