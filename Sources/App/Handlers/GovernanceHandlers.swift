import Domain
import Foundation
import Hummingbird
import Marketplace

/// The rulebook, reports, violations, sanctions and appeals (clause 2.5).
struct GovernanceHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct PublishBody: StrictDecodable {
        static let fields: Set<String> = ["document", "version", "effectiveAt", "text"]
        let document: String
        let version: String
        let effectiveAt: Int64
        let text: String
    }

    struct ReportBody: StrictDecodable {
        static let fields: Set<String> = ["partyId", "ruleRef", "description"]
        let partyId: String
        let ruleRef: String
        let description: String
    }

    struct FindingBody: StrictDecodable {
        static let fields: Set<String> = ["partyId", "ruleRef", "evidence"]
        let partyId: String
        let ruleRef: String
        let evidence: String
    }

    struct ConfirmBody: StrictDecodable {
        static let fields: Set<String> = ["confirm"]
        let confirm: Bool
    }

    struct ImposeBody: StrictDecodable {
        static let fields: Set<String> = [
            "partyId", "level", "functions", "ruleRef", "reason", "endsAt", "violationIds",
        ]
        let partyId: String
        let level: String
        let functions: [String]?
        let ruleRef: String
        let reason: String
        let endsAt: Int64?
        let violationIds: [String]?
    }

    struct ReasonBody: StrictDecodable {
        static let fields: Set<String> = ["reason"]
        let reason: String
    }

    struct AppealBody: StrictDecodable {
        static let fields: Set<String> = ["statement"]
        let statement: String
    }

    struct AppealDecisionBody: StrictDecodable {
        static let fields: Set<String> = ["uphold", "note"]
        let uphold: Bool
        let note: String
    }

    // MARK: Everyone

    @Sendable func rulebook(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["versions": try await Rulebook.all(platform: platform)])
    }

    // MARK: Consumers and merchants

    @Sendable func accept(_ request: Request, context: SignedInContext) async throws -> Response {
        if let problem = context.caller.privilegeProblem() { throw problem }
        return try JSONResponse.make(["accepted": try await Rulebook.accept(caller: context.caller, platform: platform)]
        )
    }

    @Sendable func mySanctions(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["sanctions": try await Sanctions.mine(caller: context.caller, platform: platform)])
    }

    @Sendable func appeal(_ request: Request, context: SignedInContext) async throws -> Response {
        try Sanctions.requireAppellant(context.caller)
        let body = try await JSONBody.decode(AppealBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Sanctions.appeal(
                sanction: try context.parameters.require("id"), statement: body.statement, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func report(_ request: Request, context: SignedInContext) async throws -> Response {
        try Violations.requireReporter(context.caller)
        let body = try await JSONBody.decode(ReportBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Violations.report(
                party: body.partyId, ruleRef: body.ruleRef, description: body.description, caller: context.caller,
                platform: platform), status: .created)
    }

    // MARK: Staff

    @Sendable func publish(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(PublishBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Rulebook.publish(
                document: body.document, version: body.version, effectiveAt: body.effectiveAt, text: body.text,
                caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func violations(_ request: Request, context: StaffContext) async throws -> Response {
        let query = request.uri.queryParameters
        return try JSONResponse.make([
            "violations": try await Violations.list(
                party: query.get("partyId"), status: query.get("status"), caller: context.caller, platform: platform)
        ])
    }

    @Sendable func recordFinding(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(FindingBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Violations.recordFinding(
                party: body.partyId, ruleRef: body.ruleRef, evidence: body.evidence, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func decideViolation(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ConfirmBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Violations.decide(
                id: try context.parameters.require("id"), confirm: body.confirm, caller: context.caller,
                platform: platform))
    }

    @Sendable func partySanctions(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make([
            "sanctions": try await Sanctions.list(
                party: try context.parameters.require("id"), caller: context.caller, platform: platform)
        ])
    }

    @Sendable func proposal(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make([
            "proposal": try await Sanctions.proposal(
                party: try context.parameters.require("id"), caller: context.caller, platform: platform)
        ])
    }

    @Sendable func impose(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ImposeBody.self, from: request, maxBytes: maxBodyBytes)
        guard let level = SanctionLevel(rawValue: body.level) else {
            throw Problem.invalid("level", "One of \(SanctionLevel.allCases.map(\.rawValue)).")
        }
        let functions = try (body.functions ?? []).map {
            guard let function = RestrictedFunction(rawValue: $0) else {
                throw Problem.invalid("functions", "Each one of \(RestrictedFunction.allCases.map(\.rawValue)).")
            }
            return function
        }
        return try JSONResponse.make(
            try await Sanctions.impose(
                .init(
                    party: body.partyId, level: level, functions: functions, ruleRef: body.ruleRef,
                    reason: body.reason, endsAt: body.endsAt, violationIds: body.violationIds ?? []),
                caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func lift(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ReasonBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Sanctions.lift(
                id: try context.parameters.require("id"), reason: body.reason, caller: context.caller,
                platform: platform))
    }

    @Sendable func appeals(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make([
            "sanctions": try await Sanctions.pendingAppeals(caller: context.caller, platform: platform)
        ])
    }

    @Sendable func decideAppeal(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(AppealDecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Sanctions.decideAppeal(
                id: try context.parameters.require("id"), uphold: body.uphold, note: body.note,
                caller: context.caller, platform: platform))
    }
}
