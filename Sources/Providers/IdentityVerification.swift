import AsyncHTTPClient
import Crypto
import Domain
public import Foundation
public import Marketplace
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The wire format shared by the platform and identity providers: a JSON request signed with HMAC-SHA256
/// over `timestamp.body`, so the provider knows the request is ours and recent.
public enum IdentityWire {
    public struct Request: Codable, Sendable {
        public let name: String
        public let idNumber: String
    }

    public struct Reply: Codable, Sendable {
        /// `match`, `mismatch` or `not_found` (no such ID number).
        public let result: String
    }

    public static func signature(body: Data, timestamp: String, secret: Data) -> String {
        WireSignature.sign(body: body, timestamp: timestamp, secret: secret)
    }

    public static func isSigned(body: Data, timestamp: String, signature: String, secret: Data) -> Bool {
        WireSignature.isValid(body: body, timestamp: timestamp, signature: signature, secret: secret)
    }
}

/// HMAC-SHA256 over `timestamp.body`, hex: how the platform and its providers sign what they send each other.
public enum WireSignature {
    public static func sign(body: Data, timestamp: String, secret: Data) -> String {
        Hex.encode(
            HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: secret)))
    }

    /// Constant-time check of a signature.
    public static func isValid(body: Data, timestamp: String, signature: String, secret: Data) -> Bool {
        guard let mac = Hex.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            mac, authenticating: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: secret))
    }

    /// Whether a timestamp (Unix seconds) is within `window` seconds of `now`.
    public static func isFresh(_ timestamp: String, now: Date, window: Int64 = 300) -> Bool {
        guard let seconds = Int64(timestamp) else { return false }
        return abs(Int64(now.timeIntervalSince1970) - seconds) <= window
    }
}

/// An identity-verification provider reached over HTTP(S) (clause 2.3.4). Anything but a clear answer from the
/// provider is 503 for the caller: the check is retried, never guessed.
public struct HTTPIdentityVerifier: IdentityVerifier {
    let baseURL: String
    let secret: Data
    let timeout: TimeAmount

    public init(baseURL: String, secret: Data, timeout: TimeAmount = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.secret = secret
        self.timeout = timeout
    }

    public func verify(name: String, residentId: String) async throws -> IdentityMatch {
        let body = try JSONEncoder().encode(IdentityWire.Request(name: name, idNumber: residentId))
        let timestamp = String(Int64(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: baseURL + "/v1/identity/verify")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Covenant-Timestamp", value: timestamp)
        request.headers.add(
            name: "X-Covenant-Signature",
            value: IdentityWire.signature(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(data: body))
        let reply: IdentityWire.Reply
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 64 * 1024)
            guard response.status == .ok else { throw Self.unavailable }
            reply = try JSONDecoder().decode(IdentityWire.Reply.self, from: Data(buffer: bytes))
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Self.unavailable
        }
        switch reply.result {
        case "match": return .match
        case "mismatch", "not_found": return .mismatch
        default: throw Self.unavailable
        }
    }

    static let unavailable = Problem(
        type: "provider-unavailable", status: 503, title: "Provider unavailable",
        detail: "The identity-verification provider did not answer; try again shortly.")
}
