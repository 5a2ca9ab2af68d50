import AuditLog
import Crypto
import Domain
import Foundation
public import Logging
public import Marketplace
public import Privacy
import SQLKit
import Storage

/// Encrypted, authenticated snapshots of the embedded database (clause 2.2: backup and recovery), made by
/// `covenant backup create` and on a schedule by `covenant serve`, and checked by restoring them into a scratch
/// database and running the ledger and audit checks there.
public enum Backups {
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

    public enum Failure: Error, CustomStringConvertible {
        case notSQLite
        case unreadable(String)
        case notABackup(String)
        case cannotWrite(String)

        public var description: String {
            switch self {
            case .notSQLite:
                "backups cover the embedded SQLite database; for PostgreSQL use pg_dump, or WAL archiving for "
                    + "point-in-time recovery (docs/backups.md)"
            case .unreadable(let file): "cannot read \(file) as a backup"
            case .notABackup(let file): "\(file) is not a Covenant backup"
            case .cannotWrite(let file): "cannot write \(file)"
            }
        }
    }

    /// Takes an online snapshot (`VACUUM INTO`, consistent while the platform serves), encrypts it with the backup
    /// key of the current master key version and writes it to `target` (mode 0600). Returns the path.
    @discardableResult
    public static func create(platform: Platform, target: String) async throws -> String {
        guard !platform.db.location.isPostgres else { throw Failure.notSQLite }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try await platform.db.sql.raw("VACUUM INTO \(bind: scratch)").run()
        guard let snapshot = FileManager.default.contents(atPath: scratch) else { throw Failure.unreadable(scratch) }
        let manifest = Manifest(
            createdAt: platform.clock.nowMillis, database: "sqlite",
            masterKeyVersion: platform.keys.currentMasterVersion,
            size: snapshot.count, sha256: Hex.encode(SHA256.hash(data: snapshot)),
            rows: try await rowCounts(platform))
        let header = try JSONEncoder().encode(manifest)
        let box = try AES.GCM.seal(
            snapshot, using: try platform.keys.backupKey(masterVersion: manifest.masterKeyVersion),
            authenticating: header)
        guard let sealed = box.combined else { throw Failure.cannotWrite(target) }
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        guard
            FileManager.default.createFile(
                atPath: target, contents: header + Data("\n".utf8) + sealed, attributes: [.posixPermissions: 0o600])
        else { throw Failure.cannotWrite(target) }
        return target
    }

    /// A scheduled backup into `directory`, keeping the newest `keep` and deleting older ones. Audited.
    @discardableResult
    public static func scheduled(platform: Platform, directory: String, keep: Int) async throws -> String {
        let path = try await create(
            platform: platform, target: directory + "/covenant-\(platform.clock.nowMillis).backup")
        let backups = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("covenant-") && $0.hasSuffix(".backup") }
            .sorted { (Int64($0.dropFirst(9).dropLast(7)) ?? 0) > (Int64($1.dropFirst(9).dropLast(7)) ?? 0) }
        for old in backups.dropFirst(max(keep, 1)) {
            try? FileManager.default.removeItem(atPath: directory + "/" + old)
        }
        try await AuditTrail.recordAlone(
            AuditEvent(
                "backup.create", actor: nil, object: "backup",
                details: ["file": (path as NSString).lastPathComponent, "kept": String(min(backups.count, keep))]),
            platform: platform)
        return path
    }

    /// A scheduled backup when the newest in `directory` is at least `interval` old (or there is none); nil when
    /// none was due. Restarts do not multiply backups: the files' times decide.
    @discardableResult
    public static func backupIfDue(platform: Platform, directory: String, interval: Duration, keep: Int) async throws
        -> String?
    {
        guard !platform.db.location.isPostgres else { return nil }
        let newest = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("covenant-") && $0.hasSuffix(".backup") }
            .compactMap { Int64($0.dropFirst(9).dropLast(7)) }.max()
        let intervalMillis = interval.components.seconds * 1000
        if let newest, platform.clock.nowMillis - newest < intervalMillis { return nil }
        return try await scheduled(platform: platform, directory: directory, keep: keep)
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

    public struct Report: Sendable {
        public var lines: [String] = []
        public var passed = true
        mutating func check(_ ok: Bool, _ line: String) {
            lines.append((ok ? "ok   " : "FAIL ") + line)
            if !ok { passed = false }
        }
    }

    /// Opens, authenticates and checks a backup in a scratch database (kept at `keep` when given).
    /// Erasures recorded in `journal` after the backup was taken are applied again in the scratch database.
    public static func verify(
        file: String, keys: KeyRing, settings: SecuritySettings, keep: String?, journal: ErasureJournal? = nil,
        logger: Logger
    ) async throws -> Report {
        var report = Report()
        guard let data = FileManager.default.contents(atPath: file), let newline = data.firstIndex(of: 0x0A) else {
            throw Failure.unreadable(file)
        }
        let header = data[data.startIndex..<newline]
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: header),
            manifest.format == "covenant-backup-1"
        else { throw Failure.notABackup(file) }
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
        else { throw Failure.cannotWrite(scratch) }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        let db = try DatabaseStack(location: .sqliteFile(scratch), logger: logger)
        do {
            let platform = try Platform(db: db, keys: keys, clock: SystemClock(), settings: settings, logger: logger)
            // Erased stays erased: keys destroyed since the backup was taken are destroyed here too.
            let erased = journal?.subjects() ?? []
            for subject in erased {
                try await ErasureStore.destroyKey(subjectId: subject, now: platform.clock.nowMillis, on: db.sql)
            }
            if journal != nil { report.check(true, "\(erased.count) erasures from the journal applied") }
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
