import App
import ArgumentParser
import Crypto
import Foundation
import Marketplace
import Privacy

/// `covenant governance report|verify`: the signed report of violations and sanctions for authorities (2.5).
struct GovernanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "governance", abstract: "Reports on violations and sanctions for authorities.",
        subcommands: [Report.self, Verify.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export violations and sanctions of a period as signed JSON and CSV.")

        @OptionGroup var common: CommonOptions
        @Option(help: "First day, YYYY-MM-DD (China Standard Time).") var from: String
        @Option(help: "Day after the last, YYYY-MM-DD (China Standard Time).") var to: String
        @Option(help: "Folder for the files (created if missing).") var out = "."

        func run() async throws {
            let start = try GovernanceCommand.millis(from, option: "--from")
            let end = try GovernanceCommand.millis(to, option: "--to")
            guard end > start else { throw CLIFailure("--to must be after --from.") }
            let config = try common.config()
            let (files, key) = try await Runtime.withPlatform(config: config) { platform in
                (
                    try await GovernanceReport.build(from: start, to: end, platform: platform),
                    platform.keys.auditSigningKey
                )
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let base = "governance-\(from)-\(to)"
            for (name, data) in [(base + ".json", files.json), (base + ".csv", files.csv)] {
                let path = out + "/" + name
                try data.write(to: URL(fileURLWithPath: path))
                try GovernanceReport.signature(for: data, name: name, key: key)
                    .write(to: URL(fileURLWithPath: path + ".sig"))
                say("wrote \(path) and \(path).sig")
            }
            say("\(files.violations) violations and \(files.sanctions) sanctions from \(from) to \(to)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a report file against its .sig with this platform's public key (or --public-key).")

        @OptionGroup var common: CommonOptions
        @Argument(help: "The report file; its signature is FILE.sig.") var file: String
        @Option(help: "The platform's Ed25519 public key, base64 (default: from the key file).") var publicKey: String?

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file),
                let signature = FileManager.default.contents(atPath: file + ".sig")
            else { throw CLIFailure("Cannot read \(file) and \(file).sig.") }
            let key: Curve25519.Signing.PublicKey
            if let publicKey {
                guard let raw = Data(base64Encoded: publicKey),
                    let parsed = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
                else { throw CLIFailure("--public-key is not a base64 Ed25519 public key.") }
                key = parsed
            } else {
                let config = try common.config()
                let material = try KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0)
                key = try KeyRing(material: material).auditSigningKey.publicKey
            }
            guard GovernanceReport.verify(file: data, signatureDocument: signature, publicKey: key) else {
                throw CLIFailure("signature does NOT verify: \(file) was changed or was not signed by this platform")
            }
            say("signature verifies: \(file)")
        }
    }

    /// Midnight China Standard Time of a YYYY-MM-DD date, in milliseconds since the epoch.
    static func millis(_ text: String, option: String) throws -> Int64 {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        guard parts.count == 3, text.count == 10,
            let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
            calendar.component(.day, from: date) == parts[2]
        else { throw CLIFailure("\(option) is a date such as 2026-11-01.") }
        return Int64(date.timeIntervalSince1970 * 1000)
    }
}
