import App
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import SQLKit
import Storage
import Testing

/// Every route against every role and no session (clause 2.3.3: clear internal permissions; 3.2).
/// A route missing from `expected` fails the test, so a new route cannot ship without its row.
@Suite("Route-by-role authorization")
struct RouteAuthorizationTests {
    enum Principal: String, CaseIterable, Sendable {
        case anonymous, consumer, owner, catalog, fulfilment, finance
        case admin, support, riskAnalyst, arbitrator, complianceOfficer, securityOfficer
        /// Signed in, but not yet through two-factor enrolment: only their own account pages.
        case ownerWithoutTwoFactor, adminWithoutTwoFactor
    }

    static let everyone = Set(Principal.allCases)
    static let signedIn = everyone.subtracting([.anonymous])

    /// The table: who may reach each route. Anything else must get 401 or 403.
    static let expected: [String: Set<Principal>] = [
        "GET /health/live": everyone,
        "GET /health/ready": everyone,
        "GET /metrics": everyone,
        "GET /api/v1/openapi.yaml": everyone,
        "POST /api/v1/accounts": everyone,
        "POST /api/v1/sessions": everyone,
        "GET /api/v1/audit/head": everyone,
        "GET /api/v1/audit/consistency": everyone,
        "GET /api/v1/me/access-receipts": signedIn,
        "POST /api/v1/me/reveal": signedIn,
        "GET /api/v1/me/export": signedIn,
        "DELETE /api/v1/me": signedIn,
        "GET /api/v1/me/privacy-requests": signedIn,
        "GET /api/v1/privacy-notice": everyone,
        "GET /api/v1/me/consents": signedIn,
        "POST /api/v1/me/consents": signedIn,
        "DELETE /api/v1/me/consents/{purpose}": signedIn,
        "POST /api/v1/staff/accounts/{id}/reveal": [.support, .complianceOfficer],
        "POST /api/v1/staff/training-records": [.admin],
        "GET /api/v1/staff/privacy-requests": [.support, .complianceOfficer],
        "GET /api/v1/audit/events/{sequence}/proof": signedIn,
        "GET /api/v1/staff/audit/events": [.complianceOfficer, .securityOfficer],
        "DELETE /api/v1/sessions/current": signedIn,
        "GET /api/v1/me": signedIn,
        "PATCH /api/v1/me": signedIn,
        "GET /api/v1/cart": [.consumer],
        "POST /api/v1/cart/items": [.consumer],
        "DELETE /api/v1/cart/items/{listingId}": [.consumer],
        "POST /api/v1/checkouts": [.consumer],
        "GET /api/v1/orders": [.consumer],
        "GET /api/v1/orders/{id}": signedIn,
        "POST /api/v1/orders/{id}/cancel": [.consumer],
        "POST /api/v1/checkouts/{id}/payment": [.consumer],
        "GET /api/v1/checkouts/{id}/payment": [.consumer],
        "POST /api/v1/orders/{id}/confirm-receipt": [.consumer],
        "POST /api/v1/orders/{id}/extend-receipt": [.consumer],
        "POST /api/v1/orders/{id}/refund": [.consumer],
        "POST /api/v1/orders/{id}/reviews": [.consumer],
        // The payment institution's callback: its signature is its authentication (a bad one is 400).
        "POST /api/v1/payments/callback": everyone,
        "GET /api/v1/products/{id}/reviews": everyone,
        "POST /api/v1/merchant/orders/{id}/ship": [.owner, .fulfilment],
        "POST /api/v1/merchant/orders/{id}/delivered": [.owner, .fulfilment],
        "POST /api/v1/merchant/orders/{id}/refund-decision": [.owner, .fulfilment],
        "GET /api/v1/merchant/balance": [.owner, .finance],
        "POST /api/v1/merchant/payouts": [.owner],
        "POST /api/v1/merchant/reviews/{id}/reply": [.owner, .catalog],
        "GET /api/v1/staff/risk-cases": [.riskAnalyst],
        "POST /api/v1/orders/{id}/disputes": [.consumer],
        "POST /api/v1/disputes/{id}/accept-offer": [.consumer],
        "POST /api/v1/disputes/{id}/withdraw": [.consumer],
        // Parties and arbitrators: the case decides who the caller is (others get 404, not 403).
        "GET /api/v1/disputes": [.consumer, .owner, .fulfilment, .arbitrator],
        "GET /api/v1/disputes/{id}": signedIn,
        "POST /api/v1/disputes/{id}/escalate": signedIn,
        "POST /api/v1/disputes/{id}/appeal": signedIn,
        "POST /api/v1/disputes/{id}/messages": signedIn,
        "POST /api/v1/disputes/{id}/images": signedIn,
        "POST /api/v1/merchant/disputes/{id}/response": [.owner, .fulfilment],
        "GET /api/v1/staff/disputes": [.arbitrator],
        "POST /api/v1/merchant/complaints": [.owner, .fulfilment],
        "GET /api/v1/staff/complaints": [.arbitrator],
        "POST /api/v1/staff/complaints/{id}/decision": [.arbitrator],
        "GET /api/v1/staff/force-majeure": [.admin, .complianceOfficer],
        "POST /api/v1/staff/force-majeure": [.admin, .complianceOfficer],
        "POST /api/v1/staff/force-majeure/{id}/end": [.admin, .complianceOfficer],
        "POST /api/v1/staff/disputes/{id}/decision": [.arbitrator],
        "POST /api/v1/staff/risk-cases/{id}/claim": [.riskAnalyst],
        "POST /api/v1/staff/risk-cases/{id}/decision": [.riskAnalyst],
        "GET /api/v1/merchant/orders": [.owner, .fulfilment],
        "POST /api/v1/merchant/orders/{id}/waybill": [.owner, .fulfilment],
        "GET /api/v1/products": everyone,
        "GET /api/v1/products/{id}": everyone,
        "GET /api/v1/merchant/products": [.owner, .catalog],
        "POST /api/v1/merchant/products": [.owner, .catalog],
        "PUT /api/v1/merchant/products/{id}": [.owner, .catalog],
        "DELETE /api/v1/merchant/products/{id}": [.owner, .catalog],
        "GET /api/v1/staff/listing-reviews": [.support, .complianceOfficer],
        "POST /api/v1/staff/listing-reviews/{id}/decision": [.support, .complianceOfficer],
        "GET /api/v1/me/verification": signedIn,
        "POST /api/v1/me/verification": [.consumer],
        "POST /api/v1/me/verification/code": signedIn,
        "POST /api/v1/merchant/verification": [.owner],
        "GET /api/v1/staff/verifications": [.support, .complianceOfficer],
        "POST /api/v1/staff/verifications/{id}/decision": [.support, .complianceOfficer],
        "PUT /api/v1/me/password": signedIn,
        "GET /api/v1/me/notices": signedIn,
        "GET /api/v1/me/sessions": signedIn,
        "DELETE /api/v1/me/sessions/{id}": signedIn,
        "POST /api/v1/me/two-factor": signedIn,
        "POST /api/v1/me/two-factor/confirm": signedIn,
        "DELETE /api/v1/me/two-factor": [.consumer],
        "GET /api/v1/merchant/staff": [.owner],
        "POST /api/v1/merchant/staff": [.owner],
        "PUT /api/v1/merchant/staff/{id}/role": [.owner],
        "DELETE /api/v1/merchant/staff/{id}": [.owner],
        "GET /api/v1/staff/accounts": [.admin, .support, .complianceOfficer],
        "POST /api/v1/staff/accounts/{id}/unlock": [.admin, .support, .securityOfficer],
        "GET /api/v1/rulebook": everyone,
        // Consumers and merchants' owners; staff get 403 from the use case, sub-accounts act under the owner.
        "POST /api/v1/me/rulebook-acceptance": [.consumer, .owner],
        "GET /api/v1/me/sanctions": signedIn,
        "POST /api/v1/me/sanctions/{id}/appeal": [.consumer, .owner],
        "POST /api/v1/reports": [.consumer, .owner, .catalog, .fulfilment, .finance],
        "POST /api/v1/staff/rulebook": [.complianceOfficer],
        "GET /api/v1/staff/violations": [.support, .complianceOfficer],
        "POST /api/v1/staff/violations": [.support, .complianceOfficer],
        "POST /api/v1/staff/violations/{id}/decision": [.support, .complianceOfficer],
        "GET /api/v1/staff/parties/{id}/sanctions": [.support, .complianceOfficer],
        "GET /api/v1/staff/parties/{id}/sanction-proposal": [.support, .complianceOfficer],
        "POST /api/v1/staff/sanctions": [.support, .complianceOfficer],
        "POST /api/v1/staff/sanctions/{id}/lift": [.support, .complianceOfficer],
        "GET /api/v1/staff/sanction-appeals": [.support, .complianceOfficer],
        "POST /api/v1/staff/sanction-appeals/{id}/decision": [.support, .complianceOfficer],
        "GET /api/v1/me/disclosures": signedIn,
        "GET /api/v1/staff/providers": [.admin, .complianceOfficer],
        "POST /api/v1/staff/providers": [.admin, .complianceOfficer],
        "POST /api/v1/staff/providers/{id}/assessments": [.admin, .complianceOfficer],
        "POST /api/v1/staff/providers/{id}/status": [.admin, .complianceOfficer],
        "POST /api/v1/staff/providers/{id}/credentials": [.admin, .complianceOfficer],
        "POST /api/v1/staff/provider-credentials/{id}/rotate": [.admin, .complianceOfficer],
        "POST /api/v1/staff/provider-credentials/{id}/revoke": [.admin, .complianceOfficer],
        // Providers' own API: only a signed request with a provider credential (GovernanceTests, ProviderTests).
        "GET /api/v1/provider/shipments": [],
        "GET /api/v1/provider/shipments/{id}/waybill": [],
        "POST /api/v1/provider/shipments/{id}/delivered": [],
        "GET /api/v1/provider/orders/{id}": [],
        "POST /api/v1/provider/orders/{id}/reveal": [],
        "GET /api/v1/staff/incidents": [.securityOfficer],
        "POST /api/v1/staff/incidents": [.securityOfficer],
        "GET /api/v1/staff/incidents/{id}": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/actions": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/impact": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/notices": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/regulator-report": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/tasks": [.securityOfficer],
        "POST /api/v1/staff/incidents/{id}/tasks/{task}/done": [.securityOfficer],
        "GET /api/v1/staff/vulnerabilities": [.securityOfficer],
        "POST /api/v1/staff/vulnerabilities": [.securityOfficer],
        "POST /api/v1/staff/vulnerabilities/{id}/close": [.securityOfficer],
    ]

    @Test("2.3.3: every route allows exactly the roles in the table", arguments: Backend.available)
    func everyRouteAgainstEveryRole(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            let router = buildRouter(platform: env.platform, config: env.config)
            // The operations pages have their own table (OpsPagesTests): they sign in with cookies, not bearer tokens.
            let routes = router.routes.map { "\($0.method) \($0.path)" }.filter {
                $0.contains(" /api/") || $0.contains(" /health/") || $0.hasSuffix(" /metrics")
            }
            // check: the table and the router list the same routes
            #expect(
                Set(routes) == Set(Self.expected.keys),
                "routes without a row: \(Set(routes).subtracting(Self.expected.keys))")

            try await env.withClient { client in
                // setup: one signed-in session per principal, two-factor passed where required
                let tokens = try await Self.sessions(client: client, env: env)
                // act + check: sign-out last, so that each principal's session lives through the rest
                let ordered = routes.sorted { a, _ in !a.hasPrefix("DELETE /api/v1/sessions/current") }
                for route in ordered {
                    let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                    let path = parts[1].replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
                        .replacingOccurrences(of: "{sequence}", with: "999999")
                        .replacingOccurrences(of: "{listingId}", with: "no-such-listing")
                        .replacingOccurrences(of: "{task}", with: "no-such-task")
                    for principal in Principal.allCases {
                        let reply = try await client.send(
                            HTTPRequest.Method(parts[0])!, path, token: tokens[principal],
                            json: parts[0] == "GET" ? nil : "{}")
                        let denied = reply.status == 401 || reply.status == 403
                        let allowed = Self.expected[route]?.contains(principal) ?? false
                        #expect(
                            denied != allowed,
                            "\(route) as \(principal.rawValue): got \(reply.status), expected \(allowed ? "allow" : "deny")"
                        )
                        #expect(reply.status < 500, "\(route) as \(principal.rawValue) → \(reply.status) \(reply.body)")
                    }
                }
            }
        }
    }

    /// Signs every principal in, through the API the way a person would.
    static func sessions(client: Client, env: TestPlatform) async throws -> [Principal: String] {
        var tokens: [Principal: String] = [:]
        tokens[.consumer] = try await client.newSession(login: "13800000001")

        tokens[.ownerWithoutTwoFactor] = try await client.newSession(kind: "merchant", login: "fresh@shop.example")
        _ = try await TeamAccounts.addPlatformStaff(
            role: .admin, login: "fresh.admin@platform.example", displayName: "新员工",
            password: "correct horse battery 42",
            platform: env.platform)
        tokens[.adminWithoutTwoFactor] = try await client.token(login: "fresh.admin@platform.example")

        let owner = try await client.newSession(kind: "merchant", login: "owner@shop.example")
        _ = try await client.enrolTwoFactor(token: owner)
        tokens[.owner] = owner

        for (n, principal) in [(1, Principal.catalog), (2, .fulfilment), (3, .finance)] {
            let login = "member\(n)@shop.example"
            let added = try await client.send(
                .post, "/api/v1/merchant/staff", token: owner,
                json: Client.jsonString(["login": login, "displayName": "店员", "role": principal.rawValue]))
            let oneTime = try #require(added.json["oneTimePassword"] as? String, "\(added.body)")
            tokens[principal] = try await signInWithTwoFactor(client: client, login: login, password: oneTime)
        }

        let staffRoles: [(Principal, Role)] = [
            (.admin, .admin), (.support, .support), (.riskAnalyst, .riskAnalyst), (.arbitrator, .arbitrator),
            (.complianceOfficer, .complianceOfficer), (.securityOfficer, .securityOfficer),
        ]
        for (principal, role) in staffRoles {
            let login = "\(role.rawValue.replacingOccurrences(of: "_", with: "."))@platform.example"
            let created = try await TeamAccounts.addPlatformStaff(
                role: role, login: login, displayName: "员工", password: nil, platform: env.platform)
            tokens[principal] = try await signInWithTwoFactor(
                client: client, login: login, password: created.oneTimePassword)
        }
        return tokens
    }

    /// One-time password → new password → two-factor enrolment: a fully privileged session.
    static func signInWithTwoFactor(client: Client, login: String, password: String) async throws -> String {
        let first = try await client.token(login: login, password: password)
        let changed = try await client.send(
            .put, "/api/v1/me/password", token: first,
            json: Client.jsonString(["currentPassword": password, "newPassword": "correct horse battery 42"]))
        guard changed.status == 204 else { throw TestFailure(description: "password change: \(changed.body)") }
        _ = try await client.enrolTwoFactor(token: first)
        return first
    }
}
