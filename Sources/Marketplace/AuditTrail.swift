import Crypto
import Domain
import Foundation
import Metrics
import Privacy
public import SQLKit
import Storage

/// One security audit event (clause 2.2). Actor and subject are account ids here and become keyed
/// pseudonyms in storage; details are encrypted under the subject's data key, so erasing a person
/// erases their details while the event's hash stays in the log.
public struct AuditEvent: Sendable {
    public enum Outcome: String, Sendable { case success, failure, denied }

    public let type: String
    public let actor: String?
    public let subject: String?
    public let object: String
    public let outcome: Outcome
    public let details: [String: String]

    public init(
        _ type: String, actor: String?, subject: String? = nil, object: String = "", outcome: Outcome = .success,
        details: [String: String] = [:]
    ) {
        self.type = type
        self.actor = actor
        self.subject = subject
        self.object = object
        self.outcome = outcome
        self.details = details
    }
}

/// Writes audit events inside the caller's transaction: no audit event, no commit (fail closed).
public enum AuditTrail {
    /// The key subject for events that concern no person.
    static let platformSubject = "platform:audit"

    /// Records `event` on `db` (a transaction). Throws if it cannot be written, which aborts the action.
    public static func record(_ event: AuditEvent, platform: Platform, on db: any SQLDatabase) async throws {
        try await record([event], platform: platform, on: db)
    }

    /// Records several events with one key look-up per person and two inserts (group commit of audit events).
    public static func record(_ events: [AuditEvent], platform: Platform, on db: any SQLDatabase) async throws {
        // Time spent writing audit events, so its share of each request can be measured (docs/benchmarks.md).
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            Metrics.Timer(label: "covenant_audit_write_duration").recordNanoseconds(
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        let subjects = Set(events.map { $0.subject ?? $0.actor ?? platformSubject })
        var keys = try await SubjectKeys.keysForAudit(subjects: subjects, platform: platform, on: db)
        var rows: [(event: AuditEventRow, keySubject: String, detailsCipher: Data)] = []
        rows.reserveCapacity(events.count)
        for event in events {
            let keySubject = event.subject ?? event.actor ?? platformSubject
            let key: SymmetricKey
            if let known = keys[keySubject] {
                key = known
            } else {
                key = try await SubjectKeys.keyForWriting(subject: keySubject, platform: platform, on: db)
                keys[keySubject] = key
            }
            let detailsJSON = CanonicalJSON.encode(event.details)
            let context = FieldContext(table: "audit_details", column: "details_cipher", row: keySubject)
            let cipher = try FieldCipher.seal(detailsJSON, key: key, context: context)
            let hash = Hex.encode(SHA256.hash(data: cipher))
            let row = AuditEventRow(
                event_type: event.type,
                actor: event.actor.map(platform.keys.pseudonym) ?? "",
                subject: event.subject.map(platform.keys.pseudonym) ?? "",
                object_ref: event.object,
                outcome: event.outcome.rawValue,
                occurred_at: platform.now,
                details_hash: hash
            )
            rows.append((row, keySubject, cipher))
        }
        try await AuditStore.append(rows, on: db)
    }

    /// Records an event in a transaction of its own (denials and failures that change nothing else).
    public static func recordAlone(_ event: AuditEvent, platform: Platform) async throws {
        try await platform.db.transaction { db in try await record(event, platform: platform, on: db) }
    }
}
