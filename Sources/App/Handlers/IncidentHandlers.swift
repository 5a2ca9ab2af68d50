import Domain
import Foundation
import Hummingbird
import Marketplace

/// Incidents and breach notification for security staff (clause 2.3.6).
struct IncidentHandlers {
    let platform: Platform
    let maxBodyBytes: Int

    struct RegisterBody: StrictDecodable {
        static let fields: Set<String> = ["type", "title", "description", "discoveredAt", "grade"]
        let type: String
        let title: String
        let description: String
        let discoveredAt: Int64
        let grade: String?
    }

    struct ActionBody: StrictDecodable {
        static let fields: Set<String> = ["note", "status", "grade"]
        let note: String
        let status: String?
        let grade: String?
    }

    struct ImpactBody: StrictDecodable {
        static let fields: Set<String> = ["kind", "value", "from", "to"]
        let kind: String
        let value: String
        let from: Int64
        let to: Int64
    }

    struct NoticeBody: StrictDecodable {
        static let fields: Set<String> = ["measures"]
        let measures: String
    }

    struct TaskBody: StrictDecodable {
        static let fields: Set<String> = ["title", "dueAt"]
        let title: String
        let dueAt: Int64
    }

    struct VulnerabilityBody: StrictDecodable {
        static let fields: Set<String> = ["title", "component", "reference", "severity", "foundAt"]
        let title: String
        let component: String
        let reference: String?
        let severity: String
        let foundAt: Int64
    }

    struct CloseBody: StrictDecodable {
        static let fields: Set<String> = ["status", "note"]
        let status: String
        let note: String
    }

    @Sendable func vulnerabilities(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make([
            "vulnerabilities": try await Vulnerabilities.list(caller: context.caller, platform: platform)
        ])
    }

    @Sendable func recordVulnerability(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(VulnerabilityBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Vulnerabilities.record(
                title: body.title, component: body.component, reference: body.reference ?? "",
                severity: body.severity, foundAt: body.foundAt, caller: context.caller, platform: platform),
            status: .created)
    }

    @Sendable func closeVulnerability(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(CloseBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Vulnerabilities.close(
                id: try context.parameters.require("id"), status: body.status, note: body.note, caller: context.caller,
                platform: platform))
    }

    @Sendable func list(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(["incidents": try await Incidents.list(caller: context.caller, platform: platform)])
    }

    @Sendable func get(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(
            try await Incidents.get(
                id: try context.parameters.require("id"), caller: context.caller, platform: platform))
    }

    @Sendable func register(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(RegisterBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Incidents.register(
                type: body.type, title: body.title, description: body.description, discoveredAt: body.discoveredAt,
                grade: body.grade, caller: context.caller, platform: platform), status: .created)
    }

    @Sendable func act(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ActionBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Incidents.act(
                id: try context.parameters.require("id"), note: body.note, status: body.status, grade: body.grade,
                caller: context.caller, platform: platform))
    }

    @Sendable func impact(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(ImpactBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Incidents.analyse(
                id: try context.parameters.require("id"),
                scope: CompromisedScope(kind: body.kind, value: body.value, from: body.from, to: body.to),
                caller: context.caller, platform: platform))
    }

    @Sendable func notify(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(NoticeBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Incidents.notify(
                id: try context.parameters.require("id"), measures: body.measures, caller: context.caller,
                platform: platform))
    }

    @Sendable func regulatorReport(_ request: Request, context: StaffContext) async throws -> Response {
        let report = try await Incidents.regulatorReport(
            id: try context.parameters.require("id"), caller: context.caller, platform: platform)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: report))
        )
    }

    @Sendable func addTask(_ request: Request, context: StaffContext) async throws -> Response {
        let body = try await JSONBody.decode(TaskBody.self, from: request, maxBytes: maxBodyBytes)
        return try JSONResponse.make(
            try await Incidents.addTask(
                id: try context.parameters.require("id"), title: body.title, dueAt: body.dueAt, caller: context.caller,
                platform: platform), status: .created)
    }

    @Sendable func completeTask(_ request: Request, context: StaffContext) async throws -> Response {
        try JSONResponse.make(
            try await Incidents.completeTask(
                id: try context.parameters.require("id"), task: try context.parameters.require("task"),
                caller: context.caller, platform: platform))
    }
}
