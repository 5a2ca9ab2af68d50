import Domain
import Foundation
import Hummingbird
import Logging
import Marketplace
import Storage

/// `/api/v1/merchant/staff` (merchant owners) and `/api/v1/staff/accounts…` (platform staff).
struct TeamHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct AddStaffBody: StrictDecodable {
        static let fields: Set<String> = ["login", "displayName", "role"]
        let login: String
        let displayName: String
        let role: String
    }

    @Sendable func addMerchantStaff(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(AddStaffBody.self, from: request, maxBytes: maxBodyBytes)
        guard let role = Role(rawValue: body.role) else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        let created = try await TeamAccounts.addMerchantStaff(
            caller: context.caller, login: body.login, displayName: body.displayName, role: role, platform: platform)
        return try JSONResponse.make(created, status: .created)
    }

    struct StaffRoleBody: StrictDecodable {
        static let fields: Set<String> = ["role"]
        let role: String
    }

    @Sendable func changeMerchantStaffRole(_ request: Request, context: MerchantContext) async throws -> Response {
        let body = try await JSONBody.decode(StaffRoleBody.self, from: request, maxBytes: maxBodyBytes)
        guard let role = Role(rawValue: body.role) else {
            throw Problem.invalid("role", "A merchant staff role is one of: catalog, fulfilment, finance.")
        }
        return try JSONResponse.make(
            try await TeamAccounts.changeMerchantStaffRole(
                try context.parameters.require("id"), to: role, caller: context.caller, platform: platform))
    }

    @Sendable func removeMerchantStaff(_ request: Request, context: MerchantContext) async throws -> Response {
        try await TeamAccounts.removeMerchantStaff(
            try context.parameters.require("id"), caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }

    @Sendable func listMerchantStaff(_ request: Request, context: MerchantContext) async throws -> Response {
        try JSONResponse.make([
            "staff": try await TeamAccounts.listMerchantStaff(caller: context.caller, platform: platform)
        ])
    }

    @Sendable func listAccounts(_ request: Request, context: StaffContext) async throws -> Response {
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
        let offset = request.uri.queryParameters.get("offset", as: Int.self) ?? 0
        let accounts = try await TeamAccounts.listAccounts(
            caller: context.caller, limit: limit, offset: offset, platform: platform)
        return try JSONResponse.make(["accounts": accounts])
    }

    @Sendable func unlock(_ request: Request, context: StaffContext) async throws -> Response {
        let id = try context.parameters.require("id")
        try await TeamAccounts.unlock(accountId: id, caller: context.caller, platform: platform)
        return Response(status: .noContent)
    }
}
