import AuditLog
import Domain
import Foundation
import Hummingbird
import Marketplace

/// `/api/v1/audit…` and `/api/v1/me/access-receipts`: the verifiable security audit log (2.2, 2.3.3).
struct AuditHandlers {
    let platform: Platform

    struct HeadView: Encodable {
        let treeSize: UInt64
        let timestamp: UInt64
        let rootHash: String
        let signature: String
        let publicKey: String
    }

    @Sendable func head(_ request: Request, context: AppRequestContext) async throws -> Response {
        let head = try await AuditQueries.latestHead(platform: platform)
        return try JSONResponse.make(
            HeadView(
                treeSize: head.treeSize, timestamp: head.timestamp, rootHash: head.rootHash.base64,
                signature: head.signature.base64EncodedString(), publicKey: AuditQueries.publicKey(platform: platform)))
    }

    @Sendable func consistency(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let first = request.uri.queryParameters.get("first", as: Int64.self),
            let second = request.uri.queryParameters.get("second", as: Int64.self)
        else { throw Problem.invalid("first", "Give 'first' and 'second' tree sizes as integers.") }
        return try JSONResponse.make(
            try await AuditQueries.consistency(first: first, second: second, platform: platform))
    }

    @Sendable func proof(_ request: Request, context: SignedInContext) async throws -> Response {
        guard let index = Int64(try context.parameters.require("sequence")) else {
            throw Problem.invalid("sequence", "The sequence must be an integer.")
        }
        let size = request.uri.queryParameters.get("treeSize", as: Int64.self)
        return try JSONResponse.make(
            try await AuditQueries.proof(leafIndex: index, treeSize: size, caller: context.caller, platform: platform))
    }

    @Sendable func receipts(_ request: Request, context: SignedInContext) async throws -> Response {
        try JSONResponse.make(["receipts": try await AuditQueries.receipts(caller: context.caller, platform: platform)])
    }

    @Sendable func search(_ request: Request, context: StaffContext) async throws -> Response {
        let query = request.uri.queryParameters
        func text(_ name: String) throws -> String? {
            guard let value = query.get(name) else { return nil }
            guard value.count <= 100,
                !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw Problem.invalid(name, "The '\(name)' filter is not valid.") }
            return value
        }
        let events = try await AuditQueries.search(
            type: try text("type"), actorId: try text("actor"), subjectId: try text("subject"),
            from: query.get("from", as: Int64.self), to: query.get("to", as: Int64.self), caller: context.caller,
            platform: platform)
        return try JSONResponse.make(["events": events])
    }
}
