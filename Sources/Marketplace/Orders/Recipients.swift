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

/// The waybill a merchant prints: name and phone stay masked, the address is shown in full until it expires.
public struct WaybillView: Sendable, Codable, Equatable {
    public let orderId: String
    public let recipientName: String
    public let recipientPhone: String
    public let address: PostalAddress
    public let expiresAt: Int64
}

enum Recipients {
    static let waybillLifetimeMillis: Int64 = 2 * 3600 * 1000

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
    /// The order's waybill for the merchant's fulfilment staff, once paid and not yet shipped. The first opening
    /// starts a two-hour window; afterwards the full address is no longer shown. Every opening is audited.
    public static func waybill(orderId: String, caller: Caller, platform: Platform) async throws -> WaybillView {
        try caller.require(.fulfilOrders)
        guard let merchantId = caller.merchantId,
            let order = try await OrderStore.find(id: orderId, party: merchantId, on: platform.db.sql),
            order.merchant_id == merchantId, let sealed = order.recipient_cipher
        else { throw Problem.notFound("The order") }
        guard order.status == OrderStatus.awaitingShipment.rawValue else {
            throw Problem(
                type: "illegal-transition", status: 409, title: "Not now",
                detail: "The order is \(order.status); a waybill is for paid orders awaiting shipment.")
        }
        let now = platform.now
        let expiresAt =
            try await WaybillStore.firstGrant(orderId: order.id, on: platform.db.sql)
            ?? now + Recipients.waybillLifetimeMillis
        guard now < expiresAt else {
            throw Problem(
                type: "waybill-expired", status: 403, title: "Waybill expired",
                detail: "The full address was shown for two hours after the waybill was first opened.")
        }
        let key = try await SubjectKeys.key(subject: order.buyer_id, platform: platform, on: platform.db.sql)
        let recipient = try Recipients.open(sealed, orderId: order.id, key: key)
        try await platform.db.transaction { db in
            try await WaybillStore.grant(
                orderId: order.id, staffId: caller.accountId, now: now, expiresAt: expiresAt, on: db)
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
