import App
import Foundation
import Marketplace
import Testing

/// Clause 2.2 (regular risk assessment): `covenant assess` fails on a weakened configuration, naming each item,
/// and passes on a proper one.
@Suite("Self-assessment")
struct SelfAssessmentTests {
    @Test("2.2: a proper configuration passes; a weakened one fails exactly where it was weakened")
    func assess() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // setup: a proper configuration, then the same with four weaknesses
            var proper = env.config
            proper.tlsCertificatePath = "/etc/covenant/cert.pem"
            proper.tlsKeyPath = "/etc/covenant/key.pem"
            proper.security.passwordHashCost = 12
            let good = SelfAssessment.Facts(
                keysGenerated: false, keyFileMode: 0o600, newestBackupAt: env.platform.clock.nowMillis - 3_600_000,
                newestBackupVerified: true)
            var weak = proper
            weak.tlsCertificatePath = nil
            weak.security.passwordHashCost = 10
            weak.security.sessionIdleSeconds = 3_600
            let bad = SelfAssessment.Facts(
                keysGenerated: true, keyFileMode: 0o644, newestBackupAt: nil, newestBackupVerified: false)

            // act
            let passed = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            let failed = try await SelfAssessment.run(platform: env.platform, config: weak, facts: bad)

            // check
            #expect(passed.allSatisfy { $0.passed }, "\(passed.filter { !$0.passed })")
            #expect(
                Set(failed.filter { !$0.passed }.map(\.item))
                    == ["tls", "keys-provisioned", "key-file-mode", "backups", "password-hashing", "session-timeouts"])
            #expect(failed.filter { !$0.passed }.allSatisfy { !$0.fix.isEmpty && !$0.clause.isEmpty })
            // a recent backup that was never verified fails too
            let unverified = SelfAssessment.Facts(
                keysGenerated: false, keyFileMode: 0o600, newestBackupAt: env.platform.clock.nowMillis - 3_600_000,
                newestBackupVerified: false)
            let unchecked = try await SelfAssessment.run(platform: env.platform, config: proper, facts: unverified)
            #expect(unchecked.filter { !$0.passed }.map(\.item) == ["backups"])

            // a merchant without two-factor fails the coverage item
            try await env.withClient { client in
                _ = try await client.newSession(kind: "merchant", login: "no2fa@shop.example")
            }
            let coverage = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            #expect(coverage.first { $0.item == "two-factor-coverage" }?.passed == false)

            // an active provider without a current assessment fails its item (2.6); assessing it passes
            let carrier = try await ProviderTests.register(.logistics, 7, platform: env.platform)
            let unassessed = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            #expect(unassessed.first { $0.item == "provider-assessments" }?.passed == false)
            try await ProviderTests.assess(carrier.id, result: "pass", reviewIn: 200, platform: env.platform)
            let assessed = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            #expect(assessed.first { $0.item == "provider-assessments" }?.passed == true)

            // an open vulnerability past its fix-by date fails (2.2); closing it passes
            let officer = Caller(
                accountId: "security-2", role: .securityOfficer, merchantId: nil, sessionId: "s",
                twoFactorVerified: true, twoFactorEnrolled: true, mustChangePassword: false)
            let finding = try await Vulnerabilities.record(
                title: "Outdated TLS library", component: "edge proxy", reference: "CVE-2026-0001",
                severity: "critical", foundAt: env.platform.clock.nowMillis - 8 * 86_400_000, caller: officer,
                platform: env.platform)
            #expect(finding.overdue && finding.fixBy == finding.foundAt + 7 * 86_400_000)
            let late = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            #expect(late.first { $0.item == "vulnerabilities" }?.passed == false)
            _ = try await Vulnerabilities.close(
                id: finding.id, status: "fixed", note: "upgraded", caller: officer, platform: env.platform)
            let fixed = try await SelfAssessment.run(platform: env.platform, config: proper, facts: good)
            #expect(fixed.first { $0.item == "vulnerabilities" }?.passed == true)
        }
    }
}
