// Third-party service providers under the platform's supervision (clause 2.6).
public import Foundation

/// The kinds of provider the platform works with, and what each must hold.
public enum ProviderKind: String, Sendable, Codable, CaseIterable {
    case payment
    case logistics
    case customerService = "customer_service"
    case identity

    /// The licence or qualification a provider of this kind must have on record.
    public var qualification: String {
        switch self {
        case .payment: "payment business licence (支付业务许可证) number"
        case .logistics: "express delivery business permit (快递业务经营许可证) number"
        case .customerService: "value-added telecommunications business licence (增值电信业务经营许可证) number"
        case .identity: "identity verification service filing or licence number"
        }
    }

    /// What a credential of this kind may be given (least privilege).
    public var allowedScopes: Set<ProviderScope> {
        switch self {
        case .logistics: [.waybillsRead, .shipmentsUpdate]
        case .customerService: [.ordersRead, .personalReveal]
        case .payment, .identity: []
        }
    }
}

/// What a provider's credential lets it do through `/api/v1/provider`.
public enum ProviderScope: String, Sendable, Codable, CaseIterable {
    /// Read the privacy waybills of shipments assigned to this provider.
    case waybillsRead = "waybills:read"
    /// Record delivery of shipments assigned to this provider.
    case shipmentsUpdate = "shipments:update"
    /// Read orders with the buyer's data masked (customer service).
    case ordersRead = "orders:read"
    /// Reveal a buyer's contact details with a stated purpose (customer service), recorded as a disclosure.
    case personalReveal = "personal:reveal"
}

/// Provider requests are signed with the Ed25519 key registered with the credential; this is what is signed.
public enum ProviderRequestSignature {
    /// Requests older or newer than this many seconds are refused (replay window).
    public static let windowSeconds: Int64 = 300

    public static func message(method: String, path: String, timestamp: Int64, body: Data) -> Data {
        Data("covenant-provider-v1\n\(method)\n\(path)\n\(timestamp)\n".utf8) + body
    }
}
