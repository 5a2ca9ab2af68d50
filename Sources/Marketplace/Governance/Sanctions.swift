public import Domain
import Foundation
import Privacy
import SQLKit
import Storage

public struct SanctionAppealView: Sendable, Codable, Equatable {
    public let id: String
    public let sanctionId: String
    public let status: String
    public let statement: String?
    public let decidedBy: String?
    public let note: String?
    public let createdAt: Int64
    public let decidedAt: Int64?
}

public struct SanctionView: Sendable, Codable, Equatable {
    public let id: String
    public let partyId: String
    public let partyKind: String
    public let level: String
    public let functions: [String]
    public let ruleRef: String
    public let reason: String?
    public let startsAt: Int64
    public let endsAt: Int64?
    public let imposedBy: String
    public let liftedAt: Int64?
    public let liftReason: String?
    public let inForce: Bool
    public let appeal: SanctionAppealView?
}

/// The sanction ladder (clause 2.5): warning → function restriction → suspension → termination → ban, proposed by a
/// configurable policy and decided by staff. The authorization layer enforces them (`check`); restrictions and
/// suspensions lift by themselves at their end; each can be appealed once, to a different member of staff.
public enum Sanctions {
    // MARK: Enforcement

    /// Throws if the rulebook or a sanction in force forbids the caller this use (called for every write route).
    public static func check(_ use: RouteUse, caller: Caller, platform: Platform) async throws {
        guard use != .exempt, caller.kind == .consumer || caller.kind == .merchant else { return }
        switch use {
        case .selfCare, .personalRights, .governance: return
        default: break
        }
        if caller.rulesPending { throw Problem.rulesAcceptanceRequired }
        let parties = Array(Set([caller.accountId, caller.party]))
        for row in try await SanctionStore.active(parties: parties, now: platform.now, on: platform.db.sql)
        where effect(row).blocks(use) {
            throw problem(row)
        }
    }

    /// Merchants among `merchantIds` that may not receive new orders now.
    static func merchantsNotSelling(_ merchantIds: [String], platform: Platform, on db: any SQLDatabase) async throws
        -> Set<String>
    {
        guard !merchantIds.isEmpty else { return [] }
        let rows = try await SanctionStore.active(parties: merchantIds, now: platform.now, on: db)
        return Set(rows.filter { effect($0).blocksSales }.map(\.party_id))
    }

    static func effect(_ row: SanctionRow) -> SanctionEffect {
        SanctionEffect(
            level: SanctionLevel(rawValue: row.level) ?? .ban,
            functions: Set(functions(row).compactMap(RestrictedFunction.init)))
    }

    static func problem(_ row: SanctionRow) -> Problem {
        let names = functions(row)
        return Problem.sanctioned(
            id: row.id, level: row.level, what: names.isEmpty ? "" : " of \(names.joined(separator: ", "))",
            until: row.ends_at.map { Date(timeIntervalSince1970: Double($0) / 1000).ISO8601Format() },
            ruleRef: row.rule_ref)
    }

    // MARK: Staff

    /// What the policy proposes for a party now (nil: nothing confirmed and unsanctioned).
    public static func proposal(party: String, caller: Caller, platform: Platform) async throws
        -> SanctionPolicy.Proposal?
    {
        try caller.require(.enforceRules)
        let db = platform.db.sql
        let violations = try await ViolationStore.unsanctioned(party: party, on: db)
        var history: [SanctionPolicy.PastSanction] = []
        for row in try await SanctionStore.history(party: party, on: db) {
            let appeal = try await SanctionAppealStore.find(sanction: row.id, on: db)
            history.append(
                .init(level: effect(row).level, imposedAt: row.starts_at, overturned: appeal?.status == "upheld"))
        }
        return platform.sanctionPolicy.propose(
            violationRules: violations.map(\.rule_ref), history: history, now: platform.now)
    }

    public struct Imposition: Sendable {
        public let party: String
        public let level: SanctionLevel
        public let functions: [RestrictedFunction]
        public let ruleRef: String
        public let reason: String
        public let endsAt: Int64?
        public let violationIds: [String]

        public init(
            party: String, level: SanctionLevel, functions: [RestrictedFunction], ruleRef: String, reason: String,
            endsAt: Int64?, violationIds: [String]
        ) {
            self.party = party
            self.level = level
            self.functions = functions
            self.ruleRef = ruleRef
            self.reason = reason
            self.endsAt = endsAt
            self.violationIds = violationIds
        }
    }

    public static func impose(_ input: Imposition, caller: Caller, platform: Platform) async throws -> SanctionView {
        try caller.require(.enforceRules)
        let ruleRef = try Violations.validRule(input.ruleRef)
        let reason = try Violations.validText(input.reason, field: "reason")
        let now = platform.now
        guard (input.level == .restriction) == !input.functions.isEmpty else {
            throw Problem.invalid("functions", "A restriction names the functions it restricts; other levels none.")
        }
        if input.level.isTemporary {
            guard let end = input.endsAt, end > now, end - now <= 366 * 86_400_000 else {
                throw Problem.invalid("endsAt", "A restriction or suspension ends in the future, within a year.")
            }
        } else if input.endsAt != nil {
            throw Problem.invalid("endsAt", "A \(input.level.rawValue) has no end date; lift it instead.")
        }
        guard input.violationIds.count <= 100 else { throw Problem.invalid("violationIds", "At most 100.") }
        let id = Identifiers.make()
        let functionsJSON = StringList.encode(input.functions.map(\.rawValue).sorted())
        let row = try await platform.db.transaction { db in
            guard let partyKind = try await Violations.partyKind(of: input.party, on: db) else {
                throw Problem.notFound("The party")
            }
            let key = try await SubjectKeys.keyForWriting(subject: input.party, platform: platform, on: db)
            let row = SanctionRow(
                id: id, party_id: input.party, party_kind: partyKind, level: input.level.rawValue,
                functions: functionsJSON, rule_ref: ruleRef,
                reason_cipher: try FieldCipher.seal(
                    reason, key: key, context: FieldContext(table: "sanctions", column: "reason_cipher", row: id)),
                starts_at: now, ends_at: input.endsAt, imposed_by: caller.accountId, created_at: now)
            try await SanctionStore.insert(row, on: db)
            let attached = try await ViolationStore.attach(
                ids: input.violationIds, party: input.party, sanction: id, on: db)
            guard attached == input.violationIds.count else {
                throw Problem.invalid("violationIds", "Name confirmed, unsanctioned violations of this party only.")
            }
            if input.level == .ban { try await SanctionStore.endSessions(party: input.party, now: now, on: db) }
            try await AuditTrail.record(
                AuditEvent(
                    "sanction.impose", actor: caller.accountId, subject: input.party, object: "sanction:\(id)",
                    details: [
                        "level": input.level.rawValue, "functions": functionsJSON, "rule": ruleRef,
                        "endsAt": input.endsAt.map(String.init) ?? "none",
                        "violations": input.violationIds.joined(separator: ","),
                    ]), platform: platform, on: db)
            return row
        }
        if partyIsMerchant(row) { platform.browseCache.invalidate() }
        return try await view(row, platform: platform)
    }

    public static func lift(id: String, reason rawReason: String, caller: Caller, platform: Platform) async throws
        -> SanctionView
    {
        try caller.require(.enforceRules)
        let reason = try TextInput.singleLine(maximumLength: 200).validate(rawReason, field: "reason")
        let row = try await platform.db.transaction { db in
            guard let row = try await SanctionStore.find(id: id, on: db) else { throw Problem.notFound("The sanction") }
            guard try await SanctionStore.lift(id: id, reason: "staff: \(reason)", now: platform.now, on: db) else {
                throw Problem.conflict("The sanction was lifted already.")
            }
            try await AuditTrail.record(
                AuditEvent(
                    "sanction.lift", actor: caller.accountId, subject: row.party_id, object: "sanction:\(id)",
                    details: ["reason": "staff"]), platform: platform, on: db)
            return row
        }
        if partyIsMerchant(row) { platform.browseCache.invalidate() }
        return try await view(id: id, platform: platform)
    }

    /// Marks sanctions whose end has passed as lifted, audited (enforcement already stopped at the end time).
    public static func liftEnded(platform: Platform) async throws -> Int {
        var lifted = 0
        for row in try await SanctionStore.endedUnlifted(now: platform.now, on: platform.db.sql) {
            let done = try await platform.db.transaction { db in
                guard
                    try await SanctionStore.lift(id: row.id, reason: "ended", now: row.ends_at ?? platform.now, on: db)
                else { return false }
                try await AuditTrail.record(
                    AuditEvent(
                        "sanction.lift", actor: nil, subject: row.party_id, object: "sanction:\(row.id)",
                        details: ["reason": "ended"]), platform: platform, on: db)
                return true
            }
            if done { lifted += 1 }
            if partyIsMerchant(row) { platform.browseCache.invalidate() }
        }
        return lifted
    }

    public static func list(party: String, caller: Caller, platform: Platform) async throws -> [SanctionView] {
        try caller.require(.enforceRules)
        var views: [SanctionView] = []
        for row in try await SanctionStore.history(party: party, on: platform.db.sql) {
            views.append(try await view(row, platform: platform))
        }
        try await auditRead(views, caller: caller, platform: platform)
        return views
    }

    /// Staff reading reasons and appeal statements is an audited read of each party's data (2.3.3).
    private static func auditRead(_ views: [SanctionView], caller: Caller, platform: Platform) async throws {
        let parties = Dictionary(grouping: views, by: \.partyId)
        guard !parties.isEmpty else { return }
        let events = parties.sorted { $0.key < $1.key }.map { party, sanctions in
            AuditEvent(
                "sanction.read", actor: caller.accountId, subject: party, object: "sanctions",
                details: ["sanctions": sanctions.map(\.id).joined(separator: ",")])
        }
        try await platform.db.transaction { db in try await AuditTrail.record(events, platform: platform, on: db) }
    }

    // MARK: The sanctioned party

    /// The caller's party's sanctions, newest first.
    public static func mine(caller: Caller, platform: Platform) async throws -> [SanctionView] {
        var views: [SanctionView] = []
        for row in try await SanctionStore.history(party: caller.party, on: platform.db.sql) {
            views.append(try await view(row, platform: platform))
        }
        return views
    }

    /// Appeals a sanction of the caller's party: once per sanction, by the consumer or the merchant's owner.
    public static func appeal(sanction id: String, statement rawStatement: String, caller: Caller, platform: Platform)
        async throws -> SanctionView
    {
        try requireAppellant(caller)
        let statement = try Violations.validText(rawStatement, field: "statement")
        let appealId = Identifiers.make()
        try await platform.db.transaction { db in
            guard let row = try await SanctionStore.find(id: id, on: db), row.party_id == caller.party else {
                throw Problem.notFound("The sanction")
            }
            guard try await SanctionAppealStore.find(sanction: id, on: db) == nil else {
                throw Problem.conflict("This sanction has been appealed already: each sanction can be appealed once.")
            }
            let key = try await SubjectKeys.keyForWriting(subject: caller.accountId, platform: platform, on: db)
            try await SanctionAppealStore.insert(
                SanctionAppealRow(
                    id: appealId, sanction_id: id, appellant_id: caller.accountId,
                    statement_cipher: try FieldCipher.seal(
                        statement, key: key,
                        context: FieldContext(table: "sanction_appeals", column: "statement_cipher", row: appealId)),
                    created_at: platform.now), on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "sanction.appeal", actor: caller.accountId, subject: caller.party, object: "sanction:\(id)",
                    details: ["appeal": appealId]), platform: platform, on: db)
        }
        return try await view(id: id, platform: platform)
    }

    /// The consumer or the merchant's owner, through two-factor where required, appeals for the party.
    public static func requireAppellant(_ caller: Caller) throws {
        if let problem = caller.privilegeProblem() { throw problem }
        guard caller.role == .consumer || caller.role == .owner else {
            throw Problem.forbidden("The consumer or the merchant's owner appeals a sanction.")
        }
    }

    public static func pendingAppeals(caller: Caller, platform: Platform) async throws -> [SanctionView] {
        try caller.require(.enforceRules)
        var views: [SanctionView] = []
        for appeal in try await SanctionAppealStore.pending(on: platform.db.sql) {
            views.append(try await view(id: appeal.sanction_id, platform: platform))
        }
        try await auditRead(views, caller: caller, platform: platform)
        return views
    }

    /// Decides an appeal. Neither the person who imposed the sanction nor the appellant may decide it.
    public static func decideAppeal(
        id: String, uphold: Bool, note rawNote: String, caller: Caller, platform: Platform
    ) async throws -> SanctionView {
        try caller.require(.enforceRules)
        let note = try StaffNotes.validate(rawNote)
        let sanction = try await platform.db.transaction { db in
            guard let appeal = try await SanctionAppealStore.find(id: id, on: db),
                let sanction = try await SanctionStore.find(id: appeal.sanction_id, on: db)
            else { throw Problem.notFound("The appeal") }
            guard caller.accountId != sanction.imposed_by, caller.accountId != appeal.appellant_id else {
                throw Problem.forbidden("An appeal is decided by someone other than the person who imposed it.")
            }
            let sealed = try await StaffNotes.seal(
                note, about: sanction.party_id, table: "sanction_appeals", row: id, platform: platform, on: db)
            guard
                try await SanctionAppealStore.decide(
                    id: id, upheld: uphold, by: caller.accountId, note: sealed, now: platform.now, on: db)
            else { throw Problem.conflict("The appeal has been decided already.") }
            if uphold {
                _ = try await SanctionStore.lift(id: sanction.id, reason: "appeal upheld", now: platform.now, on: db)
            }
            try await AuditTrail.record(
                AuditEvent(
                    "sanction.appeal.decide", actor: caller.accountId, subject: sanction.party_id,
                    object: "sanction:\(sanction.id)", details: ["appeal": id, "upheld": String(uphold)]),
                platform: platform, on: db)
            return sanction
        }
        if uphold && partyIsMerchant(sanction) { platform.browseCache.invalidate() }
        return try await view(id: sanction.id, platform: platform)
    }

    // MARK: Views

    static func functions(_ row: SanctionRow) -> [String] {
        StringList.decode(row.functions)
    }

    private static func partyIsMerchant(_ row: SanctionRow) -> Bool { row.party_kind == "merchant" }

    static func view(id: String, platform: Platform) async throws -> SanctionView {
        guard let row = try await SanctionStore.find(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The sanction")
        }
        return try await view(row, platform: platform)
    }

    static func view(_ row: SanctionRow, platform: Platform) async throws -> SanctionView {
        let db = platform.db.sql
        let partyKey = try? await SubjectKeys.key(subject: row.party_id, platform: platform, on: db)
        let reason = partyKey.flatMap {
            try? FieldCipher.open(
                row.reason_cipher, key: $0,
                context: FieldContext(table: "sanctions", column: "reason_cipher", row: row.id))
        }
        var appealView: SanctionAppealView?
        if let appeal = try await SanctionAppealStore.find(sanction: row.id, on: db) {
            let key = try? await SubjectKeys.key(subject: appeal.appellant_id, platform: platform, on: db)
            appealView = SanctionAppealView(
                id: appeal.id, sanctionId: row.id, status: appeal.status,
                statement: key.flatMap {
                    try? FieldCipher.open(
                        appeal.statement_cipher, key: $0,
                        context: FieldContext(table: "sanction_appeals", column: "statement_cipher", row: appeal.id))
                }, decidedBy: appeal.decided_by,
                note: await StaffNotes.open(
                    appeal.decision_note, about: row.party_id, table: "sanction_appeals", row: appeal.id,
                    platform: platform),
                createdAt: appeal.created_at,
                decidedAt: appeal.decided_at)
        }
        let now = platform.now
        return SanctionView(
            id: row.id, partyId: row.party_id, partyKind: row.party_kind, level: row.level, functions: functions(row),
            ruleRef: row.rule_ref, reason: reason, startsAt: row.starts_at, endsAt: row.ends_at,
            imposedBy: row.imposed_by, liftedAt: row.lifted_at, liftReason: row.lift_reason,
            inForce: row.lifted_at == nil && row.starts_at <= now && (row.ends_at.map { $0 > now } ?? true),
            appeal: appealView)
    }
}
