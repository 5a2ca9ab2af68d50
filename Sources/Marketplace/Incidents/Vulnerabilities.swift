public import Domain
import Foundation
import SQLKit
import Storage

public struct VulnerabilityView: Sendable, Codable, Equatable {
    public let id: String
    public let title: String
    public let component: String
    public let reference: String
    public let severity: String
    public let foundAt: Int64
    public let fixBy: Int64
    public let status: String
    public let note: String
    public let closedAt: Int64?
    public let overdue: Bool
}

/// The vulnerability register (clause 2.2: fix vulnerabilities promptly): each finding gets a fix-by date from its
/// severity (critical 7 days, high 30, medium 90, low 180); overdue ones fail `covenant assess`. Audited.
public enum Vulnerabilities {
    public static func record(
        title rawTitle: String, component rawComponent: String, reference rawReference: String, severity: String,
        foundAt: Int64, caller: Caller, platform: Platform
    ) async throws -> VulnerabilityView {
        try caller.require(.handleIncidents)
        guard let level = VulnerabilitySeverity(rawValue: severity) else {
            throw Problem.invalid("severity", "One of \(VulnerabilitySeverity.allCases.map(\.rawValue)).")
        }
        let title = try TextInput.singleLine(maximumLength: 200).validate(rawTitle, field: "title")
        let component = try TextInput.singleLine(maximumLength: 100).validate(rawComponent, field: "component")
        let reference = try TextInput.singleLine(maximumLength: 100, allowsEmpty: true).validate(
            rawReference, field: "reference")
        guard foundAt <= platform.now else { throw Problem.invalid("foundAt", "When it was found: not in the future.") }
        let row = VulnerabilityRow(
            id: Identifiers.make(), title: title, component: component, reference: reference,
            severity: level.rawValue, found_at: foundAt, fix_by: foundAt + Int64(level.fixDays) * 86_400_000,
            recorded_by: caller.accountId, now: platform.now)
        try await platform.db.transaction { db in
            try await VulnerabilityStore.insert(row, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "vulnerability.record", actor: caller.accountId, object: "vulnerability:\(row.id)",
                    details: ["severity": level.rawValue, "component": component, "fixBy": String(row.fix_by)]),
                platform: platform, on: db)
        }
        return view(row, now: platform.now)
    }

    public static func list(caller: Caller, platform: Platform) async throws -> [VulnerabilityView] {
        try caller.require(.handleIncidents)
        return try await VulnerabilityStore.all(on: platform.db.sql).map { view($0, now: platform.now) }
    }

    /// Closes a finding as fixed, or as accepted risk with a reason.
    public static func close(
        id: String, status: String, note rawNote: String, caller: Caller, platform: Platform
    ) async throws -> VulnerabilityView {
        try caller.require(.handleIncidents)
        guard status == "fixed" || status == "accepted" else { throw Problem.invalid("status", "fixed or accepted.") }
        let note = try TextInput.singleLine(maximumLength: 500).validate(rawNote, field: "note")
        try await platform.db.transaction { db in
            guard try await VulnerabilityStore.close(id: id, status: status, note: note, now: platform.now, on: db)
            else { throw Problem.conflict("No open vulnerability with this id.") }
            try await AuditTrail.record(
                AuditEvent(
                    "vulnerability.close", actor: caller.accountId, object: "vulnerability:\(id)",
                    details: ["status": status]), platform: platform, on: db)
        }
        guard let row = try await VulnerabilityStore.all(on: platform.db.sql).first(where: { $0.id == id }) else {
            throw Problem.notFound("The vulnerability")
        }
        return view(row, now: platform.now)
    }

    /// Titles of open findings past their fix-by date (self-assessment).
    public static func overdue(platform: Platform) async throws -> [String] {
        try await VulnerabilityStore.overdue(now: platform.now, on: platform.db.sql).map {
            "\($0.title) (\($0.severity))"
        }
    }

    static func view(_ row: VulnerabilityRow, now: Int64) -> VulnerabilityView {
        VulnerabilityView(
            id: row.id, title: row.title, component: row.component, reference: row.reference, severity: row.severity,
            foundAt: row.found_at, fixBy: row.fix_by, status: row.status, note: row.note, closedAt: row.closed_at,
            overdue: row.status == "open" && now > row.fix_by)
    }
}
