import App
import ArgumentParser
import Foundation
import Marketplace
import Privacy

/// `covenant assess`: the self-assessment; exits non-zero on any failure.
struct AssessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assess", abstract: "Check the configuration and state against the security agreement.")

    @OptionGroup var common: CommonOptions
    @Option(help: "text or json.") var format = "text"

    func run() async throws {
        let config = try common.config()
        let attributes = try? FileManager.default.attributesOfItem(atPath: config.keyFilePath)
        let material = try? KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0)
        let newest = Backups.newest(in: config.dataDir + "/backups")
        let facts = SelfAssessment.Facts(
            keysGenerated: material?.origin != .provisioned,
            keyFileMode: (attributes?[.posixPermissions] as? NSNumber)?.intValue,
            newestBackupAt: newest?.writtenAt,
            newestBackupVerified: newest.map { Backups.isVerified(file: $0.path) } ?? false)
        let findings = try await Runtime.withPlatform(config: config) { platform in
            try await SelfAssessment.run(platform: platform, config: config, facts: facts)
        }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            say(String(decoding: try encoder.encode(findings), as: UTF8.self))
        } else {
            for finding in findings {
                say(
                    "\(finding.passed ? "pass" : "FAIL")  \(finding.item.padding(toLength: 20, withPad: " ", startingAt: 0)) "
                        + "[\(finding.clause)] \(finding.detail)" + (finding.passed ? "" : " — \(finding.fix)"))
            }
        }
        let failed = findings.filter { !$0.passed }.count
        if failed > 0 { throw CLIFailure("\(failed) of \(findings.count) checks failed.") }
    }
}
