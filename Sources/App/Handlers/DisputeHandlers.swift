import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import NIOCore
import NIOFoundationCompat

/// Complaints and disputes (clause 2.4.4): the parties' side and the arbitrators'.
struct DisputeHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct OpenBody: StrictDecodable {
        static let fields: Set<String> = ["reason", "remedy", "amountFen", "text"]
        let reason: String
        let remedy: String
        let amountFen: Int64?
        let text: String
    }

    struct ResponseBody: StrictDecodable {
        static let fields: Set<String> = ["accept", "offerRemedy", "offerAmountFen", "text"]
        let accept: Bool
        let offerRemedy: String?
        let offerAmountFen: Int64?
        let text: String
    }

    struct TextBody: StrictDecodable {
        static let fields: Set<String> = ["text"]
        let text: String
    }

    struct DecisionBody: StrictDecodable {
        static let fields: Set<String> = ["remedy", "amountFen", "reason", "rule"]
        let remedy: String
        let amountFen: Int64?
        let reason: String
        let rule: String
    }

    @Sendable func open(_ request: Request, context: ConsumerContext) async throws -> Response {
        let body = try await JSONBody.decode(OpenBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Disputes.open(
                orderId: try context.parameters.require("id"), reason: body.reason, remedy: body.remedy,
                amountFen: body.amountFen, text: body.text, caller: context.caller, platform: platform),
            status: .created)
    }

    @Sendable func mine(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["disputes": try await Disputes.mine(caller: context.caller, platform: platform)])
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(
            try await Disputes.get(id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        )
    }

    @Sendable func respond(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(ResponseBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Disputes.respond(
                id: try context.parameters.require("id"), accept: body.accept, offerRemedy: body.offerRemedy,
                offerAmountFen: body.offerAmountFen, text: body.text, caller: context.caller, platform: platform))
    }

    @Sendable func acceptOffer(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Disputes.acceptOffer(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func withdraw(_ request: Request, context: ConsumerContext) async throws -> Response {
        try JSONResponse.make(
            try await Disputes.withdraw(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func escalate(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(
            try await Disputes.escalate(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func appeal(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(TextBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Disputes.appeal(
                id: try context.parameters.require("id"), text: body.text, caller: context.caller, platform: platform))
    }

    @Sendable func message(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await JSONBody.decode(TextBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Disputes.addEvidence(
                id: try context.parameters.require("id"), text: body.text, image: nil, caller: context.caller,
                platform: platform))
    }

    /// An image as the raw body (`image/png` or `image/jpeg`); its content decides whether it is one.
    @Sendable func image(_ request: Request, context: SignedInContext) async throws -> Response {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("image/png") || type.hasPrefix("image/jpeg") else { throw Problem.unsupportedMediaType }
        let bytes = Data(buffer: try await request.body.collect(upTo: ImageCheck.maximumBytes + 1))
        return try JSONResponse.make(
            try await Disputes.addEvidence(
                id: try context.parameters.require("id"), text: nil, image: bytes, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func queue(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["disputes": try await Disputes.queue(caller: context.caller, platform: platform)])
    }

    @Sendable func decide(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(DecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Disputes.decide(
                id: try context.parameters.require("id"), remedy: body.remedy, amountFen: body.amountFen,
                reason: body.reason, rule: body.rule, caller: context.caller, platform: platform))
    }

    struct ComplaintBody: StrictDecodable {
        static let fields: Set<String> = ["orderId", "reason", "text"]
        let orderId: String
        let reason: String
        let text: String
    }

    struct ComplaintDecisionBody: StrictDecodable {
        static let fields: Set<String> = ["uphold", "note"]
        let uphold: Bool
        let note: String
    }

    @Sendable func complain(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(ComplaintBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Complaints.file(
                orderId: body.orderId, reason: body.reason, text: body.text, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func complaints(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["complaints": try await Complaints.queue(caller: context.caller, platform: platform)])
    }

    @Sendable func decideComplaint(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ComplaintDecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Complaints.decide(
                id: try context.parameters.require("id"), uphold: body.uphold, note: body.note, caller: context.caller,
                platform: platform))
    }
}
