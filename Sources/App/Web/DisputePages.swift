import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace

/// One dispute page for its consumer, its merchant and the arbitrators (2.4.4): the timeline, the clock, and the
/// actions the reader's side may take. The use cases decide who is a party; anyone else gets 404.
struct DisputePages {
    let platform: Platform
    let maxBodyBytes: Int

    @Sendable func dispute(_ request: Request, context: SignedInContext) async throws -> Response {
        let caller = context.caller
        let view = WebView(request, caller: caller)
        let dispute = try await Disputes.get(
            id: try context.parameters.require("id"), caller: caller, platform: platform)
        var values = DisputePresentation.summary(dispute, view)
        let status = DisputeStatus(rawValue: dispute.status)
        let consumer = caller.kind == .consumer
        let merchant = caller.kind == .merchant
        let arbitrator = caller.role.permissions.contains(.arbitrate)
        values["timeline"] = dispute.timeline.map { event -> [String: Any] in
            [
                "party": view.text("party_\(event.party)"), "kind": view.text("event_\(event.kind)"),
                "text": event.text ?? false, "when": WebFormat.time(event.createdAt),
            ]
        }
        values["evidenceCount"] = dispute.evidence.count
        values["offer"] =
            dispute.offerRemedy.map {
                view.text("remedy_\($0)") + (dispute.offerAmountFen.map { " " + WebFormat.yuan($0) } ?? "")
            } ?? false
        values["outcome"] =
            dispute.outcomeRemedy.map {
                view.text("remedy_\($0)") + (dispute.outcomeAmountFen.map { " " + WebFormat.yuan($0) } ?? "")
            } ?? false
        values["rule"] = dispute.ruleApplied ?? false
        values["paused"] = dispute.clockPausedBy ?? false
        values["canMessage"] = dispute.isOpen && (consumer || merchant)
        values["canWithdraw"] = consumer && dispute.isOpen && status != .decided
        values["canAcceptOffer"] = consumer && status == .negotiating && dispute.offerRemedy != nil
        // Escalation opens when negotiation's time is up, or at once after a flat refusal (no deadline left).
        let escalationOpen = dispute.dueAt.map { platform.clock.nowMillis >= $0 } ?? true
        values["canEscalate"] = (consumer || merchant) && status == .negotiating && escalationOpen
        values["escalatesFrom"] =
            (consumer || merchant) && status == .negotiating && !escalationOpen
            ? dispute.dueAt.map { WebFormat.time($0) } ?? false : false
        values["canRespond"] = merchant && status == .awaitingMerchant
        values["canAppeal"] = (consumer || merchant) && status == .decided && !dispute.appealed
        values["canDecide"] = arbitrator && status == .escalated
        values["remedies"] = DisputeRemedy.allCases.map {
            ["value": $0.rawValue, "label": view.text("remedy_\($0.rawValue)")]
        }
        // The merchant may offer another remedy, or refuse outright (which lets either side escalate at once).
        values["offerRemedies"] = DisputeRemedy.allCases.map {
            ["value": $0.rawValue, "label": view.text($0 == .reject ? "offer_refuse" : "remedy_\($0.rawValue)")]
        }
        values["backLink"] = consumer ? "/orders/\(dispute.orderId)" : merchant ? "/merchant" : "/ops/disputes"
        return view.page("dispute", values)
    }

    @Sendable func act(_ request: Request, context: SignedInContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let action = try context.parameters.require("action")
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let caller = context.caller
        switch action {
        case "messages":
            _ = try await Disputes.addEvidence(
                id: id, text: try form.require("text"), image: nil, caller: caller, platform: platform)
        case "withdraw": _ = try await Disputes.withdraw(id: id, caller: caller, platform: platform)
        case "accept-offer": _ = try await Disputes.acceptOffer(id: id, caller: caller, platform: platform)
        case "escalate": _ = try await Disputes.escalate(id: id, caller: caller, platform: platform)
        case "appeal":
            _ = try await Disputes.appeal(id: id, text: try form.require("text"), caller: caller, platform: platform)
        case "response":
            let accept = form["accept"] == "yes"
            let remedy = accept ? nil : form["offerRemedy"]
            _ = try await Disputes.respond(
                id: id, accept: accept, offerRemedy: remedy,
                offerAmountFen: remedy == "partial_refund" ? try form.fen("offerAmount") : nil,
                text: try form.require("text"), caller: caller, platform: platform)
        case "decision":
            let remedy = try form.require("remedy")
            _ = try await Disputes.decide(
                id: id, remedy: remedy, amountFen: remedy == "partial_refund" ? try form.fen("amount") : nil,
                reason: try form.require("reason"), rule: try form.require("rule"), caller: caller, platform: platform)
        default: throw Problem.notFound("The action")
        }
        return WebView.redirect("/disputes/\(id)?done=dispute_\(action.replacingOccurrences(of: "-", with: "_"))")
    }
}

enum DisputePresentation {
    static func summary(_ dispute: DisputeView, _ view: WebView) -> [String: Any] {
        [
            "id": dispute.id, "shortId": String(dispute.id.prefix(8)), "orderId": dispute.orderId,
            "status": view.text("dispute_\(dispute.status)"), "statusKey": dispute.status,
            "reason": view.text("reason_\(dispute.reason)"),
            "remedy": view.text("remedy_\(dispute.remedy)"), "amount": WebFormat.yuan(dispute.amountFen),
            "due": dispute.dueAt.map { WebFormat.time($0) } ?? false,
        ]
    }
}
