import Foundation
import Synchronization

/// `pg_dump` and `pg_restore` against a `postgres://` URL. The password goes to the tools in `PGPASSWORD`, never on
/// the command line (where `ps` would show it), and their error output is reduced to its first line without it.
enum PostgresDump {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A consistent snapshot in pg_dump's custom format (one transaction; the platform keeps serving).
    static func dump(url: String) throws -> Data {
        try run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--compress=6"], url: url)
    }

    /// Restores a custom-format dump into the database at `url`, replacing what it holds, in one transaction.
    static func restore(_ dump: Data, into url: String, replacing: Bool) throws {
        var arguments = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if replacing { arguments += ["--clean", "--if-exists"] }
        _ = try run("pg_restore", arguments, url: url, input: dump)
    }

    /// The URL without its password, and the password.
    static func split(_ url: String) throws -> (url: String, password: String?) {
        guard var parts = URLComponents(string: url), parts.host != nil else {
            throw Failure(description: "not a postgres:// URL")
        }
        let password = parts.password?.removingPercentEncoding
        parts.password = nil
        parts.scheme = "postgresql"
        guard let bare = parts.string else { throw Failure(description: "not a postgres:// URL") }
        return (bare, password)
    }

    private static func run(_ tool: String, _ arguments: [String], url: String, input: Data? = nil) throws -> Data {
        let (bare, password) = try split(url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments + ["--dbname=\(bare)"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        environment["PGCONNECT_TIMEOUT"] = "10"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            throw Failure(description: "\(tool) could not be started: install the PostgreSQL client tools")
        }
        // Read and write on their own threads so neither pipe fills while the other waits.
        let collected = Collected()
        let readers = DispatchGroup()
        for (pipe, index) in [(output, 0), (errors, 1)] {
            readers.enter()
            DispatchQueue.global().async {
                collected.set(index, pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }
        }
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: input)
            try stdin.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        readers.wait()
        guard process.terminationStatus == 0 else {
            let message =
                String(decoding: collected.get(1), as: UTF8.self)
                .split(separator: "\n").first.map(String.init) ?? "exit \(process.terminationStatus)"
            throw Failure(
                description: "\(tool) failed: "
                    + (password.map { message.replacingOccurrences(of: $0, with: "***") } ?? message))
        }
        return collected.get(0)
    }

    /// What the reader threads collected from stdout (0) and stderr (1).
    private final class Collected: Sendable {
        private let parts = Mutex([Data(), Data()])
        func set(_ index: Int, _ data: Data) { parts.withLock { $0[index] = data } }
        func get(_ index: Int) -> Data { parts.withLock { $0[index] } }
    }
}
