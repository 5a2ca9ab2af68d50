import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace
import NIOCore
import Prometheus
import Storage

/// Health, readiness, metrics and the API contract.
struct OperationsHandlers {
    let platform: Platform
    let registry: PrometheusCollectorRegistry

    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(["status": "ok"])
    }

    /// Ready when the database answers and every migration is applied.
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await platform.db.ping()
            let pending = try await platform.db.pendingMigrations()
            guard pending.isEmpty else {
                return try JSONResponse.make(["status": "migrations pending"], status: .serviceUnavailable)
            }
        } catch {
            context.logger.warning("readiness check failed", metadata: ["error.type": "\(type(of: error))"])
            return try JSONResponse.make(["status": "database unavailable"], status: .serviceUnavailable)
        }
        return try JSONResponse.make(["status": "ready"])
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
    }
}

/// The API contract, kept in the repo at `Sources/App/Resources/openapi.yaml` and served as is.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()
}

enum Timestamps {
    static func iso8601(millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }
}
