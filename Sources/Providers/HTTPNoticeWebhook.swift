import AsyncHTTPClient
public import Foundation
public import Marketplace
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The webhook channel of the notification outbox: each notice is POSTed as JSON to the provider, signed with
/// HMAC-SHA256 over `timestamp.body` (headers `X-Covenant-Timestamp`, `X-Covenant-Signature`) so the receiver
/// can tell it is ours and fresh. Any answer but 2xx is a failed attempt, retried by the outbox.
public struct HTTPNoticeWebhook: NoticeWebhook {
    let url: String
    let secret: Data
    let timeout: TimeAmount

    public init(url: String, secret: Data, timeout: TimeAmount = .seconds(10)) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }

    public func deliver(_ notice: WebhookNotice) async throws {
        let body = try JSONEncoder().encode(notice)
        let timestamp = String(Int64(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Covenant-Timestamp", value: timestamp)
        request.headers.add(
            name: "X-Covenant-Signature", value: WireSignature.sign(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        _ = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw WebhookRefused(status: Int(response.status.code))
        }
    }
}

/// The webhook's receiver did not accept a notice.
public struct WebhookRefused: Error, CustomStringConvertible {
    public let status: Int
    public var description: String { "webhook answered \(status)" }
}
