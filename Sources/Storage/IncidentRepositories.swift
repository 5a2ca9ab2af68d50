public import Foundation
public import SQLKit

public struct IncidentRow: Codable, Sendable {
    public let id: String
    public let type: String
    public let title: String
    public let description_cipher: Data
    public let discovered_at: Int64
    public let owner_id: String
    public var status: String
    public var grade: String
    /// The lowest grade staff set by hand; analysis may raise the grade, never lower it below this.
    public var grade_floor: String
    public var people: Int64
    public var sensitive_records: Int64
    /// JSON array of the categories of data concerned.
    public var categories: String
    /// What the platform did, as told to people and the regulator.
    public var measures: String
    public var regulator_due_at: Int64?
    public var regulator_reported_at: Int64?
    public let notify_due_at: Int64
    public var notices_sent_at: Int64?
    public let created_at: Int64
    public var updated_at: Int64

    public init(
        id: String, type: String, title: String, description_cipher: Data, discovered_at: Int64, owner_id: String,
        grade: String, notify_due_at: Int64, now: Int64
    ) {
        self.id = id
        self.type = type
        self.title = title
        self.description_cipher = description_cipher
        self.discovered_at = discovered_at
        self.owner_id = owner_id
        self.status = "open"
        self.grade = grade
        self.grade_floor = grade
        self.people = 0
        self.sensitive_records = 0
        self.categories = "[]"
        self.measures = ""
        self.notify_due_at = notify_due_at
        self.created_at = now
        self.updated_at = now
    }
}

public struct IncidentEventRow: Codable, Sendable {
    public let id: String
    public let incident_id: String
    public let kind: String
    public let note: String
    public let actor: String
    public let at: Int64

    public init(id: String, incident_id: String, kind: String, note: String, actor: String, at: Int64) {
        self.id = id
        self.incident_id = incident_id
        self.kind = kind
        self.note = note
        self.actor = actor
        self.at = at
    }
}

public struct IncidentSubjectRow: Codable, Sendable {
    public let id: String
    public let incident_id: String
    public let subject_id: String
    public let subject_kind: String
    public let categories: String
    public var notification_id: String?

    public init(id: String, incident_id: String, subject_id: String, subject_kind: String, categories: String) {
        self.id = id
        self.incident_id = incident_id
        self.subject_id = subject_id
        self.subject_kind = subject_kind
        self.categories = categories
    }
}

public struct IncidentTaskRow: Codable, Sendable {
    public let id: String
    public let incident_id: String
    public let title: String
    public let due_at: Int64
    public var done_at: Int64?
    public var done_by: String?
    public let created_at: Int64

    public init(id: String, incident_id: String, title: String, due_at: Int64, created_at: Int64) {
        self.id = id
        self.incident_id = incident_id
        self.title = title
        self.due_at = due_at
        self.created_at = created_at
    }
}

public struct NotificationRow: Codable, Sendable {
    public let id: String
    public let recipient_id: String
    public let channel: String
    public let subject: String
    public let body_cipher: Data
    public let reference: String
    public var status: String
    public var attempts: Int
    public var next_attempt_at: Int64
    public var delivered_at: Int64?
    public var last_error: String?
    public let created_at: Int64

    public init(
        id: String, recipient_id: String, channel: String, subject: String, body_cipher: Data, reference: String,
        now: Int64
    ) {
        self.id = id
        self.recipient_id = recipient_id
        self.channel = channel
        self.subject = subject
        self.body_cipher = body_cipher
        self.reference = reference
        self.status = "pending"
        self.attempts = 0
        self.next_attempt_at = now
        self.created_at = now
    }
}

public enum IncidentStore {
    public static func insert(_ row: IncidentRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "incidents").model(row).run()
    }

    public static func save(_ row: IncidentRow, on db: any SQLDatabase) async throws {
        try await db.update("incidents").set(model: row).where("id", .equal, row.id).run()
    }

    public static func find(id: String, on db: any SQLDatabase) async throws -> IncidentRow? {
        try await db.select().column("*").from("incidents").where("id", .equal, id).first(decoding: IncidentRow.self)
    }

    public static func all(on db: any SQLDatabase) async throws -> [IncidentRow] {
        try await db.select().column("*").from("incidents").orderBy("discovered_at", .descending).limit(200)
            .all(decoding: IncidentRow.self)
    }

    public static func insert(_ row: IncidentEventRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "incident_events").model(row).run()
    }

    public static func timeline(incident: String, on db: any SQLDatabase) async throws -> [IncidentEventRow] {
        try await db.select().column("*").from("incident_events").where("incident_id", .equal, incident)
            .orderBy("at").all(decoding: IncidentEventRow.self)
    }

    /// Replaces the affected people found by an analysis (a later analysis supersedes an earlier one).
    public static func replaceSubjects(
        incident: String, _ rows: [IncidentSubjectRow], on db: any SQLDatabase
    ) async throws {
        try await db.delete(from: "incident_subjects").where("incident_id", .equal, incident)
            .where("notification_id", .is, SQLLiteral.null).run()
        for chunk in stride(from: 0, to: rows.count, by: 200) {
            try await db.insert(into: "incident_subjects").models(Array(rows[chunk..<min(chunk + 200, rows.count)]))
                .ignoringConflicts().run()
        }
    }

    public static func subjects(incident: String, on db: any SQLDatabase) async throws -> [IncidentSubjectRow] {
        try await db.select().column("*").from("incident_subjects").where("incident_id", .equal, incident)
            .orderBy("subject_id").all(decoding: IncidentSubjectRow.self)
    }

    public static func markNotified(subject id: String, notification: String, on db: any SQLDatabase) async throws {
        try await db.update("incident_subjects").set("notification_id", to: notification).where("id", .equal, id)
            .run()
    }

    public static func insert(_ row: IncidentTaskRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "incident_tasks").model(row).run()
    }

    public static func tasks(incident: String, on db: any SQLDatabase) async throws -> [IncidentTaskRow] {
        try await db.select().column("*").from("incident_tasks").where("incident_id", .equal, incident)
            .orderBy("due_at").all(decoding: IncidentTaskRow.self)
    }

    public static func completeTask(id: String, incident: String, by: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE incident_tasks SET done_at = \(bind: now), done_by = \(bind: by)
            WHERE id = \(bind: id) AND incident_id = \(bind: incident) AND done_at IS NULL RETURNING id
            """
        ).first() != nil
    }
}

public enum NotificationStore {
    public static func insert(_ row: NotificationRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "notifications").model(row).run()
    }

    /// Pending notifications whose next attempt is due, oldest first.
    public static func due(now: Int64, limit: Int, on db: any SQLDatabase) async throws -> [NotificationRow] {
        try await db.select().column("*").from("notifications").where("status", .equal, "pending")
            .where("next_attempt_at", .lessThanOrEqual, now).orderBy("next_attempt_at").limit(limit)
            .all(decoding: NotificationRow.self)
    }

    public static func delivered(id: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE notifications SET status = 'delivered', delivered_at = \(bind: now), attempts = attempts + 1
            WHERE id = \(bind: id)
            """
        ).run()
    }

    /// Counts a failed attempt: tried again at `retryAt`, or failed for good after `maxAttempts`.
    public static func failed(
        id: String, error: String, retryAt: Int64, maxAttempts: Int, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            UPDATE notifications SET attempts = attempts + 1, last_error = \(bind: error),
              next_attempt_at = \(bind: retryAt),
              status = CASE WHEN attempts + 1 >= \(bind: maxAttempts) THEN 'failed' ELSE 'pending' END
            WHERE id = \(bind: id)
            """
        ).run()
    }

    public static func find(ids: [String], on db: any SQLDatabase) async throws -> [NotificationRow] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().column("*").from("notifications").where("id", .in, ids)
            .all(decoding: NotificationRow.self)
    }

    public static func forReference(_ reference: String, on db: any SQLDatabase) async throws -> [NotificationRow] {
        try await db.select().column("*").from("notifications").where("reference", .equal, reference)
            .all(decoding: NotificationRow.self)
    }
}

public struct VulnerabilityRow: Codable, Sendable {
    public let id: String
    public let title: String
    public let component: String
    public let reference: String
    public let severity: String
    public let found_at: Int64
    public let fix_by: Int64
    public var status: String
    public var note: String
    public let recorded_by: String
    public var closed_at: Int64?
    public var updated_at: Int64

    public init(
        id: String, title: String, component: String, reference: String, severity: String, found_at: Int64,
        fix_by: Int64, recorded_by: String, now: Int64
    ) {
        self.id = id
        self.title = title
        self.component = component
        self.reference = reference
        self.severity = severity
        self.found_at = found_at
        self.fix_by = fix_by
        self.status = "open"
        self.note = ""
        self.recorded_by = recorded_by
        self.updated_at = now
    }
}

public enum VulnerabilityStore {
    public static func insert(_ row: VulnerabilityRow, on db: any SQLDatabase) async throws {
        try await db.insert(into: "vulnerabilities").model(row).run()
    }

    public static func all(on db: any SQLDatabase) async throws -> [VulnerabilityRow] {
        try await db.select().column("*").from("vulnerabilities").orderBy("fix_by").limit(1_000)
            .all(decoding: VulnerabilityRow.self)
    }

    /// Open vulnerabilities whose fix-by date has passed.
    public static func overdue(now: Int64, on db: any SQLDatabase) async throws -> [VulnerabilityRow] {
        try await db.select().column("*").from("vulnerabilities").where("status", .equal, "open")
            .where("fix_by", .lessThan, now).all(decoding: VulnerabilityRow.self)
    }

    public static func close(id: String, status: String, note: String, now: Int64, on db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.raw(
            """
            UPDATE vulnerabilities SET status = \(bind: status), note = \(bind: note), closed_at = \(bind: now),
              updated_at = \(bind: now) WHERE id = \(bind: id) AND status = 'open' RETURNING id
            """
        ).first() != nil
    }
}
