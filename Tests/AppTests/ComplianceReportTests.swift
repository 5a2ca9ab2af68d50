import App
import Domain
import Foundation
import Marketplace
import SQLKit
import Storage
import Testing

/// Issue 11: `covenant compliance report` lists every clause with its controls and live evidence, passes on a healthy
/// platform and fails exactly the clause whose evidence a weakened platform no longer meets.
@Suite("Compliance report")
struct ComplianceReportTests {
    /// The agreement's clause IDs, written out here rather than read from the code under test.
    static let clauseIDs = [
        "1.1.1", "1.1.2", "1.1.3", "1.1.4", "2.1", "2.2", "2.3.1", "2.3.2", "2.3.3", "2.3.4", "2.3.5", "2.3.6",
        "2.4.1", "2.4.2", "2.4.3", "2.4.4", "2.5", "2.6", "3.1", "3.2", "3.3", "3.4", "3.5",
    ]

    static let officer = Caller(
        accountId: "security-1", role: .securityOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)

    /// Outside facts of a well-run install: TLS on, a backup an hour old.
    static func healthyFacts(_ env: TestPlatform) -> ComplianceReport.Facts {
        ComplianceReport.Facts(
            newestBackupFileAt: env.clock.nowMillis - 3_600_000, newestBackupVerified: true, tlsEnabled: true)
    }

    /// A consumer (with the consent registration records) and a merchant enrolled in two-factor.
    static func populate(_ env: TestPlatform) async throws {
        try await env.withClient { client in
            _ = try await client.newSession(login: "13800138901")
            _ = try await client.newSession(login: "13800138902")
            let merchant = try await client.newSession(kind: "merchant", login: "owner@compliance.example")
            _ = try await client.enrolTwoFactor(token: merchant)
        }
    }

    @Test("2.1: all 23 clauses appear, in order, each with a control that names its source, tests and evidence")
    func everyClauseHasAControl() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // act
            let report = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // check
            #expect(report.clauses.map(\.id) == Self.clauseIDs)
            #expect(AgreementClauses.all.map(\.id) == Self.clauseIDs)
            for clause in report.clauses {
                #expect(!clause.title.isEmpty, "\(clause.id)")
                #expect(!clause.controls.isEmpty, "\(clause.id) has no control")
                for control in clause.controls {
                    #expect(!control.name.isEmpty && !control.evidence.figure.isEmpty, "\(clause.id)")
                    #expect(!control.implementedIn.isEmpty && !control.tests.isEmpty, "\(clause.id): \(control.name)")
                    #expect(control.tests.allSatisfy { $0.hasSuffix("Tests.swift") }, "\(clause.id): \(control.tests)")
                }
            }
            // every cited source, document and test exists in this repository
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let tests = Set(
                try FileManager.default.subpathsOfDirectory(atPath: root.appendingPathComponent("Tests").path)
                    .map { ($0 as NSString).lastPathComponent })
            for control in report.clauses.flatMap(\.controls) {
                for path in control.implementedIn {
                    #expect(
                        FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path),
                        "\(control.name): \(path)")
                }
                for test in control.tests { #expect(tests.contains(test), "\(control.name): \(test)") }
            }
            // the definitional clauses are met by the controls that implement the definitions
            for id in ["1.1.1", "1.1.2", "1.1.4"] {
                #expect(
                    report.clauses.first { $0.id == id }?.controls.contains { $0.evidence.kind == .definition } == true,
                    "\(id)")
            }
        }
    }

    @Test(
        "2.2, 3.2: a healthy platform passes every clause, and generating the report is audited",
        arguments: Backend.available)
    func healthyPlatformPasses(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup
            try await Self.populate(env)

            // act
            let report = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // check
            #expect(report.passed, "failing: \(report.clauses.filter { !$0.passed })")
            #expect(report.failedClauses.isEmpty)
            let audit = try #require(report.clauses.first { $0.id == "2.2" }?.controls.first)
            #expect(audit.evidence.kind == .check && audit.evidence.figure.contains("tree size"))
            let twoFactor = try #require(report.clauses.first { $0.id == "3.2" }?.controls.first?.evidence)
            #expect(twoFactor.figure.contains("1/1") && twoFactor.figure.contains("100%"))
            let catalog = try #require(report.clauses.first { $0.id == "2.3.2" }?.controls.first?.evidence)
            #expect(catalog.passed && catalog.figure.contains("0 personal values stored in clear"))
            #expect(try await env.auditCount("compliance.report") == 1)
        }
    }

    @Test("2.2: without TLS, a recent backup, or a verified restore of it, 2.2 and its umbrella 2.1 fail")
    func missingBackupFails() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // setup
            try await Self.populate(env)
            let stale = ComplianceReport.Facts(
                newestBackupFileAt: env.clock.nowMillis - 30 * 3_600_000, newestBackupVerified: true, tlsEnabled: true)
            let plain = ComplianceReport.Facts(
                newestBackupFileAt: env.clock.nowMillis, newestBackupVerified: true, tlsEnabled: false)
            let unverified = ComplianceReport.Facts(
                newestBackupFileAt: env.clock.nowMillis, newestBackupVerified: false, tlsEnabled: true)

            // act
            let old = try await ComplianceReport.build(platform: env.platform, facts: stale)
            let noTLS = try await ComplianceReport.build(platform: env.platform, facts: plain)
            let untested = try await ComplianceReport.build(platform: env.platform, facts: unverified)

            // check
            #expect(old.failedClauses == ["2.1", "2.2"] && !old.passed)
            #expect(noTLS.failedClauses == ["2.1", "2.2"])
            #expect(untested.failedClauses == ["2.1", "2.2"], "a recent backup never verified by a restore fails")
            let backup = old.clauses.first { $0.id == "2.2" }?.controls.first { $0.name.contains("backup") }
            #expect(backup?.evidence.passed == false)
        }
    }

    @Test("3.2: a staff account without two-factor fails 3.2 and the report", arguments: Backend.available)
    func staffWithoutTwoFactorFails(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup
            try await Self.populate(env)
            _ = try await TeamAccounts.addPlatformStaff(
                role: .support, login: "agent@platform.example", displayName: "客服", password: nil,
                platform: env.platform)

            // act
            let report = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // check
            #expect(!report.passed)
            #expect(report.failedClauses == ["3.2"])
            let evidence = try #require(report.clauses.first { $0.id == "3.2" }?.controls.first?.evidence)
            #expect(!evidence.passed && evidence.figure.contains("1/2") && evidence.figure.contains("50%"))
            // counts only: the staff member's login appears nowhere in the report
            let json = String(decoding: try ComplianceRendering.json(report), as: UTF8.self)
            #expect(!json.contains("agent@platform.example") && !json.contains("客服"))
        }
    }

    @Test("2.3.6: an incident whose notification clock ran out fails 2.3.6", arguments: Backend.available)
    func lateIncidentFails(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup: an incident affecting the consumers, analysed and then left alone past its 24 hours
            try await Self.populate(env)
            env.clock.advance(seconds: 60)
            let now = env.clock.nowMillis
            let incident = try await Incidents.register(
                type: "data_loss", title: "磁盘损坏", description: "A disk failed.", discoveredAt: now, grade: nil,
                caller: Self.officer, platform: env.platform)
            _ = try await Incidents.analyse(
                id: incident.id, scope: CompromisedScope(kind: "table", value: "accounts", from: 0, to: now),
                caller: Self.officer, platform: env.platform)
            let running = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // act
            env.clock.advance(seconds: 25 * 3_600)
            let late = try await ComplianceReport.build(
                platform: env.platform,
                facts: ComplianceReport.Facts(
                    newestBackupFileAt: now + 24 * 3_600_000, newestBackupVerified: true, tlsEnabled: true))

            // check: within the clock it passes; past it, 2.3.6 (and the umbrella) fail
            #expect(running.passed, "\(running.clauses.filter { !$0.passed })")
            #expect(
                running.clauses.first { $0.id == "2.3.6" }?.controls.first?.evidence.figure.contains("1 with the clock")
                    == true)
            #expect(late.failedClauses == ["2.1", "2.3.6"])
            let evidence = try #require(late.clauses.first { $0.id == "2.3.6" }?.controls.first?.evidence)
            #expect(!evidence.passed && evidence.figure.contains("1 past it"))
        }
    }

    @Test(
        "2.3.5, 2.6: a rights request past its deadline fails 2.3.5; an unassessed provider fails 2.6",
        arguments: Backend.available)
    func lateRequestAndUnassessedProviderFail(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup: a deletion request answered on time, one left open past its due date, and a new provider
            try await Self.populate(env)
            let now = env.clock.nowMillis
            let db = env.platform.db.sql
            for (id, due, completed) in [("r-1", now + 1_000, Optional(now)), ("r-2", now - 1_000, nil)] {
                try await db.raw(
                    """
                    INSERT INTO privacy_requests (id, account_id, kind, status, created_at, due_at, completed_at)
                    VALUES (\(bind: id), 'someone', 'delete', 'open', \(bind: now - 86_400_000), \(bind: due),
                    \(bind: completed))
                    """
                ).run()
            }
            let carrier = try await ProviderTests.register(.logistics, 8, platform: env.platform)

            // act
            let weakened = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))
            try await db.raw("UPDATE privacy_requests SET completed_at = due_at WHERE id = 'r-2'").run()
            try await ProviderTests.assess(carrier.id, result: "pass", reviewIn: 200, platform: env.platform)
            let repaired = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // check
            #expect(weakened.failedClauses == ["2.1", "2.3.5", "2.6"])
            let rights = try #require(weakened.clauses.first { $0.id == "2.3.5" }?.controls.first?.evidence)
            #expect(rights.figure.hasPrefix("1/2 rights requests") && rights.figure.contains("1 late"))
            let providers = try #require(weakened.clauses.first { $0.id == "2.6" }?.controls.first?.evidence)
            #expect(providers.figure.hasPrefix("0/1 active providers"))
            #expect(repaired.passed, "\(repaired.clauses.filter { !$0.passed })")
        }
    }

    @Test("2.2: a tampered audit event fails 2.2, naming the position", arguments: Backend.available)
    func tamperedAuditFails(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            // setup
            try await Self.populate(env)
            try await AuditIntegration.integrate(platform: env.platform)
            try await env.platform.db.sql.raw("UPDATE audit_events SET outcome = 'failure' WHERE leaf_index = 1").run()

            // act
            let report = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))

            // check
            #expect(report.failedClauses == ["2.1", "2.2"])
            let audit = try #require(report.clauses.first { $0.id == "2.2" }?.controls.first?.evidence)
            #expect(!audit.passed && audit.figure.contains("position 1"))
            let events = try await AuditStore.events(type: "compliance.report", on: env.platform.db.sql)
            #expect(events.count == 1 && events.first?.outcome == "failure", "a failing report is audited as one")
        }
    }

    @Test("2.1: the JSON form round-trips; the HTML form escapes every value and keeps Chinese intact")
    func renderings() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // setup: a report, with hostile and Chinese text put into it through its JSON form
            let report = try await ComplianceReport.build(platform: env.platform, facts: Self.healthyFacts(env))
            let json = try ComplianceRendering.json(report)

            // act
            let decoded = try JSONDecoder().decode(ComplianceReport.self, from: json)
            let hostileJSON = String(decoding: json, as: UTF8.self).replacingOccurrences(
                of: "Definition of personal information", with: "<script>alert(\\\"个人信息\\\")</script> & 'x'")
            let hostile = try JSONDecoder().decode(ComplianceReport.self, from: Data(hostileJSON.utf8))
            let html = ComplianceRendering.html(hostile)
            let text = ComplianceRendering.text(report)

            // check
            #expect(decoded == report)
            #expect(hostile.clauses[0].title == "<script>alert(\"个人信息\")</script> & 'x'")
            #expect(!html.contains("<script>"))
            #expect(html.contains("&lt;script&gt;alert(&quot;个人信息&quot;)&lt;/script&gt; &amp; &#39;x&#39;"))
            #expect(html.hasPrefix("<!doctype html>") && html.contains("<meta charset=\"utf-8\">"))
            for id in Self.clauseIDs {
                #expect(html.contains(">\(id)</th>"), "\(id) in HTML")
                #expect(text.contains("  \(id)  "), "\(id) in text")
            }
        }
    }
}
