import App
import Domain
import Foundation
import HTTPTypes
import Marketplace
import NIOCore
import Providers
import SQLKit
import Storage
import Testing

/// Clause 2.4.4: complaints and disputes, their deadlines on a controlled clock, evidence, arbitration and
/// appeals, and the money moving through the ledger.
@Suite("Disputes: cases, deadlines, evidence, arbitration, escrow")
struct DisputeTests {
    /// A shipped, paid order: (buyer token, order id, merchant owner token, total).
    static func shippedOrder(_ stack: PaymentStack, login: String, price: Int = 10_000) async throws
        -> (buyer: String, order: String, owner: String)
    {
        let (listing, owner) = try await OrderTests.merchantListingAndOwner(
            stack.client, stack.env, login: "shop-\(login)@disputes.example", title: "茶叶", price: price, stock: 5)
        let (buyer, order) = try await stack.paidOrder(listing, login: login)
        let shipped = try await stack.client.send(
            .post, "/api/v1/merchant/orders/\(order)/ship", token: owner,
            json: #"{"carrier":"EMS","trackingNumber":"E1"}"#)
        #expect(shipped.status == 200)
        return (buyer, order, owner)
    }

    static func open(_ client: Client, _ buyer: String, _ order: String, remedy: String = "full_refund") async throws
        -> String
    {
        let reply = try await client.send(
            .post, "/api/v1/orders/\(order)/disputes", token: buyer,
            json: Client.jsonString(["reason": "damaged", "remedy": remedy, "text": "收到时包装破损。"]))
        #expect(reply.status == 201, "\(reply.body)")
        return try #require(reply.json["id"] as? String)
    }

    static func arbitrator(_ client: Client, _ env: TestPlatform, _ n: Int) async throws -> String {
        let login = "arbitrator\(n)@platform.example"
        let created = try await TeamAccounts.addPlatformStaff(
            role: .arbitrator, login: login, displayName: "仲裁", password: nil, platform: env.platform)
        return try await RouteAuthorizationTests.signInWithTwoFactor(
            client: client, login: login, password: created.oneTimePassword)
    }

    static func status(_ stack: PaymentStack, _ order: String) async throws -> String? {
        try await OrderStore.find(id: order, on: stack.env.platform.db.sql)?.status
    }

    @Test(
        "2.4.4: a silent merchant loses by default; escrow stays frozen meanwhile; the refund balances the ledger",
        arguments: Backend.available)
    func merchantTimeout(backend: Backend) async throws {
        try await PaymentStack.with(backend, duplicateRate: 0) { stack in
            let platform = stack.env.platform
            let (buyer, order, _) = try await Self.shippedOrder(stack, login: "13800138701")
            _ = try await Self.open(stack.client, buyer, order)

            // act: 11 days pass; receipt would be confirmed, but the escrow is frozen
            stack.env.clock.advance(seconds: 11 * 86_400)
            #expect(try await Orders.confirmOverdue(platform: platform) == 0)
            #expect(try await Self.status(stack, order) == "shipped")
            // the merchant's 72 hours are long gone: the consumer's request is granted, pending appeal
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)
            #expect(try await Self.status(stack, order) == "shipped", "nothing moves before the decision is final")
            // the appeal window ends
            stack.env.clock.advance(seconds: 8 * 86_400)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)

            // check
            #expect(try await Self.status(stack, order) == "refunded")
            try await stack.expectLedgerBalanced("default outcome")
            #expect(try await stack.env.auditCount("dispute.merchant_timeout") == 1)
            #expect(try await stack.env.auditCount("dispute.final") == 1)
        }
    }

    @Test("2.4.4: the merchant offers a partial refund; the consumer takes it; the rest goes to the merchant")
    func negotiatedPartialRefund() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (buyer, order, owner) = try await Self.shippedOrder(stack, login: "13800138702")
            let id = try await Self.open(client, buyer, order)
            // a consumer cannot answer for the merchant; a message with a card number is refused
            let card = try await client.send(
                .post, "/api/v1/disputes/\(id)/messages", token: buyer,
                json: #"{"text":"卡号 4111 1111 1111 1111"}"#)
            #expect(card.status == 422)
            let countered = try await client.send(
                .post, "/api/v1/merchant/disputes/\(id)/response", token: owner,
                json: #"{"accept":false,"offerRemedy":"partial_refund","offerAmountFen":3000,"text":"补偿三十元。"}"#)
            #expect(countered.json["status"] as? String == "negotiating", "\(countered.body)")
            let accepted = try await client.send(.post, "/api/v1/disputes/\(id)/accept-offer", token: buyer)
            #expect(accepted.json["status"] as? String == "closed", "\(accepted.body)")

            // check: the order completed with 30 yuan back; the merchant gets the rest less the fee
            #expect(try await Self.status(stack, order) == "completed")
            let balance = try await client.send(.get, "/api/v1/merchant/balance", token: owner)
            let kept = 10_000 - 3_000
            #expect(balance.json["availableFen"] as? Int == kept - (kept * 500 + 5_000) / 10_000)
            try await stack.expectLedgerBalanced("partial refund")
            // the timeline shows both sides, messages decrypted for the parties
            let view = try await client.send(.get, "/api/v1/disputes/\(id)", token: owner)
            let timeline = try #require(view.json["timeline"] as? [[String: Any]])
            #expect(timeline.map { $0["kind"] as? String } == ["opened", "countered", "offer_accepted"])
            #expect(timeline.first?["text"] as? String == "收到时包装破损。")
        }
    }

    @Test("2.4.4: escalation after 3 days; an arbitrator decides; the appeal goes to a different arbitrator")
    func arbitrationAndAppeal() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (buyer, order, owner) = try await Self.shippedOrder(stack, login: "13800138703")
            let id = try await Self.open(client, buyer, order)
            _ = try await client.send(
                .post, "/api/v1/merchant/disputes/\(id)/response", token: owner,
                json: #"{"accept":false,"offerRemedy":"replacement","text":"发货时完好，可以换货。"}"#)
            let early = try await client.send(.post, "/api/v1/disputes/\(id)/escalate", token: buyer)
            #expect(early.status == 409, "negotiation lasts 3 days first")
            stack.env.clock.advance(seconds: 3 * 86_400 + 60)
            let buyerAgain = try await client.token(login: "13800138703")
            let escalated = try await client.send(.post, "/api/v1/disputes/\(id)/escalate", token: buyerAgain)
            #expect(escalated.json["status"] as? String == "escalated", "\(escalated.body)")

            // act: the first arbitrator rejects the claim
            let first = try await Self.arbitrator(client, stack.env, 1)
            let second = try await Self.arbitrator(client, stack.env, 2)
            let queue = try await client.send(.get, "/api/v1/staff/disputes", token: first)
            #expect((queue.json["disputes"] as? [Any])?.count == 1)
            // an arbitrator reading the case (messages, images) is recorded; the parties reading it are not
            #expect(try await client.send(.get, "/api/v1/disputes/\(id)", token: first).status == 200)
            _ = try await client.send(.get, "/api/v1/disputes/\(id)", token: owner)
            #expect(try await stack.env.auditCount("dispute.view") == 1)
            let decided = try await client.send(
                .post, "/api/v1/staff/disputes/\(id)/decision", token: first,
                json: #"{"remedy":"reject","reason":"证据不足。","rule":"规则 4.2：无破损证据不予退款"}"#)
            #expect(decided.json["status"] as? String == "decided", "\(decided.body)")
            #expect(decided.json["ruleApplied"] as? String == "规则 4.2：无破损证据不予退款")

            // act: the consumer appeals; the same arbitrator may not decide it; a different one refunds
            let appealed = try await client.send(
                .post, "/api/v1/disputes/\(id)/appeal", token: buyerAgain, json: #"{"text":"附照片为证。"}"#)
            #expect(appealed.json["status"] as? String == "escalated", "\(appealed.body)")
            let same = try await client.send(
                .post, "/api/v1/staff/disputes/\(id)/decision", token: first,
                json: #"{"remedy":"reject","reason":"维持。","rule":"规则 4.2"}"#)
            #expect(same.status == 403)
            // the appeal was put before the arbitrators who may decide it: the second, not the first
            let db = stack.env.platform.db.sql
            let arbitratorIds = try await AccountStore.activeIds(role: "arbitrator", on: db)
            #expect(arbitratorIds.count == 2)
            for (n, account) in arbitratorIds.enumerated() {
                let told = try await SecurityNoticeStore.list(accountId: account, on: db)
                    .filter { $0.message.contains("awaits a decision") }.count
                #expect(told == (n == 0 ? 0 : 1), "arbitrator \(n + 1)")
            }
            let final = try await client.send(
                .post, "/api/v1/staff/disputes/\(id)/decision", token: second,
                json: #"{"remedy":"full_refund","reason":"照片显示破损。","rule":"规则 4.3：运输破损全额退款"}"#)
            #expect(final.json["status"] as? String == "closed", "\(final.body)")
            let twice = try await client.send(
                .post, "/api/v1/disputes/\(id)/appeal", token: buyerAgain, json: #"{"text":"再次上诉"}"#)
            #expect(twice.status == 409)

            // check
            #expect(try await Self.status(stack, order) == "refunded")
            try await stack.expectLedgerBalanced("appeal")
        }
    }

    @Test("2.4.4: evidence is a real PNG or JPEG without EXIF, from a party; withdrawal unfreezes the escrow")
    func evidenceAndWithdrawal() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (buyer, order, _) = try await Self.shippedOrder(stack, login: "13800138704")
            let id = try await Self.open(client, buyer, order)
            func send(_ bytes: [UInt8], type: String = "image/png", token: String) async throws -> Client.Reply {
                try await client.send(
                    .post, "/api/v1/disputes/\(id)/images", token: token, headers: ["Content-Type": type],
                    rawBody: ByteBuffer(bytes: bytes))
            }
            let png = [UInt8](
                Data(
                    base64Encoded:
                        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
                )!)
            let jpeg: [UInt8] =
                [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8)
                + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
                + [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9]
            let exif: [UInt8] =
                [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10] + Array("Exif".utf8) + [0, 0] + [UInt8](repeating: 0, count: 8)
                + [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9]

            // check: real images are taken and stored encrypted
            #expect(try await send(png, token: buyer).status == 201)
            #expect(try await send(jpeg, type: "image/jpeg", token: buyer).status == 201)
            let stored = try await stack.env.platform.db.sql.raw("SELECT image_cipher FROM dispute_evidence").all()
            #expect(
                try stored.allSatisfy {
                    try $0.decode(column: "image_cipher", as: Data.self).range(of: Data(png)) == nil
                })
            // refused: text pretending to be a PNG, EXIF, too big, and anyone who is not a party
            let fake = try await send(Array("not an image at all".utf8), token: buyer)
            #expect(fake.status == 422 && fake.problemType == "invalid-image")
            #expect(try await send(exif, type: "image/jpeg", token: buyer).status == 422)
            let huge = try await send(png + [UInt8](repeating: 0, count: ImageCheck.maximumBytes), token: buyer)
            #expect(huge.status == 413 || huge.status == 422)
            let stranger = try await client.newSession(login: "13800138799")
            #expect(try await send(png, token: stranger).status == 404)
            let view = try await client.send(.get, "/api/v1/disputes/\(id)", token: buyer)
            let evidence = try #require(view.json["evidence"] as? [[String: Any]])
            #expect(evidence.count == 2 && evidence.first?["image"] as? String == Data(png).base64EncodedString())

            // act: the consumer withdraws; receipt is then confirmed as usual
            let withdrawn = try await client.send(.post, "/api/v1/disputes/\(id)/withdraw", token: buyer)
            #expect(withdrawn.json["status"] as? String == "withdrawn")
            stack.env.clock.advance(seconds: 11 * 86_400)
            #expect(try await Orders.confirmOverdue(platform: stack.env.platform) == 1)
            #expect(try await Self.status(stack, order) == "completed")
            try await stack.expectLedgerBalanced("withdrawal")
        }
    }

    @Test("2.4.4, 2.4.3: a merchant that loses three disputes in 90 days is flagged for the risk analysts")
    func lostDisputesFlagged() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (listing, owner) = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "loser@disputes.example", title: "茶叶", price: 1_000, stock: 10)
            for n in 0..<3 {
                let (buyer, order) = try await stack.paidOrder(listing, login: "1380013875\(n)")
                _ = try await client.send(
                    .post, "/api/v1/merchant/orders/\(order)/ship", token: owner,
                    json: #"{"carrier":"EMS","trackingNumber":"E1"}"#)
                let id = try await Self.open(client, buyer, order)
                let accepted = try await client.send(
                    .post, "/api/v1/merchant/disputes/\(id)/response", token: owner,
                    json: #"{"accept":true,"text":"同意退款。"}"#)
                #expect(accepted.json["status"] as? String == "closed", "\(accepted.body)")
            }
            let decisions = try await stack.env.platform.db.sql.raw(
                "SELECT outcome FROM risk_decisions WHERE event = 'dispute_lost' ORDER BY created_at"
            ).all().map { try $0.decode(column: "outcome", as: String.self) }
            #expect(decisions == ["allow", "allow", "review"])
            #expect(try await stack.env.count("risk_cases") == 1)
            try await stack.expectLedgerBalanced("three refunds")
        }
    }

    @Test("2.4.4: a merchant complains about a consumer; an upheld complaint counts against the consumer's next claim")
    func merchantComplaint() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let (buyer, order, owner) = try await Self.shippedOrder(stack, login: "13800138705")
            let other = try await OrderTests.merchantListingAndOwner(
                client, stack.env, login: "other@complaints.example", title: "茶壶", price: 500, stock: 1
            ).owner
            // only the merchant of the order may complain about its buyer
            let foreign = try await client.send(
                .post, "/api/v1/merchant/complaints", token: other,
                json: Client.jsonString(["orderId": order, "reason": "abusive_behaviour", "text": "辱骂客服。"]))
            #expect(foreign.status == 404)
            let filed = try await client.send(
                .post, "/api/v1/merchant/complaints", token: owner,
                json: Client.jsonString(["orderId": order, "reason": "fraudulent_claim", "text": "谎称未收到货。"]))
            #expect(filed.status == 201, "\(filed.body)")
            let id = try #require(filed.json["id"] as? String)

            // an arbitrator upholds it
            let arbitrator = try await Self.arbitrator(client, stack.env, 3)
            let queue = try await client.send(.get, "/api/v1/staff/complaints", token: arbitrator)
            #expect((queue.json["complaints"] as? [[String: Any]])?.first?["text"] as? String == "谎称未收到货。")
            let upheld = try await client.send(
                .post, "/api/v1/staff/complaints/\(id)/decision", token: arbitrator,
                json: #"{"uphold":true,"note":"物流显示已签收。"}"#)
            #expect(upheld.json["status"] as? String == "upheld", "\(upheld.body)")
            #expect(upheld.json["note"] as? String == "物流显示已签收。", "the note reads back")
            let storedNote = try await stack.env.platform.db.sql.raw("SELECT note FROM complaints").first()?
                .decode(column: "note", as: String.self)
            #expect(storedNote?.hasPrefix("sealed:") == true, "and is sealed at rest")

            // the consumer's dispute on that order now goes to the risk analysts as well
            _ = try await Self.open(client, buyer, order)
            let reasons = try await stack.env.platform.db.sql.raw(
                "SELECT d.reasons AS reasons FROM risk_cases c JOIN risk_decisions d ON d.id = c.decision_id"
            ).all().map { try $0.decode(column: "reasons", as: String.self) }
            #expect(reasons.count == 1 && reasons[0].contains("claims.merchant_complaint_upheld"))
        }
    }

    @Test("2.4.4: the merchant may still accept after countering; a consumer may withdraw an escalated case")
    func remainingPaths() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            // negotiating → accept (merchant): the consumer's request, at once
            let (buyer, order, owner) = try await Self.shippedOrder(stack, login: "13800138706")
            let first = try await Self.open(client, buyer, order)
            _ = try await client.send(
                .post, "/api/v1/merchant/disputes/\(first)/response", token: owner,
                json: #"{"accept":false,"offerRemedy":"replacement","text":"可以换货。"}"#)
            let accepted = try await client.send(
                .post, "/api/v1/merchant/disputes/\(first)/response", token: owner,
                json: #"{"accept":true,"text":"同意退款。"}"#)
            #expect(accepted.json["status"] as? String == "closed", "\(accepted.body)")
            #expect(try await Self.status(stack, order) == "refunded")

            // escalated → withdraw (consumer): nothing moves, the escrow unfreezes
            let (buyer2, order2, owner2) = try await Self.shippedOrder(stack, login: "13800138707")
            let second = try await Self.open(client, buyer2, order2)
            _ = try await client.send(
                .post, "/api/v1/merchant/disputes/\(second)/response", token: owner2,
                json: #"{"accept":false,"offerRemedy":"reject","text":"不同意。"}"#)
            // a flat refusal leaves nothing to negotiate: the consumer may ask the platform at once
            let again = buyer2
            #expect(
                try await client.send(.post, "/api/v1/disputes/\(second)/escalate", token: again).json["status"]
                    as? String == "escalated")
            let withdrawn = try await client.send(.post, "/api/v1/disputes/\(second)/withdraw", token: again)
            #expect(withdrawn.json["status"] as? String == "withdrawn", "\(withdrawn.body)")
            #expect(try await Self.status(stack, order2) == "shipped")
            // nothing more can happen to a withdrawn case
            let late = try await client.send(
                .post, "/api/v1/disputes/\(second)/appeal", token: again, json: #"{"text":"上诉"}"#)
            #expect(late.status == 409)
            try await stack.expectLedgerBalanced("paths")
        }
    }

    @Test("2.4.4: negotiation's end opens escalation once; a late arbitration is raised with the staff, daily")
    func negotiationAndArbitrationDeadlines() async throws {
        try await PaymentStack.with(.sqlite, duplicateRate: 0) { stack in
            let client = stack.client
            let platform = stack.env.platform
            let db = platform.db.sql
            let (buyer, order, owner) = try await Self.shippedOrder(stack, login: "13800138708")
            let id = try await Self.open(client, buyer, order)
            _ = try await client.send(
                .post, "/api/v1/merchant/disputes/\(id)/response", token: owner,
                json: #"{"accept":false,"offerRemedy":"replacement","text":"可以换货。"}"#)
            let opensAt = try #require(try await DisputeStore.find(id: id, on: db)?.due_at)

            // a second counter later does not push the escalation window back
            stack.env.clock.advance(seconds: 600)
            let again = try await client.send(
                .post, "/api/v1/merchant/disputes/\(id)/response", token: owner,
                json: #"{"accept":false,"offerRemedy":"partial_refund","offerAmountFen":1000,"text":"可退十元。"}"#)
            #expect(again.json["status"] as? String == "negotiating", "\(again.body)")
            #expect(try await DisputeStore.find(id: id, on: db)?.due_at == opensAt)

            // act: negotiation's 3 days end; both parties are told once that they may escalate
            stack.env.clock.advance(seconds: 3 * 86_400 - 660)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0, "not yet")
            stack.env.clock.advance(seconds: 120)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0, "told once")
            let row = try #require(try await DisputeStore.find(id: id, on: db))
            #expect(row.status == "negotiating" && row.due_at == nil)
            let consumerNotices = try await SecurityNoticeStore.list(accountId: row.consumer_id, on: db)
            #expect(consumerNotices.filter { $0.message.contains("may now ask the platform") }.count == 1)
            #expect(try await stack.env.auditCount("dispute.escalation_open") == 1)

            // the consumer escalates; two arbitrators and a compliance officer are on duty
            let buyerAgain = try await client.token(login: "13800138708")
            let escalated = try await client.send(.post, "/api/v1/disputes/\(id)/escalate", token: buyerAgain)
            #expect(escalated.json["status"] as? String == "escalated", "\(escalated.body)")
            let first = try await TeamAccounts.addPlatformStaff(
                role: .arbitrator, login: "late1@platform.example", displayName: "仲裁", password: nil,
                platform: platform)
            let second = try await TeamAccounts.addPlatformStaff(
                role: .arbitrator, login: "late2@platform.example", displayName: "仲裁", password: nil,
                platform: platform)
            let officer = try await TeamAccounts.addPlatformStaff(
                role: .complianceOfficer, login: "officer@platform.example", displayName: "合规", password: nil,
                platform: platform)
            func lateNotices(_ account: String) async throws -> Int {
                try await SecurityNoticeStore.list(accountId: account, on: db)
                    .filter { $0.message.contains("arbitration deadline") }.count
            }

            // act: 4 days on nothing is due; past 5 days the case is overdue
            stack.env.clock.advance(seconds: 4 * 86_400)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0)
            stack.env.clock.advance(seconds: 86_400 + 60)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)

            // check: the staff and the parties are told, nothing moved, the escrow is frozen
            for staff in [first.id, second.id, officer.id] { #expect(try await lateNotices(staff) == 1) }
            let partyNotices = try await SecurityNoticeStore.list(accountId: row.consumer_id, on: db)
            #expect(partyNotices.contains { $0.message.contains("decision is late") })
            let overdue = try #require(try await DisputeStore.find(id: id, on: db))
            #expect(overdue.status == "escalated")
            #expect(try await Self.status(stack, order) == "shipped")
            #expect(try await Orders.confirmOverdue(platform: platform) == 0)
            let timeline = try await DisputeStore.events(disputeId: id, on: db).map(\.kind)
            #expect(timeline.filter { $0 == "arbitration_overdue" }.count == 1)
            // the reminder repeats the next day, not before
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0)
            stack.env.clock.advance(seconds: 86_400)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 1)
            #expect(try await lateNotices(second.id) == 2)
            #expect(try await stack.env.auditCount("dispute.arbitration_overdue") == 2)

            // a decision ends the reminders; money waits for the appeal window as usual
            let arbitrator = try await RouteAuthorizationTests.signInWithTwoFactor(
                client: client, login: "late1@platform.example", password: first.oneTimePassword)
            let decided = try await client.send(
                .post, "/api/v1/staff/disputes/\(id)/decision", token: arbitrator,
                json: #"{"remedy":"reject","reason":"证据不足。","rule":"规则 4.2"}"#)
            #expect(decided.json["status"] as? String == "decided", "\(decided.body)")
            stack.env.clock.advance(seconds: 86_400)
            #expect(try await Disputes.enforceDeadlines(platform: platform) == 0)
            #expect(try await lateNotices(second.id) == 2)
            try await stack.expectLedgerBalanced("late arbitration")
        }
    }

    @Test("2.4.4: the dispute deadlines are configurable; nonsense keeps the defaults")
    func configurableDeadlines() {
        let set = AppConfig.fromEnvironment([
            "COVENANT_DISPUTE_RESPONSE_HOURS": "48", "COVENANT_DISPUTE_ESCALATE_DAYS": "2",
            "COVENANT_DISPUTE_ARBITRATION_DAYS": "4", "COVENANT_DISPUTE_APPEAL_DAYS": "10",
        ]).security.disputes
        #expect(
            [set.merchantResponseHours, set.escalateAfterDays, set.arbitrationDays, set.appealDays] == [48, 2, 4, 10])
        let nonsense = AppConfig.fromEnvironment([
            "COVENANT_DISPUTE_RESPONSE_HOURS": "0", "COVENANT_DISPUTE_APPEAL_DAYS": "soon",
        ]).security.disputes
        #expect(nonsense.merchantResponseHours == 72 && nonsense.appealDays == 7)
    }
}
