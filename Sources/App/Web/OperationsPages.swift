import AuditLog
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Risk

/// The operations console for platform staff, by role: the dashboard, the risk review queue (2.4.3), dispute
/// arbitration (2.4.4), listing review (2.4.1), incidents with their clocks (2.3.6), rights requests (2.3.5) and
/// the audit log (2.2). Each section needs its permission; the use cases check it again.
struct OperationsPages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func dashboard(_ request: Request, context: StaffContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let figures = try await Dashboard.figures(caller: caller, platform: platform)
        let permissions = caller.role.permissions
        let outcomes = ["allow", "review", "challenge", "block"]
        return view.page(
            "ops-dashboard",
            [
                "ordersChart": Chart.bars(
                    figures.ordersPerHour.enumerated().map {
                        (label: $0.offset % 6 == 0 ? "-\(23 - $0.offset)h" : "", value: $0.element)
                    }),
                "ordersTotal": figures.ordersPerHour.reduce(0, +),
                "riskChart": Chart.bars(
                    outcomes.map { (label: view.text("outcome_\($0)"), value: figures.riskOutcomes[$0] ?? 0) }),
                "disputesChart": Chart.bars(
                    ["awaiting_merchant", "negotiating", "escalated", "decided"].map {
                        (label: view.text("dispute_\($0)"), value: figures.openDisputes[$0] ?? 0)
                    }),
                "overdueDisputes": figures.overdueDisputes, "openIncidents": figures.openIncidents,
                "overdueIncidents": figures.overdueIncidents, "openRights": figures.openRightsRequests,
                "overdueRights": figures.overdueRightsRequests,
                "canRisk": permissions.contains(.reviewRisk), "canArbitrate": permissions.contains(.arbitrate),
                "canReviewListings": permissions.contains(.reviewListings),
                "canIncidents": permissions.contains(.handleIncidents),
                "canRights": permissions.contains(.handlePrivacyRequests), "canAudit": permissions.contains(.readAudit),
            ])
    }

    // MARK: Risk review

    @Sendable func riskQueue(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let cases = try await RiskChecks.queue(caller: context.caller, platform: platform)
        return view.page(
            "ops-risk",
            ["cases": cases.map { Self.riskCase($0, view, me: context.caller.accountId) }, "empty": cases.isEmpty])
    }

    static func riskCase(_ riskCase: RiskCaseView, _ view: WebView, me: String) -> [String: Any] {
        [
            "id": riskCase.id, "shortId": String(riskCase.id.prefix(8)),
            "account": String(riskCase.accountId.prefix(8)),
            "status": view.text("case_\(riskCase.status)"), "created": WebFormat.time(riskCase.createdAt),
            "claimable": riskCase.claimedBy == nil && riskCase.label == nil,
            "decidable": riskCase.claimedBy == me && riskCase.label == nil, "label": riskCase.label ?? false,
            "event": riskCase.decision.map { view.text("event_\($0.event)") } ?? "",
            "outcome": riskCase.decision.map { view.text("outcome_\($0.outcome)") } ?? "",
            "score": riskCase.decision.map { String(format: "%.0f", $0.score) } ?? "",
            "reasons": (riskCase.decision?.reasons ?? []).map {
                ["code": $0.code, "contribution": String(format: "%+.0f", $0.contribution)]
            },
            "history": riskCase.history.prefix(10).map {
                [
                    "event": view.text("event_\($0.event)"), "outcome": view.text("outcome_\($0.outcome)"),
                    "score": String(format: "%.0f", $0.score), "when": WebFormat.time($0.createdAt),
                ]
            },
            "linked": riskCase.linked.map {
                ["account": String($0.accountId.prefix(8)), "via": view.text("linked_\($0.via)")]
            },
            "versions": riskCase.decision.map { "\($0.ruleSetVersion)" + ($0.modelVersion.map { " · \($0)" } ?? "") }
                ?? "",
        ]
    }

    @Sendable func claimRisk(_ request: Request, context: StaffContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try await RiskChecks.claim(id: id, caller: context.caller, platform: platform)
        return WebView.redirect("/ops/risk?done=case_claimed#case-\(id)")
    }

    @Sendable func decideRisk(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        guard let label = form["label"], label == "fraud" || label == "legitimate" else {
            throw Problem.invalid("label", "Choose fraud or legitimate.")
        }
        _ = try await RiskChecks.decide(
            id: try context.parameters.require("id"), fraud: label == "fraud", note: try form.require("note"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/risk?done=case_decided")
    }

    // MARK: Disputes, listings

    @Sendable func disputes(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let cases = try await Disputes.queue(caller: context.caller, platform: platform)
        return view.page(
            "ops-disputes", ["disputes": cases.map { DisputePresentation.summary($0, view) }, "empty": cases.isEmpty])
    }

    @Sendable func listings(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let held = try await Listings.reviewQueue(caller: context.caller, platform: platform)
        return view.page(
            "ops-listings",
            [
                "listings": held.map {
                    [
                        "id": $0.id, "title": $0.title, "description": $0.description,
                        "price": WebFormat.yuan($0.priceFen),
                        "reasons": $0.reasons.joined(separator: "; "),
                    ]
                },
                "empty": held.isEmpty,
            ])
    }

    @Sendable func decideListing(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await Listings.review(
            id: try context.parameters.require("id"), approve: form["approve"] == "yes",
            reason: try form.require("reason"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/listings?done=listing_decided")
    }

    // MARK: Incidents, rights requests, audit

    @Sendable func incidents(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let incidents = try await Incidents.list(caller: context.caller, platform: platform)
        return view.page(
            "ops-incidents",
            [
                "incidents": incidents.map { incident -> [String: Any] in
                    [
                        "title": incident.title, "type": incident.type, "grade": incident.grade,
                        "status": incident.status,
                        "people": incident.people, "discovered": WebFormat.time(incident.discoveredAt),
                        "notifyDue": WebFormat.time(incident.notifyDueAt), "notifyOverdue": incident.notifyOverdue,
                        "regulatorDue": incident.regulatorDueAt.map { WebFormat.time($0) } ?? false,
                        "regulatorOverdue": incident.regulatorOverdue,
                        "delivered": incident.notificationsDelivered, "pending": incident.notificationsPending,
                        "failed": incident.notificationsFailed,
                    ]
                },
                "empty": incidents.isEmpty,
            ])
    }

    @Sendable func rights(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let requests = try await Rights.queue(caller: context.caller, platform: platform)
        return view.page(
            "ops-rights",
            [
                "requests": requests.map {
                    [
                        "kind": view.text("request_\($0.kind)"), "status": $0.status,
                        "account": String($0.accountId.prefix(8)),
                        "created": WebFormat.time($0.createdAt), "due": WebFormat.time($0.dueAt), "overdue": $0.overdue,
                    ]
                },
                "empty": requests.isEmpty,
            ])
    }

    @Sendable func audit(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let query = request.uri.queryParameters
        let type = query.get("type").flatMap { $0.isEmpty ? nil : $0 }
        var values: [String: Any] = ["type": type ?? ""]
        if query.get("search") != nil {
            let events = try await AuditQueries.search(
                type: type, actorId: nil, subjectId: nil, from: nil, to: nil, caller: context.caller, platform: platform
            )
            values["events"] = events.map { event -> [String: Any] in
                [
                    "sequence": event.leafIndex.map(String.init) ?? "—", "type": event.eventType,
                    "actor": String(event.actor.prefix(12)), "subject": String(event.subject.prefix(12)),
                    "outcome": event.outcome, "when": WebFormat.time(event.occurredAt),
                    "proofLink": Self.proofLink(event.leafIndex),
                ]
            }
            values["searched"] = true
        }
        let head = try await AuditQueries.latestHead(platform: platform)
        values["head"] = ["size": head.treeSize, "root": String(Hex.encode(head.rootHash.data).prefix(16)) + "…"]
        return view.page("ops-audit", values)
    }

    static func proofLink(_ leafIndex: Int64?) -> Any {
        guard let leafIndex else { return false }
        return "/api/v1/audit/events/\(leafIndex)/proof"
    }
}

/// Bar charts drawn on the server as SVG (no script): each bar's geometry is computed here, the template draws it.
enum Chart {
    static let width = 480
    static let height = 160

    static func bars(_ data: [(label: String, value: Int)]) -> [String: Any] {
        let top = max(1, data.map(\.value).max() ?? 1)
        let slot = Double(width) / Double(max(1, data.count))
        // Room above the tallest bar for its value, and below the axis for the labels.
        let headroom = 14.0
        let plot = Double(height - 24) - headroom
        return [
            "width": width, "height": height, "total": data.map(\.value).reduce(0, +),
            "bars": data.enumerated().map { index, item -> [String: Any] in
                let h = plot * Double(item.value) / Double(top)
                return [
                    "x": String(format: "%.1f", Double(index) * slot + slot * 0.15),
                    "y": String(format: "%.1f", headroom + plot - h), "w": String(format: "%.1f", slot * 0.7),
                    "h": String(format: "%.1f", h), "value": item.value, "label": fitted(item.label, width: slot),
                    "fullLabel": item.label,
                    "labelX": String(format: "%.1f", Double(index) * slot + slot / 2), "labelY": height - 6,
                    "valueY": String(format: "%.1f", headroom + plot - h - 4),
                ]
            },
        ]
    }

    /// The label cut to fit under its bar (11-unit text: about 6 units a Latin letter, 11 a Chinese character).
    static func fitted(_ label: String, width: Double) -> String {
        var used = 0.0
        var kept = ""
        for character in label {
            used += character.isASCII ? 6.2 : 11
            if used > width - 8 { return kept.trimmingCharacters(in: .whitespaces) + "…" }
            kept.append(character)
        }
        return label
    }
}
