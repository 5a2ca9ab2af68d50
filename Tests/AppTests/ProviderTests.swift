import Crypto
import Domain
import Foundation
import HTTPTypes
import Marketplace
import Storage
import Testing

/// Clause 2.6: providers are registered with their licences, assessed before they get credentials, reach only
/// what their scopes and assignments allow with signed requests, lose access at once when revoked or suspended,
/// and every disclosure of personal data to them is recorded for the person to see.
@Suite("Third-party providers under supervision")
struct ProviderTests {
    static let officer = Caller(
        accountId: "compliance-9", role: .complianceOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)

    /// A provider's signing key and token, and how it calls the API.
    struct Signer {
        let key = Curve25519.Signing.PrivateKey()
        var token = ""
        var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

        func send(
            _ client: Client, _ method: HTTPRequest.Method, _ path: String, json: String? = nil, at seconds: Int64,
            ip: String = "203.0.113.7", tamper: Bool = false
        ) async throws -> Client.Reply {
            let body = Data((json ?? "").utf8)
            var signature = try key.signature(
                for: ProviderRequestSignature.message(
                    method: method.rawValue, path: path, timestamp: seconds, body: body))
            if tamper { signature[0] ^= 1 }
            return try await client.send(
                method, path, json: json,
                headers: [
                    "Authorization": "Bearer \(token)", "X-Covenant-Timestamp": String(seconds),
                    "X-Covenant-Signature": signature.base64EncodedString(), "X-Forwarded-For": ip,
                ])
        }
    }

    static func licence(_ n: Int) -> String {
        let first17 = "91110000MA00000\(String(format: "%02d", n))"
        return first17 + String(SocialCreditCode.checkCharacter(for: first17)!)
    }

    static func register(_ kind: ProviderKind, _ n: Int, platform: Platform) async throws -> ProviderView {
        try await ServiceProviders.register(
            ProviderInput(
                kind: kind.rawValue, legalName: "服务商\(n)有限公司", licenceCode: licence(n),
                qualification: "许可证 \(n)", contractRef: "C-\(n)", dpaRef: "DPA-\(n)",
                contacts: [ProviderContact(name: "赵六", phone: "13912340000", role: "安全负责人")]),
            caller: officer, platform: platform)
    }

    static func assess(_ id: String, result: String, reviewIn days: Int64, platform: Platform) async throws {
        let now = platform.clock.nowMillis
        _ = try await ServiceProviders.assess(
            provider: id, assessedOn: now - 2 * 86_400_000, assessor: "第三方测评机构",
            questionnaire: ["加密": "是", "访问控制": "是"],
            findings: "无重大问题。", result: result, nextReviewAt: now + days * 86_400_000, caller: officer,
            platform: platform)
    }

    static func credential(
        _ id: String, scopes: [ProviderScope], signer: Signer, ipAllow: [String] = [], platform: Platform
    ) async throws -> ProviderCredentialView {
        try await ProviderCredentials.issue(
            provider: id,
            .init(
                scopes: scopes.map(\.rawValue), expiresAt: platform.clock.nowMillis + 30 * 86_400_000,
                ipAllow: ipAllow, publicKey: signer.publicKey), caller: officer, platform: platform)
    }

    @Test("2.6: a provider without a passing, current assessment gets no credential; overdue reviews are flagged")
    func assessmentGatesCredentials() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let platform = env.platform
            let carrier = try await Self.register(.logistics, 1, platform: platform)
            #expect(carrier.reviewOverdue && !carrier.assessmentCurrent)
            #expect(carrier.contacts.first?.phone == "139****0000", "contacts are shown masked")
            let signer = Signer()
            for (result, days) in [("pass", -1), ("fail", 300), ("conditional", 300)] as [(String, Int64)] {
                env.clock.advance(seconds: 1)  // the latest assessment is the one that counts
                try await Self.assess(carrier.id, result: result, reviewIn: days, platform: platform)
                await #expect(throws: Problem.self, "\(result), review in \(days) days") {
                    _ = try await Self.credential(
                        carrier.id, scopes: [.waybillsRead], signer: signer, platform: platform)
                }
            }
            env.clock.advance(seconds: 1)
            try await Self.assess(carrier.id, result: "pass", reviewIn: 300, platform: platform)
            // least privilege: a carrier cannot be given customer-service scopes
            await #expect(throws: Problem.self) {
                _ = try await Self.credential(carrier.id, scopes: [.personalReveal], signer: signer, platform: platform)
            }
            let issued = try await Self.credential(
                carrier.id, scopes: [.waybillsRead], signer: signer, platform: platform)
            #expect(issued.token?.hasPrefix("cvp_") == true)
            let listed = try await ServiceProviders.list(caller: Self.officer, platform: platform)
            #expect(listed.first?.credentials.first?.token == nil, "the token is shown once")
            #expect(listed.first?.assessmentCurrent == true && listed.first?.reviewOverdue == false)
            // the review falls due: flagged, and no new credential
            env.clock.advance(seconds: 301 * 86_400)
            let overdue = try await ServiceProviders.list(caller: Self.officer, platform: platform)
            #expect(overdue.first?.reviewOverdue == true)
            await #expect(throws: Problem.self) {
                _ = try await Self.credential(carrier.id, scopes: [.waybillsRead], signer: signer, platform: platform)
            }
            // a bad licence code is refused
            await #expect(throws: Problem.self) {
                _ = try await ServiceProviders.register(
                    ProviderInput(
                        kind: "payment", legalName: "某支付", licenceCode: "91110000MA00000010", qualification: "Z",
                        contractRef: "C", dpaRef: "D",
                        contacts: [ProviderContact(name: "甲", phone: "13912340000", role: "r")]),
                    caller: Self.officer, platform: platform)
            }
            #expect(try await env.auditCount("provider.register") == 1)
            #expect(try await env.auditCount("provider.assess") == 4)
            #expect(try await env.auditCount("provider.credential.issue") == 1)
        }
    }

    @Test(
        "2.6: a carrier reads only its own waybills; revocation and suspension apply to the next request; disclosures match",
        arguments: Backend.available)
    func carriersAndCustomerService(backend: Backend) async throws {
        try await PaymentStack.with(backend, duplicateRate: 0) { stack in
            let client = stack.client
            let platform = stack.env.platform
            let now = { platform.clock.nowMillis / 1000 }
            // setup: two carriers and a customer-service provider, assessed, with credentials
            var a = Signer()
            var b = Signer()
            var service = Signer()
            let carrierA = try await Self.register(.logistics, 2, platform: platform)
            let carrierB = try await Self.register(.logistics, 3, platform: platform)
            let support = try await Self.register(.customerService, 4, platform: platform)
            for provider in [carrierA, carrierB, support] {
                try await Self.assess(provider.id, result: "pass", reviewIn: 365, platform: platform)
            }
            a.token = try #require(
                try await Self.credential(
                    carrierA.id, scopes: [.waybillsRead, .shipmentsUpdate], signer: a, platform: platform
                ).token)
            let bCredential = try await Self.credential(
                carrierB.id, scopes: [.waybillsRead], signer: b, ipAllow: ["198.51.100.0/24"], platform: platform)
            b.token = try #require(bCredential.token)
            service.token = try #require(
                try await Self.credential(
                    support.id, scopes: [.ordersRead, .personalReveal], signer: service, platform: platform
                ).token)
            // two orders of one merchant: the first handed to carrier A, the second to nobody
            let (listing, owner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "ship@provider.example", title: "瓷碗", price: 1_000, stock: 5)
            let (buyer, first) = try await stack.paidOrder(listing, login: "13800138601")
            let (_, second) = try await stack.paidOrder(listing, login: "13800138602")
            let shipA = try await client.send(
                .post, "/api/v1/merchant/orders/\(first)/ship", token: owner,
                json: Client.jsonString(["carrier": "A", "trackingNumber": "A1", "logisticsProviderId": carrierA.id]))
            #expect(shipA.status == 200, "\(shipA.body)")
            _ = try await client.send(
                .post, "/api/v1/merchant/orders/\(second)/ship", token: owner,
                json: #"{"carrier":"X","trackingNumber":"X1"}"#)

            // a carrier sees its shipment and its waybill: name masked, phone and address in full
            let list = try await a.send(client, .get, "/api/v1/provider/shipments", at: now())
            #expect(
                ((list.json["shipments"] as? [[String: Any]]) ?? []).compactMap { $0["orderId"] as? String } == [first])
            let waybill = try await a.send(client, .get, "/api/v1/provider/shipments/\(first)/waybill", at: now())
            #expect(waybill.status == 200, "\(waybill.body)")
            #expect(waybill.json["phone"] as? String == "13912345678")
            #expect(waybill.json["name"] as? String != "张小明")
            // not another carrier's, nor an order handed to nobody
            #expect(
                try await a.send(client, .get, "/api/v1/provider/shipments/\(second)/waybill", at: now()).status == 404)
            let bReply = try await b.send(
                client, .get, "/api/v1/provider/shipments/\(first)/waybill", at: now(), ip: "198.51.100.20")
            #expect(bReply.status == 404)
            // nor with a customer-service scope it does not have
            #expect(
                try await a.send(
                    client, .post, "/api/v1/provider/orders/\(first)/reveal",
                    json: #"{"fields":["phone"],"purpose":"delivery_issue","agent":"a-1"}"#, at: now()
                ).status == 403)
            // signatures, time and addresses are checked on every request
            #expect(try await a.send(client, .get, "/api/v1/provider/shipments", at: now(), tamper: true).status == 401)
            #expect(try await a.send(client, .get, "/api/v1/provider/shipments", at: now() - 301).status == 401)
            #expect(
                try await b.send(client, .get, "/api/v1/provider/shipments", at: now(), ip: "203.0.113.9").status == 401
            )

            // customer service sees the order masked and reveals with a purpose
            let masked = try await service.send(client, .get, "/api/v1/provider/orders/\(first)", at: now())
            #expect(masked.status == 200 && !masked.body.contains("13912345678"), "\(masked.body)")
            let revealed = try await service.send(
                client, .post, "/api/v1/provider/orders/\(first)/reveal",
                json: #"{"fields":["phone"],"purpose":"delivery_issue","agent":"agent-007"}"#, at: now())
            #expect(revealed.json["phone"] as? String == "13912345678", "\(revealed.body)")
            #expect(revealed.json["name"] as? String != "张小明")

            // the buyer sees exactly what was disclosed, to whom and why
            let disclosures = try await client.send(.get, "/api/v1/me/disclosures", token: buyer)
            let records = try #require(disclosures.json["disclosures"] as? [[String: Any]])
            #expect(records.count == 2)
            let byProvider = Dictionary(uniqueKeysWithValues: records.map { ($0["providerId"] as? String ?? "", $0) })
            #expect(byProvider[carrierA.id]?["fields"] as? [String] == ["phone", "address"])
            #expect(byProvider[carrierA.id]?["purpose"] as? String == "delivery")
            #expect(byProvider[support.id]?["fields"] as? [String] == ["phone"])
            #expect(byProvider[support.id]?["purpose"] as? String == "delivery_issue")
            #expect(try await stack.env.count("disclosures") == 2)
            #expect(try await stack.env.auditCount("privacy.disclose") == 2)

            // the carrier records delivery of its own shipment
            #expect(
                try await a.send(client, .post, "/api/v1/provider/shipments/\(first)/delivered", at: now()).status
                    == 204)
            #expect(try await DisputeTests.status(stack, first) == "delivered")

            // suspension cuts access on the next request; reinstating restores it
            _ = try await ServiceProviders.setStatus(
                provider: support.id, status: "suspended", reason: "审计发现问题", caller: Self.officer, platform: platform)
            #expect(try await service.send(client, .get, "/api/v1/provider/orders/\(first)", at: now()).status == 401)
            _ = try await ServiceProviders.setStatus(
                provider: support.id, status: "active", reason: "整改完成", caller: Self.officer, platform: platform)
            #expect(try await service.send(client, .get, "/api/v1/provider/orders/\(first)", at: now()).status == 200)
            // revoking a credential: the very next request fails
            _ = try await ProviderCredentials.revoke(
                credential: bCredential.id, caller: Self.officer, platform: platform)
            #expect(
                try await b.send(client, .get, "/api/v1/provider/shipments", at: now(), ip: "198.51.100.20").status
                    == 401)
            // rotation: the new token works at once, the old one for an hour
            let listed = try await ServiceProviders.list(caller: Self.officer, platform: platform)
            let aCredential = try #require(listed.first { $0.id == carrierA.id }?.credentials.first)
            let rotated = try await ProviderCredentials.rotate(
                credential: aCredential.id, publicKey: nil, caller: Self.officer, platform: platform)
            var aNew = a
            aNew.token = try #require(rotated.token)
            #expect(try await aNew.send(client, .get, "/api/v1/provider/shipments", at: now()).status == 200)
            #expect(try await a.send(client, .get, "/api/v1/provider/shipments", at: now()).status == 200)
            #expect(try await stack.env.auditCount("provider.auth.denied") >= 3)
            #expect(try await stack.env.auditCount("provider.status") == 2)
            #expect(try await stack.env.auditCount("provider.credential.revoke") == 1)
            #expect(try await stack.env.auditCount("provider.credential.rotate") == 1)
        }
    }
}
