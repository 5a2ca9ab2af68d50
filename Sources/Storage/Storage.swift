// Storage owns the databases (SQLite embedded, PostgreSQL in production), migrations and row access.
// It must not import Marketplace or App; it speaks SQL through SQLKit with bound parameters only.
public import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
public import Logging
import NIOCore
import NIOPosix
public import SQLKit

/// Which database to use.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqliteFile(String)
    case sqliteMemory
    case postgres(url: String)

    /// Parses `--database`: `postgres://…` / `postgresql://…` selects PostgreSQL, a path or `sqlite:PATH` SQLite.
    public static func parse(_ text: String) -> DatabaseLocation {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        if text == ":memory:" { return .sqliteMemory }
        if text.hasPrefix("sqlite:") { return .sqliteFile(String(text.dropFirst("sqlite:".count))) }
        return .sqliteFile(text)
    }

    /// Printable without secrets (PostgreSQL passwords are never shown).
    public var description: String {
        switch self {
        case .sqliteFile(let path): "sqlite:\(path)"
        case .sqliteMemory: "sqlite::memory:"
        case .postgres(let url):
            if let parts = URLComponents(string: url) {
                "postgres://\(parts.host ?? "?"):\(parts.port ?? 5432)\(parts.path)"
            } else {
                "postgres://(unparseable)"
            }
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }
}

/// Owns the connection pools, runs migrations, hands out SQL databases, shuts down cleanly.
public final class DatabaseStack: Sendable {
    public let location: DatabaseLocation
    let databases: Databases
    let threadPool: NIOThreadPool
    let eventLoopGroup: MultiThreadedEventLoopGroup
    let logger: Logger

    /// - Parameter poolSize: connections for PostgreSQL. SQLite always gets one connection on one loop, so
    ///   writers queue in the pool instead of failing with SQLITE_BUSY.
    public init(location: DatabaseLocation, logger: Logger, poolSize: Int = 8) throws {
        self.location = location
        // SQL statements (with their bound values: hashes, ciphertexts, indexes) are logged at debug level;
        // the database logger never goes below info, so they are never written, whatever LOG_LEVEL says.
        var logger = logger
        logger.logLevel = max(logger.logLevel, .info)
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: 2)
        self.threadPool.start()
        switch location {
        case .postgres(let url):
            self.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.databases = Databases(threadPool: threadPool, on: eventLoopGroup)
            let config = try SQLPostgresConfiguration(url: url)
            databases.use(
                .postgres(configuration: config, maxConnectionsPerEventLoop: poolSize, sqlLogLevel: .debug),
                as: .psql)
        case .sqliteFile(let path):
            self.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.databases = Databases(threadPool: threadPool, on: eventLoopGroup)
            databases.use(
                .sqlite(.file(path), connectionPoolTimeout: Self.sqliteQueueTimeout, sqlLogLevel: nil), as: .sqlite)
        case .sqliteMemory:
            self.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            self.databases = Databases(threadPool: threadPool, on: eventLoopGroup)
            databases.use(
                .sqlite(.memory, connectionPoolTimeout: Self.sqliteQueueTimeout, sqlLogLevel: nil), as: .sqlite)
        }
    }

    /// SQLite has one connection, so every request queues for it: a burst (forty sign-ins at once on a busy
    /// machine) may wait longer than the pool's default 10 s, and a request should wait rather than fail.
    private static let sqliteQueueTimeout = TimeAmount.seconds(30)

    /// A Fluent database handle (for migrations).
    public var database: any Database {
        databases.database(logger: logger, on: eventLoopGroup.any())!
    }

    /// The SQL interface every repository uses.
    public var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Runs `body` in one transaction; everything inside commits together or not at all.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T)
        async throws -> T
    {
        try await database.transaction { db in try await body(db as! any SQLDatabase) }
    }

    /// Applies pending migrations; sets SQLite's WAL journal and durable commits first.
    public func migrate() async throws {
        if !location.isPostgres, location != .sqliteMemory {
            try await sql.raw("PRAGMA journal_mode=WAL").run()
            try await sql.raw("PRAGMA synchronous=FULL").run()
            // 64 MiB of page cache: audit details are keyed by a random hash, so their inserts touch pages all over.
            try await sql.raw("PRAGMA cache_size=-65536").run()
            // Deleted and overwritten content is zeroed, so an erased person's text does not linger in free pages.
            try await sql.raw("PRAGMA secure_delete=ON").run()
        }
        let migrator = makeMigrator()
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
    }

    /// Names of migrations not yet applied (empty when the schema is current).
    public func pendingMigrations() async throws -> [String] {
        let migrator = makeMigrator()
        try await migrator.setupIfNeeded().get()
        return try await migrator.previewPrepareBatch().get().map { $0.0.name }
    }

    /// Checks the database answers.
    public func ping() async throws {
        try await sql.raw("SELECT 1").run()
    }

    public func shutdown() async {
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
        try? await eventLoopGroup.shutdownGracefully()
    }

    private func makeMigrator() -> Migrator {
        let migrations = Migrations()
        migrations.add(Schema.all)
        return Migrator(
            databases: databases, migrations: migrations, logger: logger, on: eventLoopGroup.any(),
            migrationLogLevel: .debug)
    }
}
