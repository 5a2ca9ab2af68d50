import App
import ArgumentParser
import AuditLog
import Foundation
import Marketplace
import Storage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the tamper-evident security audit log.",
        subcommands: [Verify.self, Checkpoint.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit tree and check every signed head (and a checkpoint exported earlier).")
        @OptionGroup var common: CommonOptions
        @Option(help: "A tree head saved earlier with `covenant audit checkpoint`; the log must extend it.")
        var checkpoint: String?

        func run() async throws {
            var saved: SignedTreeHead?
            if let checkpoint {
                guard let data = FileManager.default.contents(atPath: checkpoint),
                    let head = try? JSONDecoder().decode(SignedTreeHead.self, from: data)
                else { throw CLIFailure("\(checkpoint) is not a tree head saved by `covenant audit checkpoint`.") }
                saved = head
            }
            let verdict = try await Runtime.withPlatform(config: try common.config()) { platform in
                try await AuditIntegration.integrate(platform: platform)
                return try await AuditVerification.verifyStored(platform: platform, checkpoint: saved)
            }
            say(verdict.description)
            if case .broken = verdict { throw ExitCode(2) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the latest signed tree head as JSON, to keep somewhere the platform cannot rewrite.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let head = try await Runtime.withPlatform(config: try common.config()) { platform in
                try await AuditIntegration.integrate(platform: platform)
                return try await AuditQueries.latestHead(platform: platform)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            say(String(decoding: try encoder.encode(head), as: UTF8.self))
        }
    }
}
