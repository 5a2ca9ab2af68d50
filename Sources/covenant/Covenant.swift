// The `covenant` executable: entry point and commands only; everything else lives in the libraries.
import ArgumentParser

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
        subcommands: [Serve.self, Migrate.self, Staff.self, Keys.self, TOTPCode.self]
    )

    static func main() async {
        // Files we create (database, keys, backups) are the owner's only; output reaches pipes line by line.
        umask(0o077)
        // stdout is a C global; reading it once at start-up, before any concurrency, is safe.
        nonisolated(unsafe) let out = stdout
        setlinebuf(out)
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
