import App
import ArgumentParser
import Domain
import Foundation
import Marketplace
import Storage

struct Staff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff", abstract: "Manage platform staff accounts.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a staff account; prints a one-time password, or reads a password from stdin.")

        @OptionGroup var common: CommonOptions
        @Option(help: "One of: \(Role.platformStaffRoles.map(\.rawValue).joined(separator: ", ")).") var role: String
        @Option(help: "Mobile number or e-mail address.") var login: String
        @Option(help: "Name shown to colleagues.") var name = "Staff"
        @Flag(help: "Read the password from standard input instead of generating a one-time password.")
        var passwordStdin = false

        func run() async throws {
            guard let role = Role(rawValue: role), Role.platformStaffRoles.contains(role) else {
                throw ValidationError(
                    "--role must be one of: " + Role.platformStaffRoles.map(\.rawValue).joined(separator: ", "))
            }
            let password = passwordStdin ? readLine(strippingNewline: true) : nil
            let platform = try await Runtime.open(config: try common.config(), logger: Runtime.logger())
            do {
                let created = try await TeamAccounts.addPlatformStaff(
                    role: role, login: login, displayName: name, password: password, platform: platform)
                say("Created staff account \(created.id) with role \(role.rawValue).")
                if password == nil {
                    say("One-time password (must be changed at first sign-in): \(created.oneTimePassword)")
                }
            } catch let problem as Problem {
                await platform.db.shutdown()
                throw CLIFailure(problem.detail)
            }
            await platform.db.shutdown()
        }
    }
}
