import App
import ArgumentParser
import Marketplace
import Storage

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let config = try common.config()
        let platform = try await Runtime.open(config: config, logger: Runtime.logger())
        await platform.db.shutdown()
        say("Database \(config.databaseLocation) is up to date.")
    }
}
