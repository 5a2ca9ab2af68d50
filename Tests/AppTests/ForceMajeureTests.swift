import Domain
import Foundation
import Marketplace
import Storage
import Testing

/// Clause 1.1.4: a force-majeure period pauses exactly the deadlines in its scope; they resume with the time
/// that was left when it started.
@Suite("Force majeure: paused deadlines")
struct ForceMajeureTests {
    @Test("1.1.4: receipt and dispute deadlines of the merchant in scope pause and resume; others run on")
    func pausesOnlyItsScope() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let platform = stack.env.platform
            let day: Int64 = 86_400
            // setup: merchant X (in scope) with a shipped order and a disputed one; merchant Y (out of scope)
            let (x, xOwner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "x@fm.example", title: "茶叶", price: 1_000, stock: 5)
            let (y, yOwner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "y@fm.example", title: "茶壶", price: 2_000, stock: 5)
            let xMerchant = try #require(
                try await client.send(.get, "/api/v1/me", token: xOwner).json["merchantId"] as? String)
            let (_, inScope) = try await stack.paidOrder(x, login: "13800138401")
            let (_, outOfScope) = try await stack.paidOrder(y, login: "13800138402")
            let (disputer, disputed) = try await stack.paidOrder(x, login: "13800138403")
            for (order, owner) in [(inScope, xOwner), (outOfScope, yOwner), (disputed, xOwner)] {
                _ = try await client.send(
                    .post, "/api/v1/merchant/orders/\(order)/ship", token: owner,
                    json: #"{"carrier":"EMS","trackingNumber":"E1"}"#)
            }
            _ = try await DisputeTests.open(client, disputer, disputed)
            let admin = Caller(
                accountId: "admin-1", role: .admin, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                twoFactorEnrolled: true, mustChangePassword: false)

            // act: from day 1, a period for merchant X (declared to last a month)
            stack.env.clock.advance(seconds: day)
            let start = platform.clock.nowMillis
            let period = try await ForceMajeure.declare(
                cause: "natural_disaster", scope: "merchant", values: [xMerchant], startsAt: start,
                endsAt: start + 30 * day * 1000, caller: admin, platform: platform)
            // day 4: the dispute's 72 hours passed, but its clock is held; the order says why
            stack.env.clock.advance(seconds: 3 * day)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0)
            let view = try await Orders.get(
                id: inScope,
                caller: Caller(
                    accountId: xMerchant, role: .owner, merchantId: xMerchant, sessionId: "s",
                    twoFactorVerified: true, twoFactorEnrolled: true, mustChangePassword: false), platform: platform)
            #expect(view.clockPausedBy?.contains("natural_disaster") == true)
            // day 11: Y's order is confirmed on time; X's receipt clock is held
            stack.env.clock.advance(seconds: 7 * day)
            #expect(try await Orders.confirmOverdue(platform: platform) == 1)
            #expect(try await DisputeTests.status(stack, outOfScope) == "completed")
            #expect(try await DisputeTests.status(stack, inScope) == "shipped")
            // day 12: staff end the period early; the paused deadlines move on by 11 days
            stack.env.clock.advance(seconds: day)
            _ = try await ForceMajeure.changeEnd(id: period.id, endsAt: nil, caller: admin, platform: platform)
            #expect(try await ForceMajeure.settle(platform: platform) == 3, "two orders of X and its dispute")

            // check: the order had 9 of its 10 days left at day 1, so it is due on day 21
            stack.env.clock.advance(seconds: 8 * day)  // day 20
            #expect(try await Orders.confirmOverdue(platform: platform) == 0)
            stack.env.clock.advance(seconds: day + 60)  // day 21
            #expect(try await Orders.confirmOverdue(platform: platform) == 1)
            #expect(try await DisputeTests.status(stack, inScope) == "completed")
            // the dispute had 2 of its 3 days left at day 1: due on day 14, so it has now run out
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)
            #expect(try await stack.env.auditCount("force_majeure.declare") == 1)
            #expect(try await stack.env.auditCount("force_majeure.end") == 1)
            #expect(try await stack.env.auditCount("force_majeure.settle") == 1)
            #expect(try await Settlement.check(platform: platform, reconcile: true) == nil)
        }
    }

    @Test("1.1.4: only staff with the permission declare; a period must end after it starts")
    func declarationRules() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let consumer = Caller(
                accountId: "c", role: .consumer, merchantId: nil, sessionId: "s", twoFactorVerified: false,
                twoFactorEnrolled: false, mustChangePassword: false)
            let officer = Caller(
                accountId: "o", role: .complianceOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                twoFactorEnrolled: true, mustChangePassword: false)
            let now = env.platform.clock.nowMillis
            await #expect(throws: Problem.self) {
                try await ForceMajeure.declare(
                    cause: "war", scope: "platform", values: [], startsAt: now, endsAt: now + 1000, caller: consumer,
                    platform: env.platform)
            }
            await #expect(throws: Problem.self) {
                try await ForceMajeure.declare(
                    cause: "war", scope: "platform", values: [], startsAt: now, endsAt: now - 1, caller: officer,
                    platform: env.platform)
            }
            await #expect(throws: Problem.self) {
                try await ForceMajeure.declare(
                    cause: "boredom", scope: "platform", values: [], startsAt: now, endsAt: now + 1000,
                    caller: officer, platform: env.platform)
            }
            let declared = try await ForceMajeure.declare(
                cause: "government_action", scope: "category", values: ["home"], startsAt: now, endsAt: now + 1000,
                caller: officer, platform: env.platform)
            #expect(declared.scopeValues == ["home"])
        }
    }

    @Test("1.1.4: a region scope covers orders shipping to that province only; the case shows why its clock stopped")
    func regionScope() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let platform = stack.env.platform
            let (listing, owner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "region@fm.example", title: "茶叶", price: 1_000, stock: 5)
            let merchant = try #require(
                try await client.send(.get, "/api/v1/me", token: owner).json["merchantId"] as? String)
            let (buyer, order) = try await stack.paidOrder(listing, login: "13800138411")  // ships to 浙江省
            _ = try await client.send(
                .post, "/api/v1/merchant/orders/\(order)/ship", token: owner,
                json: #"{"carrier":"EMS","trackingNumber":"E1"}"#)
            let dispute = try await DisputeTests.open(client, buyer, order)
            let officer = Caller(
                accountId: "officer", role: .complianceOfficer, merchantId: nil, sessionId: "s",
                twoFactorVerified: true, twoFactorEnrolled: true, mustChangePassword: false)
            let seller = Caller(
                accountId: merchant, role: .owner, merchantId: merchant, sessionId: "s", twoFactorVerified: true,
                twoFactorEnrolled: true, mustChangePassword: false)
            let now = platform.clock.nowMillis

            // a period for another province leaves the order alone
            _ = try await ForceMajeure.declare(
                cause: "natural_disaster", scope: "region", values: ["广东省"], startsAt: now,
                endsAt: now + 86_400_000, caller: officer, platform: platform)
            #expect(try await Orders.get(id: order, caller: seller, platform: platform).clockPausedBy == nil)

            // one for the order's province holds it, and its case says so
            _ = try await ForceMajeure.declare(
                cause: "government_action", scope: "region", values: ["浙江省"], startsAt: now,
                endsAt: now + 86_400_000, caller: officer, platform: platform)
            #expect(try await Orders.get(id: order, caller: seller, platform: platform).clockPausedBy != nil)
            let view = try await Disputes.get(id: dispute, caller: seller, platform: platform)
            #expect(view.clockPausedBy?.contains("government_action") == true)
        }
    }

    @Test("1.1.4, 2.4.1: a paid order not shipped in 48 hours is flagged late; a period in scope holds that clock")
    func shippingDeadline() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let platform = stack.env.platform
            let hour: Int64 = 3_600
            let (x, xOwner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "ship-x@fm.example", title: "茶叶", price: 1_000, stock: 5)
            let (y, _) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "ship-y@fm.example", title: "茶壶", price: 2_000, stock: 5)
            let xMerchant = try #require(
                try await client.send(.get, "/api/v1/me", token: xOwner).json["merchantId"] as? String)
            let paidAt = platform.clock.nowMillis
            let (_, held) = try await stack.paidOrder(x, login: "13800138421")
            let (yFirst, late) = try await stack.paidOrder(y, login: "13800138422")
            // sessions end when idle, and hours pass here: each look signs in again
            func xBuyer() async throws -> String { try await client.token(login: "13800138421") }
            func yBuyer() async throws -> String { try await client.token(login: "13800138422") }
            let buyerView = try await client.send(.get, "/api/v1/orders/\(late)", token: yFirst).json
            #expect(buyerView["shipDueAt"] as? Int64 == paidAt + 48 * hour * 1000)
            let admin = Caller(
                accountId: "admin-1", role: .admin, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                twoFactorEnrolled: true, mustChangePassword: false)

            // act: hour 10, a period for merchant X begins; it ends at hour 40
            stack.env.clock.advance(seconds: 10 * hour)
            let start = platform.clock.nowMillis
            let period = try await ForceMajeure.declare(
                cause: "government_action", scope: "merchant", values: [xMerchant], startsAt: start,
                endsAt: start + 30 * hour * 1000, caller: admin, platform: platform)
            // hour 30: both still have time; X's clock is held
            stack.env.clock.advance(seconds: 20 * hour)
            #expect(try await Orders.flagLateShipments(platform: platform) == 0)
            let paused = try await client.send(.get, "/api/v1/orders/\(held)", token: try await xBuyer()).json
            #expect((paused["clockPausedBy"] as? String)?.contains("government_action") == true)
            // hour 49: the period (ended at hour 40) is settled first, as the timer does; Y's order is late
            stack.env.clock.advance(seconds: 19 * hour)
            #expect(try await ForceMajeure.settle(platform: platform) == 1, "X's order only")
            #expect(try await Orders.flagLateShipments(platform: platform) == 1)
            #expect(try await Orders.flagLateShipments(platform: platform) == 0, "flagged once")
            let flagged = try await client.send(.get, "/api/v1/orders/\(late)", token: try await yBuyer()).json
            #expect(flagged["shippingLate"] as? Bool == true && flagged["status"] as? String == "awaiting_shipment")
            let notices = try await client.send(.get, "/api/v1/me/notices", token: try await yBuyer()).body
            #expect(notices.contains("full refund"))
            #expect(try await stack.env.auditCount("order.shipping_late") == 1)
            // X's order had 38 hours left when the period began, so it is due at hour 78
            #expect(try await ForceMajeure.list(caller: admin, platform: platform).first { $0.id == period.id } != nil)
            stack.env.clock.advance(seconds: 28 * hour)  // hour 77
            #expect(try await Orders.flagLateShipments(platform: platform) == 0)
            stack.env.clock.advance(seconds: hour + 60)  // hour 78
            #expect(try await Orders.flagLateShipments(platform: platform) == 1)
            let heldView = try await client.send(.get, "/api/v1/orders/\(held)", token: try await xBuyer()).json
            #expect(heldView["shipDueAt"] as? Int64 == paidAt + 78 * hour * 1000)
            #expect(heldView["shippingLate"] as? Bool == true)
            // the buyer may still cancel a late order for a full refund; the ledger stays balanced
            let cancelled = try await client.send(
                .post, "/api/v1/orders/\(late)/refund", token: try await yBuyer(), json: #"{"reason":"发货太慢"}"#,
                headers: ["Idempotency-Key": "late-cancel-1"])
            #expect(cancelled.status == 200 && cancelled.json["status"] as? String == "cancelled", "\(cancelled.body)")
            #expect(try await Settlement.check(platform: platform, reconcile: false) == nil)
        }
    }
}
