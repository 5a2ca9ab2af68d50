import Domain
import Foundation
import Hummingbird
import Marketplace

/// The console's rule enforcement (2.5): violations from every source, with reports to confirm or dismiss and
/// staff findings; a party's sanctions with the policy's proposal, imposing and lifting; and pending appeals.
/// Parties appear by their pseudonymous id only; reading evidence, reasons and statements is audited by the use cases.
extension OperationsPages {
    static let violationStatuses = ["reported", "confirmed", "dismissed"]

    // MARK: Violations

    @Sendable func violations(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        // An unknown status filter shows everything rather than nothing.
        let status = request.uri.queryParameters.get("status").flatMap {
            Self.violationStatuses.contains($0) ? $0 : nil
        }
        let found = try await Violations.list(party: nil, status: status, caller: context.caller, platform: platform)
        return view.page(
            "ops-violations",
            [
                "violations": found.map { violation -> [String: Any] in
                    [
                        "id": violation.id, "shortId": String(violation.id.prefix(8)),
                        "party": violation.partyId, "shortParty": String(violation.partyId.prefix(8)),
                        "kind": view.text("kind_\(violation.partyKind)"), "rule": violation.ruleRef,
                        "source": view.text("source_\(violation.source)"),
                        "status": view.text("violation_\(violation.status)"),
                        "evidence": violation.evidence ?? view.text("erased"),
                        "created": WebFormat.time(violation.createdAt),
                        // The person who reported it cannot decide it; the use case refuses that too.
                        "decidable": violation.status == "reported" && violation.recordedBy != context.caller.accountId,
                    ]
                },
                "empty": found.isEmpty,
                "statuses": Self.violationStatuses.map {
                    ["value": $0, "name": view.text("violation_\($0)"), "selected": $0 == status]
                },
            ])
    }

    @Sendable func decideViolation(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Violations.decide(
            id: try context.parameters.require("id"), confirm: try form.yesNo("confirm"), caller: context.caller,
            platform: platform)
        return WebView.redirect("/ops/violations?done=violation_decided")
    }

    @Sendable func recordFinding(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Violations.recordFinding(
            party: try form.party(), ruleRef: try form.require("ruleRef"), evidence: try form.require("evidence"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/violations?done=finding_recorded")
    }

    // MARK: Sanctions and appeals

    @Sendable func sanctions(_ request: Request, context: StaffContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let appeals = try await Sanctions.pendingAppeals(caller: caller, platform: platform)
        var values: [String: Any] = [
            "appeals": appeals.map { Self.sanction($0, view) }, "noAppeals": appeals.isEmpty,
            "levels": SanctionLevel.allCases.map { ["value": $0.rawValue, "name": view.text("level_\($0.rawValue)")] },
        ]
        // The lookup: a party id typed or followed from the violations page.
        if let party = request.uri.queryParameters.get("party").flatMap(WebForm.validParty) {
            let history = try await Sanctions.list(party: party, caller: caller, platform: platform)
            let proposal = try await Sanctions.proposal(party: party, caller: caller, platform: platform)
            let open = try await Violations.list(party: party, status: "confirmed", caller: caller, platform: platform)
                .filter { $0.sanctionId == nil }
            values["party"] = party
            values["looked"] = true
            values["history"] = history.map { Self.sanction($0, view) }
            values["noHistory"] = history.isEmpty
            values["proposal"] =
                proposal.map { proposal -> [String: Any] in
                    [
                        "level": view.text("level_\(proposal.level.rawValue)"),
                        // False rather than empty, so the template leaves out what the proposal does not have.
                        "functions": proposal.functions.isEmpty
                            ? false
                            : proposal.functions.map { view.text("function_\($0.rawValue)") }.joined(separator: ", "),
                        "ends": proposal.endsAt.map { WebFormat.time($0) } ?? false, "rule": proposal.ruleRef,
                        "why": proposal.why,
                    ]
                } ?? false
            // The impose form starts from the proposal; staff may change any of it.
            values["levels"] = SanctionLevel.allCases.map {
                [
                    "value": $0.rawValue, "name": view.text("level_\($0.rawValue)"),
                    "selected": $0 == proposal?.level,
                ]
            }
            values["functions"] = RestrictedFunction.allCases.map {
                [
                    "value": $0.rawValue, "name": view.text("function_\($0.rawValue)"),
                    "checked": proposal?.functions.contains($0) == true,
                ]
            }
            values["proposedRule"] = proposal?.ruleRef ?? open.last?.ruleRef ?? ""
            values["proposedEnd"] = proposal?.endsAt.map(WebFormat.day) ?? ""
            values["hasOpen"] = !open.isEmpty
            values["openViolations"] = open.map {
                ["id": $0.id, "shortId": String($0.id.prefix(8)), "rule": $0.ruleRef]
            }
        }
        return view.page("ops-sanctions", values)
    }

    static func sanction(_ sanction: SanctionView, _ view: WebView) -> [String: Any] {
        [
            "id": sanction.id, "shortId": String(sanction.id.prefix(8)),
            "party": sanction.partyId, "shortParty": String(sanction.partyId.prefix(8)),
            "kind": view.text("kind_\(sanction.partyKind)"), "level": view.text("level_\(sanction.level)"),
            "functions": sanction.functions.map { view.text("function_\($0)") }.joined(separator: ", "),
            "rule": sanction.ruleRef, "reason": sanction.reason ?? view.text("erased"),
            "starts": WebFormat.time(sanction.startsAt), "ends": WebFormat.time(sanction.endsAt),
            "inForce": sanction.inForce,
            "appeal": sanction.appeal.map { appeal -> [String: Any] in
                [
                    "id": appeal.id, "status": view.text("appeal_\(appeal.status)"),
                    "statement": appeal.statement ?? view.text("erased"), "created": WebFormat.time(appeal.createdAt),
                    "pending": appeal.status == "pending", "note": appeal.note ?? "",
                ]
            } ?? false,
        ]
    }

    @Sendable func impose(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard let level = form["level"].flatMap(SanctionLevel.init) else {
            throw Problem.invalid("level", "Choose a level.")
        }
        // Checkboxes carry one name each (`function_orders`, `violation_<id>`): the form keeps one value a name.
        let functions = RestrictedFunction.allCases.filter { form["function_\($0.rawValue)"] != nil }
        let violationIds = form.fields.keys.filter { $0.hasPrefix("violation_") }.map { String($0.dropFirst(10)) }
            .sorted()
        let ends = form["endsAt"].map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let party = try form.party()
        _ = try await Sanctions.impose(
            .init(
                party: party, level: level, functions: functions, ruleRef: try form.require("ruleRef"),
                reason: try form.require("reason"), endsAt: ends.isEmpty ? nil : try form.day("endsAt"),
                violationIds: violationIds),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/sanctions?party=\(WebView.queryEscaped(party))&done=sanction_imposed")
    }

    @Sendable func liftSanction(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let lifted = try await Sanctions.lift(
            id: try context.parameters.require("id"), reason: try form.require("reason"), caller: context.caller,
            platform: platform)
        return WebView.redirect("/ops/sanctions?party=\(WebView.queryEscaped(lifted.partyId))&done=sanction_lifted")
    }

    @Sendable func decideAppeal(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Sanctions.decideAppeal(
            id: try context.parameters.require("id"), uphold: try form.yesNo("uphold"), note: try form.require("note"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/sanctions?done=appeal_decided")
    }
}

/// Form fields the console's pages share.
extension WebForm {
    /// A pair of submit buttons valued `yes` and `no`; anything else is refused rather than read as "no".
    func yesNo(_ name: String) throws -> Bool {
        switch self[name] {
        case "yes": return true
        case "no": return false
        default: throw Problem.invalid(name, "Choose yes or no.")
        }
    }

    /// A party id as ids are made (letters, digits, dashes), else refused.
    func party() throws -> String {
        guard let party = Self.validParty(try require("partyId")) else {
            throw Problem.invalid("partyId", "Enter the party's id.")
        }
        return party
    }

    static func validParty(_ raw: String) -> String? {
        let party = raw.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(party.count),
            party.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { return nil }
        return party
    }

    /// A day from `<input type="date">` (yyyy-MM-dd): its start in China time, in milliseconds.
    func day(_ name: String) throws -> Int64 {
        let formatter = WebFormat.dayFormatter()
        guard let date = formatter.date(from: try require(name).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.invalid(name, "Enter a date such as 2026-06-30.")
        }
        return Int64(date.timeIntervalSince1970 * 1000)
    }
}

extension WebFormat {
    /// The value of a date input for a time.
    static func day(_ millis: Int64) -> String {
        dayFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func dayFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }
}
