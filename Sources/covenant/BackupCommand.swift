import App
import ArgumentParser
import Domain
import Foundation
import Marketplace
import Privacy
import Storage

/// `covenant backup`: consistent, encrypted, authenticated snapshots of the embedded database, verified by
/// restoring them into a scratch database and running the ledger and audit checks there (clause 2.2).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Encrypted backups: create, verify, restore.",
        subcommands: [Create.self, Verify.self, Restore.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take an online snapshot, encrypted with the backup key.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Where to write the backup (default: DATA_DIR/backups/covenant-<time>.backup).") var output:
            String?

        func run() async throws {
            let config = try common.config()
            let path = try await Runtime.withPlatform(config: config) { platform in
                do {
                    return try await Backups.create(
                        platform: platform,
                        target: output ?? config.dataDir + "/backups/covenant-\(platform.clock.nowMillis).backup")
                } catch let failure as Backups.Failure {
                    throw CLIFailure(failure.description)
                }
            }
            say("backup written: \(path)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt, check integrity, restore into a scratch database and run the ledger and audit checks.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The backup file.") var file: String
        @Option(
            name: .customLong("journal"),
            help: "Another instance's erasure journal (its DATA_DIR/erasures.journal) to re-apply too; repeatable.")
        var journals: [String] = []

        func run() async throws {
            let config = try common.config()
            let report = try await BackupCommand.verify(file: file, config: config, keep: nil, journals: journals)
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
        @Option(
            name: .customLong("journal"),
            help: "Another instance's erasure journal (its DATA_DIR/erasures.journal) to re-apply too; repeatable.")
        var journals: [String] = []

        func run() async throws {
            let config = try common.config()
            let report: Backups.Report
            do {
                report = try await Backups.restore(
                    file: file, into: config.databaseLocation, force: force, keys: try BackupCommand.keys(config),
                    settings: config.security, journal: BackupCommand.journal(config, others: journals),
                    logger: Runtime.quietLogger())
            } catch let failure as Backups.Failure {
                throw CLIFailure(failure.description)
            }
            report.lines.forEach(say)
            guard report.passed else { throw CLIFailure("The backup did not verify; nothing was restored.") }
            say("restored \(file) into \(config.databaseLocation)")
        }
    }

    static func keys(_ config: AppConfig) throws -> KeyRing {
        try KeyRing(material: try KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0))
    }

    /// Verifies with the data directory's key file (`Backups.verify`).
    /// The data directory's erasure journal, read with the other instances' journals given.
    static func journal(_ config: AppConfig, others: [String]) -> ErasureJournal {
        ErasureJournal(path: config.dataDir + "/erasures.journal", others: others)
    }

    static func verify(file: String, config: AppConfig, keep: String?, journals: [String] = []) async throws
        -> Backups.Report
    {
        var scratchServer: String?
        if case .postgres(let url) = config.databaseLocation { scratchServer = url }
        do {
            return try await Backups.verify(
                file: file, keys: try keys(config), settings: config.security, keep: keep,
                scratchServer: scratchServer, journal: journal(config, others: journals),
                logger: Runtime.quietLogger())
        } catch let failure as Backups.Failure {
            throw CLIFailure(failure.description)
        }
    }
}
