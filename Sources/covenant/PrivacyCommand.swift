import ArgumentParser
import Foundation
import Privacy

/// `covenant privacy …`: what the platform stores about people and why (clauses 1.1.1, 1.1.2, 2.3.2).
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Privacy records: the data catalog.", subcommands: [Catalog.self])

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
}
