import Foundation
import Privacy
import SQLKit
import Storage
import Testing

@Suite("Data catalog")
struct DataCatalogTests {
    /// A column as the live database names it.
    struct LiveColumn: Hashable, Sendable, CustomStringConvertible {
        let table: String
        let column: String
        var description: String { "\(table).\(column)" }
    }

    /// Every (table, column) of the migrated database, read from the database's own dictionary.
    static func liveColumns(_ sql: any SQLDatabase, backend: Backend) async throws -> Set<LiveColumn> {
        switch backend {
        case .sqlite:
            let tables = try await sql.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).all().map { try $0.decode(column: "name", as: String.self) }
            var columns: Set<LiveColumn> = []
            for table in tables {
                for row in try await sql.raw("PRAGMA table_info(\(ident: table))").all() {
                    columns.insert(LiveColumn(table: table, column: try row.decode(column: "name", as: String.self)))
                }
            }
            return columns
        case .postgres:
            let rows = try await sql.raw(
                """
                SELECT table_name::text AS table_name, column_name::text AS column_name
                FROM information_schema.columns WHERE table_schema = 'public'
                """
            ).all()
            return Set(
                try rows.map {
                    LiveColumn(
                        table: try $0.decode(column: "table_name", as: String.self),
                        column: try $0.decode(column: "column_name", as: String.self))
                })
        }
    }

    @Test("2.3.2: every database column has a catalog entry", arguments: Backend.available)
    func everyColumnCatalogued(backend: Backend) async throws {
        // setup
        let catalogued = DataCatalog.entries.map { LiveColumn(table: $0.table, column: $0.column) }

        // act
        let live = try await TestDatabase.with(backend) { db in try await Self.liveColumns(db.sql, backend: backend) }

        // check
        #expect(live.count > 0)
        let missing = live.subtracting(catalogued).map(\.description).sorted()
        let stale = Set(catalogued).subtracting(live).map(\.description).sorted()
        #expect(missing.isEmpty, "columns without a catalog entry: \(missing)")
        #expect(stale.isEmpty, "catalog entries for columns that do not exist: \(stale)")
        #expect(Set(catalogued).count == catalogued.count, "a column is catalogued twice")
        for column in live {
            #expect(DataCatalog.entry(table: column.table, column: column.column) != nil, "\(column)")
        }
    }

    @Test("2.3.2: personal values are stored encrypted and sensitive information is graded important or core")
    func personalValuesEncrypted() {
        // setup
        let personal = DataCatalog.entries.filter { [.personal, .sensitivePersonal].contains($0.category) }

        // act
        let storedAsValues = personal.filter { $0.form == .value }
        let sensitive = DataCatalog.entries.filter { $0.category == .sensitivePersonal }

        // check
        #expect(!storedAsValues.isEmpty)
        for entry in storedAsValues {
            #expect(entry.encrypted, "\(entry.table).\(entry.column) holds personal information in clear")
        }
        for entry in sensitive {
            #expect(entry.grade >= .important, "\(entry.table).\(entry.column) is sensitive but graded general")
        }
        for entry in personal where entry.retention == .permanent {
            #expect(entry.form != .value, "\(entry.table).\(entry.column): personal values are never permanent")
        }
        #expect(DataCatalog.entry(table: "subject_keys", column: "wrapped_key")?.grade == .core)
        #expect(DataCatalog.entry(table: "accounts", column: "login_cipher")?.encrypted == true)
    }

    @Test("2.3.1: every entry states its purpose, retention and legal basis")
    func purposeAndBasisStated() {
        // setup
        let entries = DataCatalog.entries

        // act
        let incomplete = entries.filter {
            $0.purpose.isEmpty || !$0.purpose.hasSuffix(".") || $0.legalBasis.isEmpty
                || $0.retention.description.isEmpty
        }

        // check
        #expect(incomplete.isEmpty, "entries without purpose or legal basis: \(incomplete.map(\.column))")
    }

    @Test("1.1.1, 1.1.2, 2.3.2: the catalog renders as Markdown and as stable JSON")
    func rendersForReadersAndMachines() throws {
        // setup
        let tables = Set(DataCatalog.entries.map(\.table))

        // act
        let markdown = DataCatalog.markdown()
        let json = try DataCatalog.json()
        let decoded = try JSONDecoder().decode([CatalogEntry].self, from: json)

        // check
        #expect(markdown.contains("1.1.1") && markdown.contains("1.1.2") && markdown.contains("2.3.2"))
        for table in tables {
            #expect(markdown.contains("## `\(table)`"), "Markdown lacks table \(table)")
        }
        #expect(decoded.count == DataCatalog.entries.count)
        #expect(Set(decoded) == Set(DataCatalog.entries))
        #expect(zip(decoded, decoded.dropFirst()).allSatisfy { ($0.table, $0.column) < ($1.table, $1.column) })
        #expect(try DataCatalog.json() == json)
    }
}
