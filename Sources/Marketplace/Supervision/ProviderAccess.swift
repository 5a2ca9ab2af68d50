public import Domain
import Foundation
import SQLKit
import Storage

public struct ShipmentView: Sendable, Codable, Equatable {
    public let orderId: String
    public let status: String
    public let trackingNumber: String?
    public let deliveryProvince: String?
    public let shippedAt: Int64?
}

/// A provider's disclosure of a buyer's data, as a carrier's waybill or a customer-service reveal.
public struct DisclosedRecipient: Sendable, Codable, Equatable {
    public let orderId: String
    public let name: String
    public let phone: String
    public let address: PostalAddress?
}

public struct DisclosureView: Sendable, Codable, Equatable {
    public let id: String
    public let providerId: String
    public let providerName: String
    public let providerKind: String
    public let fields: [String]
    public let purpose: String
    public let legalBasis: String
    public let reference: String
    public let disclosedAt: Int64
}

/// What providers reach through `/api/v1/provider` (clause 2.6), and the record of every disclosure of personal
/// data to them (PIPL Art. 23): which provider, whose data, which fields, why and on what basis.
public enum ProviderAccess {
    static let deliveryBasis = "PIPL Art. 13(1)(2): necessary to deliver the buyer's order (privacy notice, Art. 23)"
    static let identityBasis =
        "E-commerce Law Art. 27 and Cybersecurity Law Art. 24 (real-name verification); separate consent (PIPL Art. 29)"
    static let supportBasis = "PIPL Art. 13(1)(2): handling the buyer's request about the order (Art. 21 entrusted)"
    public static let revealPurposes = ["delivery_issue", "refund_support", "complaint_handling"]

    /// A carrier's shipments: only those handed to it and not yet received.
    public static func shipments(principal: ProviderPrincipal, platform: Platform) async throws -> [ShipmentView] {
        try principal.require(.waybillsRead)
        return try await ProviderStore.assignedShipments(provider: principal.providerId, on: platform.db.sql).map {
            ShipmentView(
                orderId: $0.id, status: $0.status, trackingNumber: $0.tracking_number,
                deliveryProvince: $0.delivery_province, shippedAt: $0.shipped_at)
        }
    }

    /// The privacy waybill of a shipment handed to this carrier: name masked, phone and address in full, recorded
    /// as a disclosure. Any other order is 404 (authorization in the query).
    public static func waybill(orderId: String, principal: ProviderPrincipal, platform: Platform) async throws
        -> DisclosedRecipient
    {
        try principal.require(.waybillsRead)
        let order = try await assigned(orderId, principal, platform)
        let recipient = try await recipient(of: order, platform: platform)
        try await disclose(
            order: order, fields: ["phone", "address"], purpose: "delivery", basis: deliveryBasis, actor: "carrier",
            principal: principal, platform: platform)
        return DisclosedRecipient(
            orderId: order.id, name: Masking.mask(name: recipient.name), phone: recipient.phone,
            address: recipient.address)
    }

    /// The carrier reports delivery of its own shipment; the receipt window restarts.
    public static func delivered(orderId: String, principal: ProviderPrincipal, platform: Platform) async throws {
        try principal.require(.shipmentsUpdate)
        let order = try await assigned(orderId, principal, platform)
        try await Orders.recordDelivery(order, actorId: "provider:\(principal.providerId)", platform: platform)
    }

    /// Customer service sees an order with the buyer's data masked.
    public static func order(id: String, principal: ProviderPrincipal, platform: Platform) async throws -> OrderView {
        try principal.require(.ordersRead)
        guard let order = try await OrderStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The order")
        }
        return try await Orders.withLines([order], platform, masked: true)[0]
    }

    /// Customer service reveals a buyer's contact details with a purpose and the agent's name, like platform staff:
    /// audited as a reveal and recorded as a disclosure the buyer can see.
    public static func reveal(
        orderId: String, fields: [String], purpose: String, agent rawAgent: String, principal: ProviderPrincipal,
        platform: Platform
    ) async throws -> DisclosedRecipient {
        try principal.require(.personalReveal)
        guard revealPurposes.contains(purpose) else { throw Problem.invalid("purpose", "One of \(revealPurposes).") }
        let agent = try TextInput.singleLine(maximumLength: 64).validate(rawAgent, field: "agent")
        let wanted = Set(fields)
        guard !wanted.isEmpty, wanted.isSubset(of: ["name", "phone", "address"]) else {
            throw Problem.invalid("fields", "Some of name, phone and address.")
        }
        guard let order = try await OrderStore.find(id: orderId, on: platform.db.sql) else {
            throw Problem.notFound("The order")
        }
        let recipient = try await recipient(of: order, platform: platform)
        try await disclose(
            order: order, fields: wanted.sorted(), purpose: purpose, basis: supportBasis, actor: "agent:\(agent)",
            principal: principal, platform: platform)
        let masked = recipient.masked
        return DisclosedRecipient(
            orderId: order.id, name: wanted.contains("name") ? recipient.name : masked.name,
            phone: wanted.contains("phone") ? recipient.phone : masked.phone,
            address: wanted.contains("address") ? recipient.address : masked.address)
    }

    /// A real-name check sends the name and ID number to the identity provider: recorded before it is sent.
    static func recordIdentityCheck(subject: String, platform: Platform) async throws {
        try await record(
            DisclosureRow(
                id: Identifiers.make(), provider_id: platform.identityProviderId, subject_id: subject,
                fields: #"["name","resident_id"]"#, purpose: "real-name verification", legal_basis: identityBasis,
                reference: "verification", actor: "platform", disclosed_at: platform.now),
            platform: platform)
    }

    /// The caller's own data as disclosed to providers, newest first.
    public static func disclosures(caller: Caller, platform: Platform) async throws -> [DisclosureView] {
        let db = platform.db.sql
        var names: [String: ProviderRow] = [:]
        var views: [DisclosureView] = []
        for row in try await ProviderStore.disclosures(subject: caller.accountId, on: db) {
            if names[row.provider_id] == nil {
                names[row.provider_id] = try await ProviderStore.find(id: row.provider_id, on: db)
            }
            let identity = row.provider_id == platform.identityProviderId
            views.append(
                DisclosureView(
                    id: row.id, providerId: row.provider_id,
                    providerName: names[row.provider_id]?.legal_name
                        ?? (identity ? "Identity verification provider" : "Unregistered provider"),
                    providerKind: names[row.provider_id]?.kind ?? (identity ? ProviderKind.identity.rawValue : ""),
                    fields: StringList.decode(row.fields),
                    purpose: row.purpose, legalBasis: row.legal_basis, reference: row.reference,
                    disclosedAt: row.disclosed_at))
        }
        return views
    }

    private static func assigned(_ orderId: String, _ principal: ProviderPrincipal, _ platform: Platform) async throws
        -> OrderRow
    {
        guard let order = try await OrderStore.find(id: orderId, on: platform.db.sql),
            order.logistics_provider_id == principal.providerId,
            order.status == OrderStatus.shipped.rawValue || order.status == OrderStatus.delivered.rawValue
        else { throw Problem.notFound("The shipment") }
        return order
    }

    private static func recipient(of order: OrderRow, platform: Platform) async throws -> Recipient {
        guard let sealed = order.recipient_cipher else { throw Problem.notFound("The order's recipient") }
        let key = try await SubjectKeys.key(subject: order.buyer_id, platform: platform, on: platform.db.sql)
        return try Recipients.open(sealed, orderId: order.id, key: key)
    }

    private static func disclose(
        order: OrderRow, fields: [String], purpose: String, basis: String, actor: String,
        principal: ProviderPrincipal, platform: Platform
    ) async throws {
        try await record(
            DisclosureRow(
                id: Identifiers.make(), provider_id: principal.providerId, subject_id: order.buyer_id,
                fields: StringList.encode(fields), purpose: purpose,
                legal_basis: basis, reference: "order:\(order.id)", actor: actor, disclosed_at: platform.now),
            credential: principal.credentialId, platform: platform)
    }

    /// The disclosure record and its audit event, in one transaction: no record, no data.
    private static func record(_ row: DisclosureRow, credential: String? = nil, platform: Platform) async throws {
        try await platform.db.transaction { db in
            try await ProviderStore.insert(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "privacy.disclose", actor: nil, subject: row.subject_id, object: row.reference,
                    details: [
                        "provider": row.provider_id, "credential": credential ?? "", "fields": row.fields,
                        "purpose": row.purpose, "agent": row.actor,
                    ]), platform: platform, on: db)
        }
    }
}
