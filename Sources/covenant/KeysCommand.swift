import App
import ArgumentParser
import Domain
import Foundation
import Marketplace
import Privacy
import Storage

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage the platform's keys.",
        subcommands: [Init.self, Rotate.self, Rewrap.self, RotateIndex.self, Reindex.self])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Provision a new key file (mode 0600) for production use.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try common.config()
            try FileManager.default.createDirectory(
                atPath: config.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard !FileManager.default.fileExists(atPath: config.keyFilePath) else {
                throw CLIFailure("A key file already exists at \(config.keyFilePath); refusing to overwrite it.")
            }
            try KeyFile.write(
                KeyMaterial.random(origin: .provisioned, nowMillis: SystemClock().nowMillis), path: config.keyFilePath)
            say("Wrote new keys to \(config.keyFilePath) (mode 0600). Back this file up somewhere safe.")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new master key version; new data keys are wrapped with it.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try common.config()
            var material = try KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0)
            material.rotateMaster(nowMillis: SystemClock().nowMillis)
            try KeyFile.write(material, path: config.keyFilePath)
            let version = material.masterKeys.map(\.version).max() ?? 0
            try await Runtime.withPlatform(config: config) { platform in
                try await AuditTrail.recordAlone(
                    AuditEvent(
                        "keys.rotate", actor: nil, object: "keyring", details: ["masterVersion": String(version)]),
                    platform: platform)
            }
            say("Master key is now version \(version). New data keys are wrapped with it.")
        }
    }
}

extension Keys {
    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every person's data key under the newest master key (safe while serving).")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await Runtime.withPlatform(config: try common.config()) { platform in
                let count = try await KeyMaintenance.rewrap(platform: platform) { done, total in
                    say("re-wrapped \(done) of \(total) data keys")
                }
                say(
                    "Done: \(count) data keys now wrapped with master key version \(platform.keys.currentMasterVersion)."
                )
            }
        }
    }
}

struct TOTPCode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totp", abstract: "Print the current two-factor code for a base32 secret (demo convenience).")
    @Argument(help: "Base32 TOTP secret.") var secret: String

    func run() throws {
        guard let code = Marketplace.TwoFactor.code(secretBase32: secret, at: SystemClock().nowMillis) else {
            throw ValidationError("That is not a base32 secret.")
        }
        say(code)
    }
}

extension Keys {
    struct RotateIndex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-index",
            abstract: "Add a new blind-index key version; restart, then run `keys reindex`.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let config = try common.config()
            var material = try KeyFile.load(path: config.keyFilePath, createIfMissing: false, nowMillis: 0)
            material.rotateBlindIndex(nowMillis: SystemClock().nowMillis)
            try KeyFile.write(material, path: config.keyFilePath)
            let version = material.blindIndexKeys.map(\.version).max() ?? 0
            try await Runtime.withPlatform(config: config) { platform in
                try await AuditTrail.recordAlone(
                    AuditEvent(
                        "keys.rotate", actor: nil, object: "keyring",
                        details: ["blindIndexVersion": String(version)]),
                    platform: platform)
            }
            say(
                "Blind-index key is now version \(version). Restart the platform, then run `covenant keys reindex`; "
                    + "sign-in works throughout. Failure counts towards lockouts start afresh.")
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every login's blind index under the newest blind-index key (safe while serving).")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await Runtime.withPlatform(config: try common.config()) { platform in
                let count = try await KeyMaintenance.reindex(platform: platform) { done, total in
                    say("reindexed \(done) of \(total) logins")
                }
                say(
                    "Done: \(count) logins indexed under blind-index key version \(platform.keys.currentBlindIndexVersion)."
                )
            }
        }
    }
}
