import ArgumentParser
import Foundation
import Marketplace
import Privacy
import Storage

/// `covenant privacy …`: what the platform stores about people and why (clauses 1.1.1, 1.1.2, 2.3.2).
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Privacy records: the data catalog; retention.",
        subcommands: [Catalog.self, Retention.self])

    /// Prints the data catalog: every stored column with its category, grade, retention and legal basis.
    struct Catalog: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the data catalog (every stored column, classified and graded).")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case markdown, json
        }

        @Option(help: "markdown (for readers) or json (sorted, stable, for tools).")
        var format: Format = .markdown

        func run() throws {
            switch format {
            case .markdown: say(DataCatalog.markdown())
            case .json: say(String(decoding: try DataCatalog.json(), as: UTF8.self))
            }
        }
    }

    /// Deletes what has outlived its retention period now (the server also does this every hour).
    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enforce the catalog's retention periods now and report what was removed.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let removed = try await Runtime.withPlatform(config: try common.config()) { platform in
                try await RetentionEnforcement.run(platform: platform)
            }
            if removed.isEmpty { say("retention: nothing has outlived its period") }
            for (table, count) in removed.sorted(by: { $0.key < $1.key }) {
                say("retention: removed \(count) row\(count == 1 ? "" : "s") from \(table)")
            }
        }
    }
}
