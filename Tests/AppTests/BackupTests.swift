import App
import Foundation
import Marketplace
import SQLKit
import Storage
import Testing

/// Clause 2.2 (backup and recovery): scheduled, encrypted backups keep the newest few, and each one verifies by
/// restoring it into a scratch database and running the ledger and audit checks; a changed byte fails.
@Suite("Backups")
struct BackupTests {
    @Test("2.2: scheduled backups are taken when due, pruned to the newest, and verify; a tampered one does not")
    func scheduled() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in _ = try await client.newSession(login: "13800138901") }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backups-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let platform = env.platform
            let day = Duration.seconds(86_400)
            // act: due at first, not again within the day, then due each day; three days kept two
            let first = try await Backups.backupIfDue(platform: platform, directory: directory, interval: day, keep: 2)
            #expect(first != nil)
            env.clock.advance(seconds: 3_600)
            #expect(
                try await Backups.backupIfDue(platform: platform, directory: directory, interval: day, keep: 2) == nil)
            for _ in 0..<2 {
                env.clock.advance(seconds: 86_400)
                #expect(
                    try await Backups.backupIfDue(platform: platform, directory: directory, interval: day, keep: 2)
                        != nil)
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            let firstName = (try #require(first) as NSString).lastPathComponent
            #expect(files.count == 2 && !files.contains(firstName))
            let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + files[0])[.posixPermissions]
            #expect((mode as? NSNumber)?.intValue == 0o600)
            #expect(try await env.auditCount("backup.create") == 3)

            // check: the newest verifies in a scratch database
            let newest = directory + "/" + files[1]
            let report = try await Backups.verify(
                file: newest, keys: platform.keys, settings: platform.settings, keep: nil, logger: platform.logger)
            #expect(report.passed, "\(report.lines)")
            #expect(Backups.isVerified(file: newest), "a passing verification is marked beside the backup")
            #expect(!Backups.isVerified(file: directory + "/" + files[0]), "the other was never verified")
            // check: one changed byte and it no longer opens
            var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
            bytes[bytes.count - 100] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: newest))
            let tampered = try await Backups.verify(
                file: newest, keys: platform.keys, settings: platform.settings, keep: nil, logger: platform.logger)
            #expect(!tampered.passed)
            #expect(!Backups.isVerified(file: newest), "a changed backup is no longer verified")
        }
    }

    @Test("2.3.5: a person erased after a backup stays erased when that backup is restored (the erasure journal)")
    func erasedStaysErased() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-\(UUID())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var platform = env.platform
            platform.erasureJournal = ErasureJournal(path: directory + "/erasures.journal")
            let erased = platform
            // setup: a consumer, a backup, then the consumer erases their account
            let id = try await env.withClient { client in
                let token = try await client.newSession(login: "13800138902")
                return try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
            }
            let backup = try await Backups.create(platform: platform, target: directory + "/before.backup")
            _ = try await Rights.erase(
                password: "correct horse battery 42",
                caller: Caller(
                    accountId: id, role: .consumer, merchantId: nil, sessionId: "s", twoFactorVerified: false,
                    twoFactorEnrolled: false, mustChangePassword: false), ip: "203.0.113.7", platform: erased)
            #expect(erased.erasureJournal?.subjects() == [id])

            // act: restore the backup into a scratch database, with and without the journal
            func restoredState(journal: ErasureJournal?) async throws -> (key: Bool, status: String, sessions: Int) {
                let restored = directory + "/restored-\(UUID()).sqlite"
                let report = try await Backups.verify(
                    file: backup, keys: platform.keys, settings: platform.settings, keep: restored, journal: journal,
                    logger: platform.logger)
                #expect(report.passed, "\(report.lines)")
                let db = try DatabaseStack(location: .sqliteFile(restored), logger: platform.logger)
                let key =
                    try await db.sql.raw(
                        "SELECT wrapped_key IS NOT NULL AS alive FROM subject_keys WHERE subject_id = \(bind: id)"
                    ).first()?.decode(column: "alive", as: Bool.self) ?? false
                let status =
                    try await db.sql.raw("SELECT status FROM accounts WHERE id = \(bind: id)").first()?
                    .decode(column: "status", as: String.self) ?? "missing"
                let sessions =
                    try await db.sql.raw(
                        "SELECT COUNT(*) AS n FROM sessions WHERE account_id = \(bind: id) AND revoked_at IS NULL"
                    ).first()?.decode(column: "n", as: Int.self) ?? -1
                await db.shutdown()
                return (key, status, sessions)
            }
            // check: the old backup still holds the person; replaying the journal erases them again in full: key
            // destroyed, account a tombstone, no session left that could still open it
            let without = try await restoredState(journal: nil)
            #expect(without.key && without.status == "active" && without.sessions == 1)
            let with = try await restoredState(journal: erased.erasureJournal)
            #expect(!with.key && with.status == "erased" && with.sessions == 0, "\(with)")
            // several instances: restored on another instance, whose own journal lacks the erasure, with the
            // erasing instance's journal given (`covenant backup restore --journal`)
            let elsewhere = ErasureJournal(
                path: directory + "/other-instance.journal", others: [directory + "/erasures.journal"])
            #expect(elsewhere.subjects() == [id])
            let fromOther = try await restoredState(journal: elsewhere)
            #expect(!fromOther.key && fromOther.status == "erased" && fromOther.sessions == 0, "\(fromOther)")
        }
    }

    @Test(
        "2.2: backup → verify → restore gives a database whose rows and checks match the original",
        arguments: Backend.available)
    func roundTrip(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            let platform = env.platform
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            func counts(_ sql: any SQLDatabase) async throws -> [Int] {
                var counts: [Int] = []
                for table in ["accounts", "audit_events", "subject_keys", "sessions"] {
                    let row = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
                    counts.append(try row?.decode(column: "n", as: Int.self) ?? -1)
                }
                return counts
            }
            // setup: two consumers, then a backup
            try await env.withClient { client in
                _ = try await client.newSession(login: "13800138911")
                _ = try await client.newSession(login: "backup@mail.example")
            }
            let file = try await Backups.create(platform: platform, target: directory + "/covenant.backup")
            let atBackup = try await counts(platform.db.sql)
            #expect(atBackup[0] == 2)
            let scratchServer: String? =
                if case .postgres(let url) = platform.db.location { url } else { nil }
            let report = try await Backups.verify(
                file: file, keys: platform.keys, settings: platform.settings, keep: nil, scratchServer: scratchServer,
                logger: platform.logger)
            #expect(report.passed, "\(report.lines)")
            #expect(report.lines.contains { $0.contains(backend == .postgres ? "postgresql" : "sqlite") })
            #expect(report.lines.contains { $0.hasPrefix("ok") && $0.contains("ledger check") })
            // the dump holds no personal data in clear (field encryption reaches the backup too)
            #expect(!(try Data(contentsOf: URL(fileURLWithPath: file))).contains(Data("backup@mail.example".utf8)))
            // a third person signs up after the backup
            try await env.withClient { client in _ = try await client.newSession(login: "13800138912") }

            // act: restore; a target holding data is replaced only with --force
            let target: DatabaseLocation =
                backend == .postgres ? platform.db.location : .sqliteFile(directory + "/restored.sqlite")
            if backend == .sqlite {
                let first = try await Backups.restore(
                    file: file, into: target, force: false, keys: platform.keys, settings: platform.settings,
                    logger: platform.logger)
                #expect(first.passed, "\(first.lines)")
            }
            await #expect(throws: Backups.Failure.self) {
                _ = try await Backups.restore(
                    file: file, into: target, force: false, keys: platform.keys, settings: platform.settings,
                    logger: platform.logger)
            }
            let restored = try await Backups.restore(
                file: file, into: target, force: true, keys: platform.keys, settings: platform.settings,
                logger: platform.logger)
            #expect(restored.passed, "\(restored.lines)")

            // check: the restored database has the backup's rows (not the later sign-up) and its log verifies
            let db = try DatabaseStack(location: target, logger: platform.logger, poolSize: 1)
            let after = try await counts(db.sql)
            await db.shutdown()
            #expect(after == atBackup)
            // and a backup with one changed byte is refused before anything is replaced
            var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            bytes[bytes.count - 10] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: file))
            let tampered = try await Backups.restore(
                file: file, into: target, force: true, keys: platform.keys, settings: platform.settings,
                logger: platform.logger)
            #expect(!tampered.passed)
        }
    }
}
