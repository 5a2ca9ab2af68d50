import App
import ArgumentParser
import Foundation
import Marketplace

/// `covenant compliance`: the agreement, clause by clause, against the running platform.
struct ComplianceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance", abstract: "Show how each clause of the security agreement is met.",
        subcommands: [Report.self])

    /// `covenant compliance report`: every clause with its controls and live evidence; exits non-zero when a
    /// clause has no control or a failing one.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report", abstract: "Every clause with its controls and live evidence; non-zero on a failure.")

        @OptionGroup var common: CommonOptions
        @Option(help: "text, json or html.") var format = "text"

        func validate() throws {
            guard ["text", "json", "html"].contains(format) else {
                throw ValidationError("--format must be text, json or html")
            }
        }

        func run() async throws {
            let config = try common.config()
            // The newest backup file, as `covenant assess` reads it; the audit log's scheduled backups are added
            // by the report itself.
            let newest = Backups.newest(in: config.dataDir + "/backups")
            let facts = ComplianceReport.Facts(
                newestBackupFileAt: newest?.writtenAt,
                newestBackupVerified: newest.map { Backups.isVerified(file: $0.path) } ?? false,
                tlsEnabled: config.tlsEnabled)
            let report = try await Runtime.withPlatform(config: config) { platform in
                try await ComplianceReport.build(platform: platform, facts: facts)
            }
            switch format {
            case "json": say(String(decoding: try ComplianceRendering.json(report), as: UTF8.self))
            case "html": say(ComplianceRendering.html(report))
            default: say(ComplianceRendering.text(report))
            }
            if !report.passed {
                throw CLIFailure(
                    "\(report.failedClauses.count) of \(report.clauses.count) clauses fail: "
                        + report.failedClauses.joined(separator: ", "))
            }
        }
    }
}
