import Domain
import Foundation
import Synchronization

/// What an identity-verification provider says of a name and a resident ID number.
public enum IdentityMatch: String, Sendable, Codable {
    case match, mismatch
}

/// A licensed identity-verification provider (clause 2.3.4), reached over HTTP in production
/// (`Providers.HTTPIdentityVerifier`). Throws when the provider cannot answer; the check is then retried.
public protocol IdentityVerifier: Sendable {
    func verify(name: String, residentId: String) async throws -> IdentityMatch
}

/// Sends text messages (one-time codes) to mobile numbers.
public protocol TextMessageSender: Sendable {
    func send(to phone: String, text: String) async throws
}

/// No provider configured: identity checks answer 503 until one is.
public struct NoIdentityVerifier: IdentityVerifier {
    public init() {}

    public func verify(name: String, residentId: String) async throws -> IdentityMatch {
        throw Problem(
            type: "provider-unavailable", status: 503, title: "Provider unavailable",
            detail: "No identity-verification provider is configured.")
    }
}

/// Keeps text messages instead of sending them (development, demo and tests), newest last, a few per number.
public final class MessageOutbox: TextMessageSender {
    private let messages = Mutex<[String: [String]]>([:])

    public init() {}

    public func send(to phone: String, text: String) async throws {
        messages.withLock { messages in
            messages[phone, default: []].append(text)
            if messages[phone, default: []].count > 10 { messages[phone]?.removeFirst() }
        }
    }

    /// The messages kept for `phone`.
    public func messages(to phone: String) -> [String] {
        messages.withLock { $0[phone] ?? [] }
    }
}
