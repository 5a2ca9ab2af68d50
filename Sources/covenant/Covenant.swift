// The `covenant` executable: entry point and commands only; everything else lives in the libraries.
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct Covenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "covenant",
        abstract: "Covenant: a marketplace platform in which every clause of the security agreement is enforced.",
        subcommands: [
            Serve.self, Migrate.self, Staff.self, Keys.self, AuditCommand.self, BenchCommand.self, TOTPCode.self,
            PrivacyCommand.self, PaymentSandboxCommand.self, LedgerCommand.self,
            RiskCommand.self, BackupCommand.self, AssessCommand.self, GovernanceCommand.self, ComplianceCommand.self,
        ]
    )

    static func main() async {
        // Files we create (database, keys, backups) are the owner's only.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Writes a line to standard output at once (unbuffered), so operators and scripts see it immediately.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
