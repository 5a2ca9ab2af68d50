import App
import ArgumentParser
import Crypto
import Domain
import Foundation
import Logging
import Marketplace
import Privacy
import SQLKit
import Storage

/// `covenant backup`: consistent, encrypted, authenticated snapshots of the embedded database, verified by
/// restoring them into a scratch database and running the ledger and audit checks there (clause 2.2).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Encrypted backups: create, verify, restore.",
        subcommands: [Create.self, Verify.self, Restore.self])

    /// What a backup says about itself; authenticated with the snapshot (it is the AES-GCM associated data).
    struct Manifest: Codable {
        var format = "covenant-backup-1"
        let createdAt: Int64
        let database: String
        let masterKeyVersion: Int
        let size: Int
        let sha256: String
        let rows: [String: Int]
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take an online snapshot, encrypted with the backup key.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Where to write the backup (default: DATA_DIR/backups/covenant-<time>.backup).") var output:
            String?

        func run() async throws {
            let config = try common.config()
            guard case .sqliteFile = config.databaseLocation else {
                throw CLIFailure(
                    "backup create covers the embedded SQLite database; for PostgreSQL use pg_dump, or WAL archiving "
                        + "for point-in-time recovery.")
            }
            let path = try await Runtime.withPlatform(config: config) { platform in
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID()).sqlite")
                    .path
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                // VACUUM INTO writes a consistent copy while the platform keeps serving.
                try await platform.db.sql.raw("VACUUM INTO \(bind: scratch)").run()
                guard let snapshot = FileManager.default.contents(atPath: scratch) else {
                    throw CLIFailure("the snapshot could not be read")
                }
                let manifest = Manifest(
                    createdAt: platform.clock.nowMillis, database: "sqlite",
                    masterKeyVersion: platform.keys.currentMasterVersion, size: snapshot.count,
                    sha256: Hex.encode(SHA256.hash(data: snapshot)), rows: try await BackupCommand.rowCounts(platform))
                let header = try JSONEncoder().encode(manifest)
                let box = try AES.GCM.seal(
                    snapshot, using: try platform.keys.backupKey(masterVersion: manifest.masterKeyVersion),
                    authenticating: header)
                guard let sealed = box.combined else { throw CLIFailure("encryption failed") }
                let target =
                    output
                    ?? config.dataDir + "/backups/covenant-\(manifest.createdAt).backup"
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
                guard
                    FileManager.default.createFile(
                        atPath: target, contents: header + Data("\n".utf8) + sealed,
                        attributes: [.posixPermissions: 0o600])
                else { throw CLIFailure("cannot write \(target)") }
                return target
            }
            say("backup written: \(path)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt, check integrity, restore into a scratch database and run the ledger and audit checks.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The backup file.") var file: String

        func run() async throws {
            let config = try common.config()
            let report = try await BackupCommand.verify(file: file, config: config, keep: nil)
            report.lines.forEach(say)
            if !report.passed { throw CLIFailure("Backup verification failed.") }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a backup, then make it the data directory's database (the server must be stopped).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The backup file.") var file: String
        @Flag(help: "Replace an existing database.") var force = false

        func run() async throws {
            let config = try common.config()
            guard case .sqliteFile(let target) = config.databaseLocation else {
                throw CLIFailure("restore writes the embedded SQLite database; restore PostgreSQL with pg_restore.")
            }
            if FileManager.default.fileExists(atPath: target), !force {
                throw CLIFailure("\(target) exists; stop the server and pass --force to replace it.")
            }
            let restored = target + ".restoring"
            let report = try await BackupCommand.verify(file: file, config: config, keep: restored)
            report.lines.forEach(say)
            guard report.passed else { throw CLIFailure("The backup did not verify; nothing was restored.") }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            _ = try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: restored, toPath: target)
            say("restored \(file) into \(target)")
        }
    }

    static func rowCounts(_ platform: Platform) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["accounts", "orders", "ledger_entries", "ledger_postings", "audit_events", "listings"] {
            counts[table] =
                try await platform.db.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
        return counts
    }

    struct Report {
        var lines: [String] = []
        var passed = true
        mutating func check(_ ok: Bool, _ line: String) {
            lines.append((ok ? "ok   " : "FAIL ") + line)
            if !ok { passed = false }
        }
    }

    /// Opens, authenticates and checks a backup in a scratch database (kept at `keep` when given).
    static func verify(file: String, config: AppConfig, keep: String?) async throws -> Report {
        var report = Report()
        guard let data = FileManager.default.contents(atPath: file), let newline = data.firstIndex(of: 0x0A) else {
            throw CLIFailure("cannot read \(file) as a backup")
        }
        let header = data[data.startIndex..<newline]
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: header),
            manifest.format == "covenant-backup-1"
        else { throw CLIFailure("\(file) is not a Covenant backup") }
        let material = try KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0)
        let keys = try KeyRing(material: material)
        let snapshot: Data
        do {
            let box = try AES.GCM.SealedBox(combined: data[data.index(after: newline)...])
            snapshot = try AES.GCM.open(
                box, using: try keys.backupKey(masterVersion: manifest.masterKeyVersion), authenticating: header)
            report.check(true, "decrypted and authenticated (master key version \(manifest.masterKeyVersion))")
        } catch {
            report.check(false, "the backup does not open with this key file, or was modified")
            return report
        }
        report.check(
            Hex.encode(SHA256.hash(data: snapshot)) == manifest.sha256 && snapshot.count == manifest.size,
            "snapshot matches its manifest (\(manifest.size) bytes)")
        let scratch =
            keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID()).sqlite").path
        guard
            FileManager.default.createFile(atPath: scratch, contents: snapshot, attributes: [.posixPermissions: 0o600])
        else { throw CLIFailure("cannot write \(scratch)") }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        let db = try DatabaseStack(location: .sqliteFile(scratch), logger: Runtime.quietLogger())
        do {
            let platform = try Platform(
                db: db, keys: keys, clock: SystemClock(), settings: config.security, logger: Runtime.quietLogger())
            let rows = try await rowCounts(platform)
            report.check(
                rows == manifest.rows,
                "row counts match: \(rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
            )
            let violation = try await Settlement.check(platform: platform, reconcile: false)
            report.check(violation == nil, "ledger check" + (violation.map { ": \($0)" } ?? " passed"))
            // As `audit verify` does: events written after the last integration are added to the tree first.
            try await AuditIntegration.integrate(platform: platform)
            let verdict = try await AuditVerification.verifyStored(platform: platform)
            if case .intact = verdict {
                report.check(true, verdict.description)
            } else {
                report.check(false, verdict.description)
            }
        } catch {
            await db.shutdown()
            throw error
        }
        await db.shutdown()
        return report
    }
}
