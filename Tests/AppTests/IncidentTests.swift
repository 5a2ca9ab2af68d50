import Domain
import Foundation
import Marketplace
import Storage
import Synchronization
import Testing

/// Clause 2.3.6 (PIPL Art. 57): the breach drill on a controlled clock. Who was affected comes from the access log;
/// every affected person is notified within the agreement's 24 hours on every channel, with retries; the regulator's
/// report is produced within 4 hours; clocks and overdue items show.
@Suite("Incidents and breach notification")
struct IncidentTests {
    static let officer = Caller(
        accountId: "security-1", role: .securityOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)
    static let admin = Caller(
        accountId: "admin-1", role: .admin, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)

    /// An e-mail relay that is down for its first `failures` messages.
    final class FlakyEmail: EmailSender {
        let failures = Mutex(1)
        let outbox = EmailOutbox()
        struct Down: Error {}

        func send(to address: String, subject: String, body: String) async throws {
            let fail = failures.withLock { left in
                defer { left -= 1 }
                return left > 0
            }
            if fail { throw Down() }
            try await outbox.send(to: address, subject: subject, body: body)
        }
    }

    @Test(
        "2.3.6: the drill — affected people from the access log, notified within 24 hours, regulator within 4",
        arguments: Backend.available)
    func drill(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                var platform = env.platform
                platform.incidentPolicy = IncidentPolicy(
                    peopleThresholds: [3, 1_000, 10_000], sensitiveThresholds: [100, 1_000, 10_000], regulatorHours: 4,
                    notifyHours: 24)
                let email = FlakyEmail()
                platform.emails = email
                // setup: four consumers; a support agent whose account is later found compromised reveals three
                let logins = ["13800138701", "13800138702", "victim@mail.example", "13800138704"]
                var ids: [String] = []
                for login in logins {
                    let token = try await client.newSession(login: login)
                    ids.append(
                        try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String))
                }
                let agent = try await TeamAccounts.addPlatformStaff(
                    role: .support, login: "agent@platform.example", displayName: "客服", password: nil,
                    platform: platform)
                try await StaffTraining.record(
                    staffId: agent.id, completedAt: nil, validDays: 365, caller: Self.admin, platform: platform)
                let agentCaller = Caller(
                    accountId: agent.id, role: .support, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                    twoFactorEnrolled: true, mustChangePassword: false)
                let start = platform.clock.nowMillis
                for id in ids.prefix(3) {
                    _ = try await Reveal.byStaff(
                        accountId: id, fields: [.login, .displayName], purpose: .customerSupport,
                        justification: "客户来电查询订单状态", caller: agentCaller, platform: platform)
                }

                // act: discovered an hour later; the analysis names exactly the three
                env.clock.advance(seconds: 3_600)
                let discovered = platform.clock.nowMillis
                let incident = try await Incidents.register(
                    type: "data_leak", title: "客服账号被盗用 / a support account was taken over",
                    description: "The agent's password was phished; the attacker revealed customers' contact data.",
                    discoveredAt: discovered, grade: nil, caller: Self.officer, platform: platform)
                #expect(incident.grade == "general" && incident.regulatorDueAt == nil)
                let analysed = try await Incidents.analyse(
                    id: incident.id,
                    scope: CompromisedScope(kind: "account", value: agent.id, from: start - 60_000, to: discovered),
                    caller: Self.officer, platform: platform)
                #expect(analysed.people == 3 && analysed.consumers == 3 && analysed.merchants == 0)
                #expect(analysed.categories == ["login", "name"])
                #expect(analysed.grade == "relatively_major", "three people reach this drill's threshold")
                #expect(analysed.regulatorDueAt == discovered + 4 * 3_600_000)
                #expect(analysed.notifyDueAt == discovered + 24 * 3_600_000)

                // the regulator's report within 4 hours
                env.clock.advance(seconds: 3 * 3_600)
                let report =
                    try JSONSerialization.jsonObject(
                        with: try await Incidents.regulatorReport(
                            id: incident.id, caller: Self.officer, platform: platform))
                    as? [String: String]
                #expect(report?["peopleAffected"] == "3" && report?["grade"] == "relatively_major")
                #expect(report?["categories"] == "login, name")

                // notices: queued in one transaction, delivered by the background service, retried when a channel fails
                let notified = try await Incidents.notify(
                    id: incident.id, measures: "已冻结该客服账号并重置密码 / we locked the account and reset its password",
                    caller: Self.officer, platform: platform)
                #expect(notified.notificationsPending == 3)
                #expect(try await Notifications.deliverDue(platform: platform) == 5, "3 inboxes + 2 SMS; e-mail failed")
                env.clock.advance(seconds: 61)
                #expect(try await Notifications.deliverDue(platform: platform) == 1, "the e-mail, retried")

                // check: every affected person has the notice on every channel; the fourth has none
                let sms = try #require(platform.textMessages as? MessageOutbox)
                #expect(sms.messages(to: "13800138701").count == 1 && sms.messages(to: "13800138702").count == 1)
                #expect(sms.messages(to: "13800138704").isEmpty)
                let mail = try #require(email.outbox.mails(to: "victim@mail.example").first)
                for part in ["login", "name", "客服账号被盗用", "we locked the account", platform.incidentContact] {
                    #expect(mail.contains(part), "the notice says \(part)")
                }
                for (n, login) in logins.enumerated() {
                    let token = try await client.token(login: login)  // the earlier sessions have expired
                    let notices = try await client.send(.get, "/api/v1/me/notices", token: token).body
                    #expect(notices.contains("个人信息安全事件通知") == (n < 3), "consumer \(n)")
                }
                let done = try await Incidents.get(id: incident.id, caller: Self.officer, platform: platform)
                #expect(done.notificationsDelivered == 3 && done.notificationsPending == 0)
                #expect(!done.notifyOverdue && !done.regulatorOverdue)
                #expect(try #require(done.regulatorReportedAt) <= discovered + 4 * 3_600_000)
                let rows = try await NotificationStore.forReference("incident:\(incident.id)", on: platform.db.sql)
                #expect(rows.allSatisfy { $0.status == "delivered" && ($0.delivered_at ?? .max) <= done.notifyDueAt })
                #expect(done.timeline.map(\.kind) == ["registered", "impact", "regulator", "notices"])

                // an incident nobody acts on shows both clocks overdue
                let ignored = try await Incidents.register(
                    type: "data_loss", title: "磁盘损坏", description: "A disk failed.",
                    discoveredAt: platform.clock.nowMillis,
                    grade: "major", caller: Self.officer, platform: platform)
                _ = try await Incidents.analyse(
                    id: ignored.id,
                    scope: CompromisedScope(kind: "table", value: "accounts", from: 0, to: platform.clock.nowMillis),
                    caller: Self.officer, platform: platform)
                env.clock.advance(seconds: 25 * 3_600)
                let late = try await Incidents.get(id: ignored.id, caller: Self.officer, platform: platform)
                #expect(late.people >= 4 && late.regulatorOverdue && late.notifyOverdue)
                #expect(try await env.auditCount("incident.notices") == 1)
                #expect(try await env.auditCount("incident.regulator") == 1)
            }
        }
    }

    @Test("2.3.6: grades follow the thresholds and never fall below the floor staff set")
    func grading() {
        let policy = IncidentPolicy.standard
        #expect(policy.grade(people: 10, sensitiveRecords: 0) == .general)
        #expect(policy.grade(people: 100_000, sensitiveRecords: 0) == .relativelyMajor)
        #expect(policy.grade(people: 5, sensitiveRecords: 100_000) == .major)
        #expect(policy.grade(people: 10, sensitiveRecords: 0, atLeast: .major) == .major)
        #expect(policy.regulatorDue(discoveredAt: 0, grade: .general) == nil)
        let fourHours: Int64 = 4 * 3_600_000
        #expect(policy.regulatorDue(discoveredAt: 0, grade: .relativelyMajor) == fourHours)
    }
}
