import Foundation

/// The wire format between the platform and the payment sandbox (shaped like a real institution's API).
public enum PaymentWire {
    public static let timestampHeader = "X-Sandbox-Timestamp"
    public static let signatureHeader = "X-Sandbox-Signature"

    public struct IntentRequest: Codable, Sendable {
        public let reference: String
        public let amountFen: Int64
        public let currency: String
        public let description: String
        public let callbackURL: String
        public let returnURL: String
    }

    public struct IntentReply: Codable, Sendable {
        public let id: String
        public let payURL: String
        public let status: String
    }

    public struct RefundRequest: Codable, Sendable {
        public let intentId: String
        public let amountFen: Int64
        public let reference: String
    }

    public struct PayoutRequest: Codable, Sendable {
        public let merchantId: String
        public let amountFen: Int64
        public let reference: String
    }

    public struct MoneyReply: Codable, Sendable {
        public let id: String
        public let status: String
    }

    public struct ErrorReply: Codable, Sendable {
        public let error: String
    }
}
