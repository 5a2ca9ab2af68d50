public import Domain
public import Foundation
import Privacy
import SQLKit
import Storage

public struct IncidentTimelineEntry: Sendable, Codable, Equatable {
    public let kind: String
    public let note: String
    public let actor: String
    public let at: Int64
}

public struct IncidentTaskView: Sendable, Codable, Equatable {
    public let id: String
    public let title: String
    public let dueAt: Int64
    public let doneAt: Int64?
    public let overdue: Bool
}

public struct IncidentView: Sendable, Codable, Equatable {
    public let id: String
    public let type: String
    public let title: String
    public let description: String?
    public let discoveredAt: Int64
    public let ownerId: String
    public let status: String
    public let grade: String
    public let people: Int64
    public let consumers: Int
    public let merchants: Int
    public let sensitiveRecords: Int64
    public let categories: [String]
    public let measures: String
    public let regulatorDueAt: Int64?
    public let regulatorReportedAt: Int64?
    public let regulatorOverdue: Bool
    public let notifyDueAt: Int64
    public let noticesSentAt: Int64?
    public let notificationsDelivered: Int
    public let notificationsPending: Int
    public let notificationsFailed: Int
    public let notifyOverdue: Bool
    public let timeline: [IncidentTimelineEntry]
    public let tasks: [IncidentTaskView]
}

/// What was compromised, for the impact analysis.
public struct CompromisedScope: Sendable, Codable, Equatable {
    /// `account` (a staff or merchant account id), `provider` (a provider id), `master_key` (a version number) or
    /// `table` (accounts, orders or identity_verifications).
    public let kind: String
    public let value: String
    /// The window of the compromise, milliseconds since the epoch [from, to).
    public let from: Int64
    public let to: Int64

    public init(kind: String, value: String, from: Int64, to: Int64) {
        self.kind = kind
        self.value = value
        self.from = from
        self.to = to
    }
}

/// The incident register and breach notification (clauses 1.1.3, 2.3.6; PIPL Art. 57): record an incident, compute
/// who was affected from the access log and the data catalog, grade it, notify each person within the agreement's
/// clock and the regulator within 4 hours when the grade requires, and track remediation. All audited; for
/// `security_officer` staff.
public enum Incidents {
    public static let statuses = ["open", "contained", "resolved", "closed"]

    public static func register(
        type rawType: String, title rawTitle: String, description rawDescription: String, discoveredAt: Int64,
        grade rawGrade: String?, caller: Caller, platform: Platform
    ) async throws -> IncidentView {
        try caller.require(.handleIncidents)
        guard let type = IncidentType(rawValue: rawType) else {
            throw Problem.invalid("type", "One of \(IncidentType.allCases.map(\.rawValue)).")
        }
        let grade = try rawGrade.map(validGrade) ?? .general
        let title = try TextInput.singleLine(maximumLength: 200).validate(rawTitle, field: "title")
        let description = try TextInput.multiline(maximumLength: 10_000).validate(rawDescription, field: "description")
        let now = platform.now
        guard discoveredAt <= now, now - discoveredAt <= 366 * 86_400_000 else {
            throw Problem.invalid("discoveredAt", "When it was discovered: now or in the past year.")
        }
        let id = Identifiers.make()
        let policy = platform.incidentPolicy
        try await platform.db.transaction { db in
            // The description may name systems and weaknesses: sealed under the platform's own key.
            let key = try await SubjectKeys.keyForWriting(
                subject: AuditTrail.platformSubject, platform: platform, on: db)
            var row = IncidentRow(
                id: id, type: type.rawValue, title: title,
                description_cipher: try FieldCipher.seal(
                    description, key: key,
                    context: FieldContext(table: "incidents", column: "description_cipher", row: id)),
                discovered_at: discoveredAt, owner_id: caller.accountId, grade: grade.rawValue,
                notify_due_at: policy.notifyDue(discoveredAt: discoveredAt), now: now)
            row.regulator_due_at = policy.regulatorDue(discoveredAt: discoveredAt, grade: grade)
            try await IncidentStore.insert(row, on: db)
            try await log(id, "registered", "\(type.rawValue), graded \(grade.rawValue)", caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    public static func list(caller: Caller, platform: Platform) async throws -> [IncidentView] {
        try caller.require(.handleIncidents)
        var views: [IncidentView] = []
        for row in try await IncidentStore.all(on: platform.db.sql) {
            views.append(try await view(row, platform: platform))
        }
        return views
    }

    public static func get(id: String, caller: Caller, platform: Platform) async throws -> IncidentView {
        try caller.require(.handleIncidents)
        return try await view(id: id, platform: platform)
    }

    /// An entry in the timeline (an action taken), optionally moving the status or raising the grade.
    public static func act(
        id: String, note rawNote: String, status: String?, grade rawGrade: String?, caller: Caller,
        platform: Platform
    ) async throws -> IncidentView {
        try caller.require(.handleIncidents)
        let note = try TextInput.multiline(maximumLength: 2_000).validate(rawNote, field: "note")
        if let status, !statuses.contains(status) { throw Problem.invalid("status", "One of \(statuses).") }
        let floor = try rawGrade.map(validGrade)
        try await platform.db.transaction { db in
            guard var row = try await IncidentStore.find(id: id, on: db) else { throw Problem.notFound("The incident") }
            if let status { row.status = status }
            if let floor {
                row.grade_floor = floor.rawValue
                try regrade(&row, platform: platform)
            }
            row.updated_at = platform.now
            try await IncidentStore.save(row, on: db)
            try await log(
                id, "action",
                note + (status.map { " [status: \($0)]" } ?? "") + (floor.map { " [grade ≥ \($0)]" } ?? ""),
                caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    public static func addTask(id: String, title rawTitle: String, dueAt: Int64, caller: Caller, platform: Platform)
        async throws -> IncidentView
    {
        try caller.require(.handleIncidents)
        let title = try TextInput.singleLine(maximumLength: 200).validate(rawTitle, field: "title")
        try await platform.db.transaction { db in
            guard try await IncidentStore.find(id: id, on: db) != nil else { throw Problem.notFound("The incident") }
            try await IncidentStore.insert(
                IncidentTaskRow(
                    id: Identifiers.make(), incident_id: id, title: title, due_at: dueAt, created_at: platform.now),
                on: db)
            try await log(id, "task", "remediation task: \(title)", caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    public static func completeTask(id: String, task: String, caller: Caller, platform: Platform) async throws
        -> IncidentView
    {
        try caller.require(.handleIncidents)
        try await platform.db.transaction { db in
            guard
                try await IncidentStore.completeTask(
                    id: task, incident: id, by: caller.accountId, now: platform.now, on: db)
            else { throw Problem.notFound("An open task of this incident") }
            try await log(id, "task.done", "task \(task) done", caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    // MARK: Impact, notices, regulator

    /// Computes exactly who was affected and which categories of their data, from the access log, the disclosure
    /// records and the stored data, then grades the incident. Replaces an earlier analysis's people not yet notified.
    public static func analyse(id: String, scope: CompromisedScope, caller: Caller, platform: Platform) async throws
        -> IncidentView
    {
        try caller.require(.handleIncidents)
        guard scope.to > scope.from else { throw Problem.invalid("scope", "The window ends after it starts.") }
        let affected = try await ImpactAnalysis.affected(by: scope, platform: platform)
        try await platform.db.transaction { db in
            guard var row = try await IncidentStore.find(id: id, on: db) else { throw Problem.notFound("The incident") }
            let accounts = try await ImpactAnalysis.kinds(of: Array(affected.keys), on: db)
            let rows = affected.sorted { $0.key < $1.key }.compactMap { subject, categories -> IncidentSubjectRow? in
                guard let kind = accounts[subject] else { return nil }
                return IncidentSubjectRow(
                    id: Identifiers.make(), incident_id: id, subject_id: subject, subject_kind: kind,
                    categories: StringList.encode(categories.sorted()))
            }
            try await IncidentStore.replaceSubjects(incident: id, rows, on: db)
            let all = try await IncidentStore.subjects(incident: id, on: db)
            row.people = Int64(all.count)
            let categories = Set(all.flatMap { StringList.decode($0.categories) })
            row.categories = StringList.encode(categories.sorted())
            row.sensitive_records = Int64(
                all.filter { StringList.decode($0.categories).contains { ImpactAnalysis.sensitive.contains($0) } }.count
            )
            try regrade(&row, platform: platform)
            row.updated_at = platform.now
            try await IncidentStore.save(row, on: db)
            try await log(
                id, "impact",
                "\(scope.kind) \(scope.value) from \(scope.from) to \(scope.to): \(row.people) people, "
                    + "\(row.sensitive_records) sensitive records, graded \(row.grade)", caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    /// Writes a notice to every affected person not yet notified (PIPL Art. 57 content) into the outbox.
    public static func notify(id: String, measures rawMeasures: String, caller: Caller, platform: Platform)
        async throws -> IncidentView
    {
        try caller.require(.handleIncidents)
        let measures = try TextInput.multiline(maximumLength: 2_000).validate(rawMeasures, field: "measures")
        try await platform.db.transaction { db in
            guard var row = try await IncidentStore.find(id: id, on: db) else { throw Problem.notFound("The incident") }
            let subjects = try await IncidentStore.subjects(incident: id, on: db).filter { $0.notification_id == nil }
            guard !subjects.isEmpty else { throw Problem.conflict("Nobody to notify: analyse the impact first.") }
            var queued = 0
            for subject in subjects {
                guard let account = try await AccountStore.find(id: subject.subject_id, on: db) else { continue }
                let notice = IncidentNotice.text(
                    categories: StringList.decode(subject.categories), cause: row.title, measures: measures,
                    contact: platform.incidentContact, incidentId: id)
                let notification = try await Notifications.enqueue(
                    to: account, subject: notice.subject, body: notice.body, reference: "incident:\(id)",
                    platform: platform, on: db)
                try await IncidentStore.markNotified(subject: subject.id, notification: notification, on: db)
                queued += 1
            }
            row.measures = measures
            row.notices_sent_at = row.notices_sent_at ?? platform.now
            row.updated_at = platform.now
            try await IncidentStore.save(row, on: db)
            try await log(id, "notices", "\(queued) people notified (queued on every channel)", caller, platform, db)
        }
        return try await view(id: id, platform: platform)
    }

    /// The report for the cyberspace authority, as JSON; producing it stops the regulator's clock.
    public static func regulatorReport(id: String, caller: Caller, platform: Platform) async throws -> Data {
        try caller.require(.handleIncidents)
        let now = platform.now
        try await platform.db.transaction { db in
            guard var row = try await IncidentStore.find(id: id, on: db) else { throw Problem.notFound("The incident") }
            row.regulator_reported_at = row.regulator_reported_at ?? now
            row.updated_at = now
            try await IncidentStore.save(row, on: db)
            try await log(id, "regulator", "report to the cyberspace authority produced", caller, platform, db)
        }
        let view = try await view(id: id, platform: platform)
        let report: [String: String] = [
            "report": "network security incident report / 网络安全事件报告", "incidentId": view.id,
            "type": view.type, "grade": view.grade, "title": view.title, "description": view.description ?? "",
            "discoveredAt": iso(view.discoveredAt), "reportedAt": iso(view.regulatorReportedAt ?? now),
            "regulatorDueAt": view.regulatorDueAt.map(iso) ?? "not required for this grade",
            "peopleAffected": String(view.people), "consumers": String(view.consumers),
            "merchants": String(view.merchants), "sensitiveRecords": String(view.sensitiveRecords),
            "categories": view.categories.joined(separator: ", "), "measures": view.measures,
            "peopleNotifiedAt": view.noticesSentAt.map(iso) ?? "not yet",
            "notificationsDelivered": String(view.notificationsDelivered), "contact": platform.incidentContact,
            "status": view.status,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(report)
    }

    // MARK: Helpers

    private static func regrade(_ row: inout IncidentRow, platform: Platform) throws {
        let policy = platform.incidentPolicy
        let floor = try validGrade(row.grade_floor)
        let grade = policy.grade(
            people: Int(row.people), sensitiveRecords: Int(row.sensitive_records), atLeast: floor)
        row.grade = grade.rawValue
        row.regulator_due_at = policy.regulatorDue(discoveredAt: row.discovered_at, grade: grade)
    }

    private static func validGrade(_ raw: String) throws -> IncidentGrade {
        guard let grade = IncidentGrade(rawValue: raw) else {
            throw Problem.invalid("grade", "One of \(IncidentGrade.allCases.map(\.rawValue)).")
        }
        return grade
    }

    private static func log(
        _ id: String, _ kind: String, _ note: String, _ caller: Caller, _ platform: Platform, _ db: any SQLDatabase
    ) async throws {
        try await IncidentStore.insert(
            IncidentEventRow(
                id: Identifiers.make(), incident_id: id, kind: kind, note: note, actor: caller.accountId,
                at: platform.now), on: db)
        try await AuditTrail.record(
            AuditEvent("incident.\(kind)", actor: caller.accountId, object: "incident:\(id)", details: ["note": note]),
            platform: platform, on: db)
    }

    static func view(id: String, platform: Platform) async throws -> IncidentView {
        guard let row = try await IncidentStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The incident")
        }
        return try await view(row, platform: platform)
    }

    static func view(_ row: IncidentRow, platform: Platform) async throws -> IncidentView {
        let db = platform.db.sql
        let now = platform.now
        let key = try? await SubjectKeys.key(subject: AuditTrail.platformSubject, platform: platform, on: db)
        let description = key.flatMap {
            try? FieldCipher.open(
                row.description_cipher, key: $0,
                context: FieldContext(table: "incidents", column: "description_cipher", row: row.id))
        }
        let subjects = try await IncidentStore.subjects(incident: row.id, on: db)
        let notifications = try await NotificationStore.forReference("incident:\(row.id)", on: db)
        let inbox = notifications.filter { $0.channel == Notifications.Channel.inbox.rawValue }
        let delivered = inbox.filter { $0.status == "delivered" }
        let late =
            subjects.contains { $0.notification_id == nil } || inbox.contains { $0.status != "delivered" }
            || delivered.contains { ($0.delivered_at ?? 0) > row.notify_due_at }
        return IncidentView(
            id: row.id, type: row.type, title: row.title, description: description, discoveredAt: row.discovered_at,
            ownerId: row.owner_id, status: row.status, grade: row.grade, people: row.people,
            consumers: subjects.filter { $0.subject_kind == "consumer" }.count,
            merchants: subjects.filter { $0.subject_kind == "merchant" }.count,
            sensitiveRecords: row.sensitive_records, categories: StringList.decode(row.categories),
            measures: row.measures,
            regulatorDueAt: row.regulator_due_at, regulatorReportedAt: row.regulator_reported_at,
            regulatorOverdue: row.regulator_due_at.map { due in (row.regulator_reported_at ?? now) > due } ?? false,
            notifyDueAt: row.notify_due_at, noticesSentAt: row.notices_sent_at,
            notificationsDelivered: delivered.count,
            notificationsPending: inbox.filter { $0.status == "pending" }.count,
            notificationsFailed: inbox.filter { $0.status == "failed" }.count,
            notifyOverdue: !subjects.isEmpty && late && now > row.notify_due_at,
            timeline: try await IncidentStore.timeline(incident: row.id, on: db).map {
                IncidentTimelineEntry(kind: $0.kind, note: $0.note, actor: $0.actor, at: $0.at)
            },
            tasks: try await IncidentStore.tasks(incident: row.id, on: db).map {
                IncidentTaskView(
                    id: $0.id, title: $0.title, dueAt: $0.due_at, doneAt: $0.done_at,
                    overdue: $0.done_at == nil && now > $0.due_at)
            })
    }

    private static func iso(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).ISO8601Format()
    }
}
