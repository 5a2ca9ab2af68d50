import AuditLog
import Crypto
import Domain
import Foundation
public import Logging
public import Marketplace
public import Privacy
import SQLKit
public import Storage

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
        case needsPostgres
        case wrongDatabase(backup: String, target: String)
        case targetInUse(String)
        case tool(String)
        case unreadable(String)
        case notABackup(String)
        case cannotWrite(String)

        public var description: String {
            switch self {
            case .notSQLite:
                "this operation needs the embedded SQLite database"
            case .needsPostgres:
                "a PostgreSQL backup is verified and restored on a PostgreSQL server: pass --database postgres://…"
            case .wrongDatabase(let backup, let target):
                "this is a \(backup) backup; it cannot be restored into \(target)"
            case .targetInUse(let target):
                "\(target) already holds data; stop the platform and pass --force to replace it"
            case .tool(let message): message
            case .unreadable(let file): "cannot read \(file) as a backup"
            case .notABackup(let file): "\(file) is not a Covenant backup"
            case .cannotWrite(let file): "cannot write \(file)"
            }
        }
    }

    /// Takes an online snapshot (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`, one transaction; both consistent
    /// while the platform serves), encrypts it with the backup key of the current master key version and writes it
    /// to `target` (mode 0600). Returns the path.
    @discardableResult
    public static func create(platform: Platform, target: String) async throws -> String {
        let snapshot = try await snapshot(platform.db.location, sql: platform.db.sql)
        let manifest = Manifest(
            createdAt: platform.clock.nowMillis, database: platform.db.location.isPostgres ? "postgresql" : "sqlite",
            masterKeyVersion: platform.keys.currentMasterVersion,
            size: snapshot.count, sha256: Hex.encode(SHA256.hash(data: snapshot)),
            rows: try await rowCounts(platform.db.sql))
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
            try? FileManager.default.removeItem(atPath: directory + "/" + old + ".verified")
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
        let newest = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("covenant-") && $0.hasSuffix(".backup") }
            .compactMap { Int64($0.dropFirst(9).dropLast(7)) }.max()
        let intervalMillis = interval.components.seconds * 1000
        if let newest, platform.clock.nowMillis - newest < intervalMillis { return nil }
        return try await scheduled(platform: platform, directory: directory, keep: keep)
    }

    static func snapshot(_ location: DatabaseLocation, sql: any SQLDatabase) async throws -> Data {
        switch location {
        case .postgres(let url):
            do { return try PostgresDump.dump(url: url) } catch { throw Failure.tool(String(describing: error)) }
        case .sqliteFile, .sqliteMemory:
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID()).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            try await sql.raw("VACUUM INTO \(bind: scratch)").run()
            guard let snapshot = FileManager.default.contents(atPath: scratch) else {
                throw Failure.unreadable(scratch)
            }
            return snapshot
        }
    }

    static func rowCounts(_ sql: any SQLDatabase) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["accounts", "orders", "ledger_entries", "ledger_postings", "audit_events", "listings"] {
            counts[table] =
                try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?
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

    /// Opens and authenticates a backup: its manifest and snapshot, or nil (with the failure in `report`).
    static func open(file: String, keys: KeyRing, report: inout Report) throws -> (Manifest, Data)? {
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
            return nil
        }
        let matches = Hex.encode(SHA256.hash(data: snapshot)) == manifest.sha256 && snapshot.count == manifest.size
        report.check(matches, "snapshot matches its manifest (\(manifest.size) bytes, \(manifest.database))")
        return matches ? (manifest, snapshot) : nil
    }

    /// Opens, authenticates and checks a backup in a scratch database: a file (kept at `keep` when given) for
    /// SQLite; for PostgreSQL a database created for the purpose on the server at `scratchServer` and dropped
    /// afterwards. Erasures recorded in `journal` after the backup was taken are applied again in the scratch.
    /// A passing verification leaves `FILE.verified` beside the backup (the backup's SHA-256), so that
    /// `covenant assess` can tell a backup that was checked from one that never was.
    public static func verify(
        file: String, keys: KeyRing, settings: SecuritySettings, keep: String?, scratchServer: String? = nil,
        journal: ErasureJournal? = nil, logger: Logger
    ) async throws -> Report {
        let report = try await verifyUnmarked(
            file: file, keys: keys, settings: settings, keep: keep, scratchServer: scratchServer, journal: journal,
            logger: logger)
        let marker = file + ".verified"
        if report.passed, let digest = fileDigest(file) {
            FileManager.default.createFile(
                atPath: marker, contents: Data(digest.utf8), attributes: [.posixPermissions: 0o600])
        } else {
            try? FileManager.default.removeItem(atPath: marker)
        }
        return report
    }

    /// Whether `file` passed `verify` as it is now (its marker names its current SHA-256).
    /// The newest `.backup` file in a directory and when it was written, if there is one.
    public static func newest(in directory: String) -> (path: String, writtenAt: Int64)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".backup") }.compactMap { name -> (String, Int64)? in
            let path = directory + "/" + name
            let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            return date.map { (path, Int64($0.timeIntervalSince1970 * 1000)) }
        }.max { $0.1 < $1.1 }
    }

    public static func isVerified(file: String) -> Bool {
        guard let marker = FileManager.default.contents(atPath: file + ".verified"), let digest = fileDigest(file)
        else { return false }
        return String(decoding: marker, as: UTF8.self) == digest
    }

    private static func fileDigest(_ file: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    private static func verifyUnmarked(
        file: String, keys: KeyRing, settings: SecuritySettings, keep: String?, scratchServer: String?,
        journal: ErasureJournal?, logger: Logger
    ) async throws -> Report {
        var report = Report()
        guard let (manifest, snapshot) = try open(file: file, keys: keys, report: &report) else { return report }
        if manifest.database == "postgresql" {
            guard let scratchServer else { throw Failure.needsPostgres }
            try await PostgresScratch.with(server: scratchServer, logger: logger) { url in
                do {
                    try PostgresDump.restore(snapshot, into: url, replacing: false)
                } catch {
                    throw Failure.tool(String(describing: error))
                }
                report.check(true, "restored into a scratch PostgreSQL database")
                try await check(
                    location: .postgres(url: url), manifest: manifest, keys: keys, settings: settings,
                    journal: journal, logger: logger, report: &report)
            }
            return report
        }
        let scratch =
            keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID()).sqlite").path
        guard
            FileManager.default.createFile(atPath: scratch, contents: snapshot, attributes: [.posixPermissions: 0o600])
        else { throw Failure.cannotWrite(scratch) }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        try await check(
            location: .sqliteFile(scratch), manifest: manifest, keys: keys, settings: settings, journal: journal,
            logger: logger, report: &report)
        return report
    }

    /// Verifies a backup, then makes it the database at `target`: the SQLite file is replaced by the verified
    /// copy; a PostgreSQL database is restored with pg_restore in one transaction and the erasure journal applied
    /// again. A target that holds data is replaced only with `force`.
    public static func restore(
        file: String, into target: DatabaseLocation, force: Bool, keys: KeyRing, settings: SecuritySettings,
        journal: ErasureJournal? = nil, logger: Logger
    ) async throws -> Report {
        switch target {
        case .sqliteMemory:
            throw Failure.notSQLite
        case .sqliteFile(let path):
            if FileManager.default.fileExists(atPath: path), !force { throw Failure.targetInUse(path) }
            let restored = path + ".restoring"
            defer { try? FileManager.default.removeItem(atPath: restored) }
            var report = try await verify(
                file: file, keys: keys, settings: settings, keep: restored, journal: journal, logger: logger)
            guard report.passed else { return report }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: restored, toPath: path)
            report.check(true, "restored into \(target)")
            return report
        case .postgres(let url):
            var report = try await verify(
                file: file, keys: keys, settings: settings, keep: nil, scratchServer: url, journal: journal,
                logger: logger)
            guard report.passed, let (manifest, snapshot) = try open(file: file, keys: keys, report: &report) else {
                return report
            }
            guard manifest.database == "postgresql" else {
                throw Failure.wrongDatabase(backup: manifest.database, target: target.description)
            }
            let db = try DatabaseStack(location: target, logger: logger, poolSize: 1)
            do {
                let holdsData =
                    try await db.sql.raw("SELECT to_regclass('public.accounts') IS NOT NULL AS used").first()?
                    .decode(column: "used", as: Bool.self) ?? false
                if holdsData && !force { throw Failure.targetInUse(target.description) }
                do {
                    try PostgresDump.restore(snapshot, into: url, replacing: true)
                } catch {
                    throw Failure.tool(String(describing: error))
                }
                let rows = try await rowCounts(db.sql)
                report.check(rows == manifest.rows, "restored into \(target); row counts match")
                for (subject, at) in journal?.entries() ?? [] {
                    try await ErasureStore.reapply(subjectId: subject, now: at ?? SystemClock().nowMillis, on: db.sql)
                }
            } catch {
                await db.shutdown()
                throw error
            }
            await db.shutdown()
            return report
        }
    }

    /// The checks run on a restored copy: erasures re-applied, row counts, the ledger, the audit log.
    static func check(
        location: DatabaseLocation, manifest: Manifest, keys: KeyRing, settings: SecuritySettings,
        journal: ErasureJournal?, logger: Logger, report: inout Report
    ) async throws {
        let db = try DatabaseStack(location: location, logger: logger, poolSize: 2)
        do {
            let platform = try Platform(db: db, keys: keys, clock: SystemClock(), settings: settings, logger: logger)
            // The rows as backed up, before erasures since then are applied again (they remove some).
            let rows = try await rowCounts(db.sql)
            report.check(
                rows == manifest.rows,
                "row counts match: \(rows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
            )
            // Erased stays erased: everyone erased since the backup was taken is erased here too, in full.
            let erased = journal?.entries() ?? []
            for (subject, at) in erased {
                try await ErasureStore.reapply(subjectId: subject, now: at ?? platform.clock.nowMillis, on: db.sql)
            }
            if journal != nil { report.check(true, "\(erased.count) erasures from the journal applied") }
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
    }
}

/// A PostgreSQL database made for one verification on the given server, dropped afterwards.
enum PostgresScratch {
    static func with(server: String, logger: Logger, _ body: (String) async throws -> Void) async throws {
        let name = "covenant_verify_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        guard var parts = URLComponents(string: server) else { throw Backups.Failure.needsPostgres }
        let admin = try DatabaseStack(location: .postgres(url: server), logger: logger, poolSize: 1)
        do {
            // The name is ours (a fixed prefix and hex digits), so it is safe to splice.
            try await admin.sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
        } catch {
            await admin.shutdown()
            throw Backups.Failure.tool(
                "cannot create a scratch database on \(DatabaseLocation.postgres(url: server)): the role needs CREATEDB"
            )
        }
        parts.path = "/" + name
        let url = parts.string ?? server
        do {
            try await body(url)
        } catch {
            try? await admin.sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
            await admin.shutdown()
            throw error
        }
        try? await admin.sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
        await admin.shutdown()
    }
}
