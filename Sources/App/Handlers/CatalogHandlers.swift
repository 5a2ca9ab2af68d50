import Domain
import Foundation
import Hummingbird
import Marketplace

/// Listings (2.4.1): public browsing, merchants' own listings, and staff review of held ones.
struct CatalogHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct ListingBody: StrictDecodable {
        static let fields: Set<String> = ["title", "description", "imageRefs", "priceFen", "stock", "category"]
        let title: String
        let description: String
        let imageRefs: [String]
        let priceFen: Int64
        let stock: Int64
        let category: String

        var input: ListingInput {
            ListingInput(
                title: title, description: description, imageRefs: imageRefs, priceFen: priceFen, stock: stock,
                category: category)
        }
    }

    @Sendable func browse(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try await Listings.browse(
            query: query.get("q"), category: query.get("category"), limit: query.get("limit", as: Int.self) ?? 20,
            offset: query.get("offset", as: Int.self) ?? 0, platform: platform)
        return JSONResponse.raw(page, status: .ok)
    }

    @Sendable func product(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(try await Listings.product(id: try context.parameters.require("id"), platform: platform))
    }

    @Sendable func mine(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make(["listings": try await Listings.mine(caller: context.caller, platform: platform)])
    }

    @Sendable func create(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(ListingBody.self, from: request, maxBytes: maxBodyBytes)
        let listing = try await Listings.create(body.input, caller: context.caller, platform: platform)
        return try JSONResponse.make(listing, status: .created)
    }

    @Sendable func update(_ request: Request, context: MerchantContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ListingBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Listings.update(id: id, body.input, caller: context.caller, platform: platform))
    }

    @Sendable func withdraw(_ request: Request, context: MerchantContext) async throws -> Response {
        try await Listings.withdraw(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }

    @Sendable func reviewQueue(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["listings": try await Listings.reviewQueue(caller: context.caller, platform: platform)])
    }

    @Sendable func decide(_ request: Request, context: StaffContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONBody.decode(ReviewDecisionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Listings.review(
                id: id, approve: body.approve, reason: body.reason, caller: context.caller, platform: platform))
    }
}
