import Crypto
public import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// Where an order is delivered. Stored encrypted under the buyer's key; merchants see it masked, and the full
/// address only through a waybill that expires (clause 2.3.2).
public struct Recipient: Sendable, Codable, Equatable {
    public let name: String
    public let phone: String
    public let address: PostalAddress

    public init(name: String, phone: String, address: PostalAddress) {
        self.name = name
        self.phone = phone
        self.address = address
    }

    /// What merchants see on their order list.
    public var masked: Recipient {
        Recipient(
            name: Masking.mask(name: name), phone: Masking.mask(phone: phone),
            address: PostalAddress(
                province: address.province, city: address.city, district: address.district, detail: "****"))
    }

    func validated() throws -> Recipient {
        func line(_ value: String, _ field: String, _ maximum: Int) throws -> String {
            do { return try TextInput.singleLine(maximumLength: maximum).validate(value) } catch {
                throw Problem.invalid(field, "\(field): \(error.message)")
            }
        }
        let phone: MobileNumber
        do { phone = try MobileNumber(self.phone) } catch {
            throw Problem.invalid("recipient.phone", "The recipient's phone must be a mainland mobile number.")
        }
        return Recipient(
            name: try line(name, "recipient.name", 32), phone: phone.value,
            address: PostalAddress(
                province: try line(address.province, "recipient.address.province", 20),
                city: try line(address.city, "recipient.address.city", 30),
                district: try line(address.district, "recipient.address.district", 30),
                detail: try line(address.detail, "recipient.address.detail", 120)))
    }
}

/// The waybill a merchant prints: name and phone stay masked, the address is shown in full while fulfilling.
public struct WaybillView: Sendable, Codable, Equatable {
    public let orderId: String
    public let recipientName: String
    public let recipientPhone: String
    public let address: PostalAddress
    /// Set once the order completes: when the waybill stops working.
    public let expiresAt: Int64?
}

enum Recipients {
    static func seal(_ recipient: Recipient, orderId: String, key: SymmetricKey) throws -> Data {
        let json = String(decoding: try JSONEncoder().encode(recipient), as: UTF8.self)
        return try FieldCipher.seal(json, key: key, context: context(orderId))
    }

    static func open(_ sealed: Data, orderId: String, key: SymmetricKey) throws -> Recipient {
        let json = try FieldCipher.open(sealed, key: key, context: context(orderId))
        return try JSONDecoder().decode(Recipient.self, from: Data(json.utf8))
    }

    private static func context(_ orderId: String) -> FieldContext {
        FieldContext(table: "orders", column: "recipient_cipher", row: orderId)
    }
}

extension Orders {
    static let waybillStates: Set<OrderStatus> = [
        .awaitingShipment, .shipped, .delivered, .refundRequested, .completed,
    ]

    /// The order's waybill for the merchant's own fulfilment staff, from payment until a configurable number of
    /// days (default 15) after the order completes. Every opening is an audited reveal with its purpose.
    public static func waybill(orderId: String, caller: Caller, platform: Platform) async throws -> WaybillView {
        try caller.require(.fulfilOrders)
        guard let merchantId = caller.merchantId,
            let order = try await OrderStore.find(id: orderId, party: merchantId, on: platform.db.sql),
            order.merchant_id == merchantId, let sealed = order.recipient_cipher
        else { throw Problem.notFound("The order") }
        guard let status = OrderStatus(rawValue: order.status), waybillStates.contains(status) else {
            throw Problem.illegalTransition(
                "The order is \(order.status); a waybill is for paid orders being fulfilled.")
        }
        let now = platform.now
        let expiresAt: Int64? =
            status == .completed ? order.updated_at + platform.settings.waybillDaysAfterCompletion * 86_400_000 : nil
        if let expiresAt, now >= expiresAt {
            throw Problem(
                type: "waybill-expired", status: 403, title: "Waybill expired",
                detail: "The shipping details stop being shown \(platform.settings.waybillDaysAfterCompletion) days "
                    + "after the order completes.")
        }
        let key = try await SubjectKeys.key(subject: order.buyer_id, platform: platform, on: platform.db.sql)
        let recipient = try Recipients.open(sealed, orderId: order.id, key: key)
        try await platform.db.transaction { db in
            try await WaybillStore.grant(
                orderId: order.id, staffId: caller.accountId, now: now, expiresAt: expiresAt ?? 0, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "privacy.reveal", actor: caller.accountId, subject: order.buyer_id, object: "order:\(order.id)",
                    details: ["fields": "address", "purpose": "shipping", "view": "waybill"]),
                platform: platform, on: db)
        }
        let masked = recipient.masked
        return WaybillView(
            orderId: order.id, recipientName: masked.name, recipientPhone: masked.phone, address: recipient.address,
            expiresAt: expiresAt)
    }
}
