import Foundation
import Synchronization

/// The ids of people whose data keys were destroyed, kept in a file beside the database (not in it), so that a
/// restored backup taken before an erasure has those keys destroyed again: erased stays erased (clause 2.3.5).
/// It holds random account ids only, one per line with the time of the erasure, in a file only the platform's user
/// can read.
public final class ErasureJournal: Sendable {
    public let path: String
    /// Other instances' journals, read with this one (several instances each keep their own, in their data
    /// directory; a restore must re-apply every erasure, wherever it was made).
    public let others: [String]
    private let lock = Mutex(())

    public init(path: String, others: [String] = []) {
        self.path = path
        self.others = others
    }

    /// Appends an erased person's id and when they were erased (after the erasure committed), so that applying
    /// it again to a restored backup gives the rows the erasure gave.
    public func record(_ subjectId: String, at millis: Int64) throws {
        try lock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                guard
                    FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw CocoaError(.fileWriteUnknown) }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("\(subjectId)\t\(millis)\n".utf8))
        }
    }

    /// Every id recorded so far.
    public func subjects() -> [String] { entries().map(\.subject) }

    /// Every erasure recorded so far, with its time (nil in lines written before times were recorded): this
    /// journal's in order, then those only the others hold, in time order.
    public func entries() -> [(subject: String, at: Int64?)] {
        var result = Self.read(path)
        var seen = Set(result.map(\.subject))
        let elsewhere = others.flatMap(Self.read).sorted { ($0.at ?? 0) < ($1.at ?? 0) }
        for entry in elsewhere where seen.insert(entry.subject).inserted { result.append(entry) }
        return result
    }

    private static func read(_ path: String) -> [(subject: String, at: Int64?)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.isEmpty }.map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? Int64(parts[1]) : nil)
        }
    }
}
