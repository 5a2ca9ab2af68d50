import Domain
public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// A sandbox identity-verification provider: a real HTTP service with the provider's wire format, for
/// development, demos and tests. It knows the identities registered with it; an ID number it does not know is
/// `not_found`. Requests must carry a valid signature from the last five minutes.
public final class IdentitySandbox: Sendable {
    private let registry = Mutex<[String: String]>([:])
    let secret: Data

    public init(secret: Data) {
        self.secret = secret
    }

    /// Registers a person as the public-security records would know them.
    public func register(name: String, idNumber: String) {
        registry.withLock { $0[idNumber.uppercased()] = name }
    }

    /// The sandbox's HTTP application on `host:port` (0 picks a free port; `onRunning` receives the one chosen).
    public func application(
        host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "identity-sandbox"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/identity/verify") { request, context -> Response in
            try await self.verify(request)
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "identity-sandbox"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    private func verify(_ request: Request) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 16 * 1024))
        guard let timestamp = request.headers[HTTPField.Name("X-Covenant-Timestamp")!],
            let signature = request.headers[HTTPField.Name("X-Covenant-Signature")!],
            let seconds = Int64(timestamp), abs(Int64(Date().timeIntervalSince1970) - seconds) <= 300,
            IdentityWire.isSigned(body: body, timestamp: timestamp, signature: signature, secret: secret)
        else { return Self.json(["error": "bad signature"], status: .unauthorized) }
        guard let asked = try? JSONDecoder().decode(IdentityWire.Request.self, from: body) else {
            return Self.json(["error": "malformed request"], status: .badRequest)
        }
        let known = registry.withLock { $0[asked.idNumber.uppercased()] }
        let result = known.map { $0 == asked.name ? "match" : "mismatch" } ?? "not_found"
        return Self.json(["result": result], status: .ok)
    }

    private static func json(_ object: [String: String], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONEncoder().encode(object)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
