import Domain
import Foundation
import Hummingbird
import Marketplace

/// The console's registry of third-party providers (2.6): who they are, their status and assessments with the
/// next review date, registering one, recording an assessment and suspending, reinstating or revoking.
/// Contacts appear masked, as the use case gives them. Credentials are issued through the API only: a page
/// never shows a secret.
extension OperationsPages {
    static let assessmentResults = ["pass", "conditional", "fail"]
    static let providerStatuses = ["active", "suspended", "revoked"]

    @Sendable func providers(_ request: Request, context: StaffContext) async throws -> Response {
        let view = WebView(request, caller: context.caller)
        let providers = try await ServiceProviders.list(caller: context.caller, platform: platform)
        let now = platform.clock.nowMillis
        return view.page(
            "ops-providers",
            [
                "providers": providers.map { provider -> [String: Any] in
                    let latest = provider.assessments.first
                    return [
                        "id": provider.id, "name": provider.legalName, "kind": view.text("provider_\(provider.kind)"),
                        "licence": provider.licenceCode, "qualification": provider.qualification,
                        "contract": provider.contractRef, "dpa": provider.dpaRef,
                        "status": view.text("provider_status_\(provider.status)"),
                        "revoked": provider.status == "revoked", "current": provider.assessmentCurrent,
                        "overdue": provider.reviewOverdue,
                        "contacts": provider.contacts.map { ["name": $0.name, "phone": $0.phone, "role": $0.role] },
                        "latest": latest.map {
                            [
                                "result": view.text("result_\($0.result)"), "on": WebFormat.time($0.assessedOn),
                                "assessor": $0.assessor, "next": WebFormat.time($0.nextReviewAt),
                            ]
                        } ?? false,
                        "statuses": Self.providerStatuses.filter { $0 != provider.status }.map {
                            ["value": $0, "name": view.text("provider_status_\($0)")]
                        },
                    ]
                },
                "empty": providers.isEmpty,
                "kinds": ProviderKind.allCases.map {
                    ["value": $0.rawValue, "name": view.text("provider_\($0.rawValue)")]
                },
                "results": Self.assessmentResults.map { ["value": $0, "name": view.text("result_\($0)")] },
                "today": WebFormat.day(now),
                "nextYear": WebFormat.day(now + 365 * 86_400_000),
            ])
    }

    @Sendable func registerProvider(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        _ = try await ServiceProviders.register(
            ProviderInput(
                kind: try form.require("kind"), legalName: try form.require("legalName"),
                licenceCode: try form.require("licenceCode"), qualification: try form.require("qualification"),
                contractRef: try form.require("contractRef"), dpaRef: try form.require("dpaRef"),
                contacts: [
                    ProviderContact(
                        name: try form.require("contactName"), phone: try form.require("contactPhone"),
                        role: try form.require("contactRole"))
                ]), caller: context.caller, platform: platform)
        return WebView.redirect("/ops/providers?done=provider_registered")
    }

    @Sendable func assessProvider(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let id = try context.parameters.require("id")
        _ = try await ServiceProviders.assess(
            provider: id, assessedOn: try form.day("assessedOn"), assessor: try form.require("assessor"),
            questionnaire: try Self.questionnaire(try form.require("questionnaire")),
            findings: form["findings"] ?? "", result: try form.require("result"),
            nextReviewAt: try form.day("nextReviewAt"), caller: context.caller, platform: platform)
        return WebView.redirect("/ops/providers?done=provider_assessed#provider-\(id)")
    }

    @Sendable func setProviderStatus(_ request: Request, context: StaffContext) async throws -> Response {
        let form = try await WebForm.read(request, maxBytes: maxBodyBytes)
        let id = try context.parameters.require("id")
        _ = try await ServiceProviders.setStatus(
            provider: id, status: try form.require("status"), reason: try form.require("reason"),
            caller: context.caller, platform: platform)
        return WebView.redirect("/ops/providers?done=provider_status#provider-\(id)")
    }

    /// The questionnaire typed one answered question a line, "question: answer" (a full-width colon too).
    static func questionnaire(_ text: String) throws -> [String: String] {
        var answers: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let colon = line.firstIndex(where: { $0 == ":" || $0 == "：" }) else {
                throw Problem.invalid("questionnaire", "One \"question: answer\" a line.")
            }
            let question = line[..<colon].trimmingCharacters(in: .whitespaces)
            let answer = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !question.isEmpty, !answer.isEmpty else {
                throw Problem.invalid("questionnaire", "Each question has an answer.")
            }
            answers[question] = answer
        }
        return answers
    }
}
