import App
import ArgumentParser
import Foundation
import Storage

/// Flags shared by every command that opens the platform. Precedence: flag > environment > default.
struct CommonOptions: ParsableArguments {
    @Option(help: "Directory for the SQLite database and the key file.")
    var dataDir: String?

    @Option(help: "Database URL: postgres://user:pass@host/db selects PostgreSQL (env COVENANT_DATABASE_URL).")
    var database: String?

    @Option(help: "development, production or test (env COVENANT_ENVIRONMENT).")
    var environment: String?

    func config() throws -> AppConfig {
        var config = AppConfig.fromEnvironment(ProcessInfo.processInfo.environment)
        if let dataDir { config.dataDir = dataDir }
        if let database { config.database = .parse(database) }
        if let environment {
            guard let parsed = AppConfig.Environment(rawValue: environment) else {
                throw ValidationError("--environment must be development, production or test")
            }
            config.environment = parsed
        }
        return config
    }
}
