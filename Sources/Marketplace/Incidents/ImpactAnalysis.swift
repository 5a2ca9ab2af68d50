import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// Who an incident affected and which categories of their data, computed from what the compromised party could
/// actually reach: the access log (reveals are audit events), the disclosure records, and the stored data.
enum ImpactAnalysis {
    /// Categories that are sensitive personal information (PIPL Art. 28: specific identity).
    static let sensitive: Set<String> = ["resident_id"]
    /// The audit fields of reveals, as categories.
    static let revealCategories: [String: String] = [
        "login": "login", "displayName": "name", "address": "address", "phone": "phone", "name": "name",
        "resident_id": "resident_id", "residentId": "resident_id",
    ]

    /// Person id → categories of their data the compromise exposed.
    static func affected(by scope: CompromisedScope, platform: Platform) async throws -> [String: Set<String>] {
        let db = platform.db.sql
        var affected: [String: Set<String>] = [:]
        func add(_ subject: String, _ categories: some Sequence<String>) {
            affected[subject, default: []].formUnion(categories)
        }
        switch scope.kind {
        case "account":
            guard let account = try await AccountStore.find(id: scope.value, on: db) else {
                throw Problem.notFound("The account")
            }
            // Every reveal the account made in the window, from the access log.
            let people = try await pseudonyms(platform: platform)
            let events = try await AuditTreeStore.search(
                type: "privacy.reveal", actor: platform.keys.pseudonym(account.id), subject: nil, from: scope.from,
                to: scope.to, limit: 1_000_000, on: db)
            let details = try await AuditDetails.open(hashes: events.map(\.details_hash), platform: platform)
            for event in events {
                guard let subject = people[event.subject] else { continue }
                let fields = (details[event.details_hash]?["fields"] ?? "").split(separator: ",").map(String.init)
                add(subject, fields.map { revealCategories[$0] ?? $0 })
            }
            // A merchant's accounts also saw their orders' buyers, masked: name, phone and district.
            if account.kind == AccountKind.merchant.rawValue, let merchant = account.merchant_id {
                for row in try await db.raw(
                    """
                    SELECT DISTINCT buyer_id FROM orders WHERE merchant_id = \(bind: merchant)
                      AND created_at < \(bind: scope.to) AND recipient_cipher IS NOT NULL
                    """
                ).all() {
                    add(try row.decode(column: "buyer_id", as: String.self), ["order", "recipient_masked"])
                }
            }
        case "provider":
            for row in try await db.raw(
                """
                SELECT subject_id, fields FROM disclosures WHERE provider_id = \(bind: scope.value)
                  AND disclosed_at >= \(bind: scope.from) AND disclosed_at < \(bind: scope.to)
                """
            ).all() {
                let fields = StringList.decode(try row.decode(column: "fields", as: String.self))
                add(try row.decode(column: "subject_id", as: String.self), fields)
            }
        case "master_key":
            guard let version = Int(scope.value) else { throw Problem.invalid("scope", "A master key version number.") }
            // Every person whose data key it wraps: everything encrypted about them.
            for row in try await db.raw(
                """
                SELECT k.subject_id,
                  (SELECT COUNT(*) FROM orders o WHERE o.buyer_id = k.subject_id) AS orders,
                  (SELECT COUNT(*) FROM identity_verifications v WHERE v.account_id = k.subject_id
                     AND v.id_number_cipher IS NOT NULL) AS ids
                FROM subject_keys k WHERE k.master_version = \(bind: version) AND k.destroyed_at IS NULL
                """
            ).all() {
                var categories = ["login", "name"]
                if try row.decode(column: "orders", as: Int.self) > 0 { categories += ["address", "phone"] }
                if try row.decode(column: "ids", as: Int.self) > 0 { categories += ["resident_id"] }
                add(try row.decode(column: "subject_id", as: String.self), categories)
            }
        case "table":
            let tables: [String: (person: String, time: String, categories: [String])] = [
                "accounts": ("id", "created_at", ["login", "name"]),
                "orders": ("buyer_id", "created_at", ["name", "phone", "address"]),
                "identity_verifications": ("account_id", "submitted_at", ["name", "resident_id"]),
            ]
            guard let table = tables[scope.value] else {
                throw Problem.invalid("scope", "A table among \(tables.keys.sorted()).")
            }
            for row in try await db.raw(
                """
                SELECT DISTINCT \(ident: table.person) AS person FROM \(ident: scope.value)
                WHERE \(ident: table.time) >= \(bind: scope.from) AND \(ident: table.time) < \(bind: scope.to)
                """
            ).all() {
                add(try row.decode(column: "person", as: String.self), table.categories)
            }
        default:
            throw Problem.invalid("scope", "kind is account, provider, master_key or table.")
        }
        return affected
    }

    /// consumer or merchant for each id that is one (merchant staff count towards their merchant).
    static func kinds(of ids: [String], on db: any SQLDatabase) async throws -> [String: String] {
        var kinds: [String: String] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
            for row in try await db.select().columns("id", "kind").from("accounts").where("id", .in, part).all() {
                let kind = try row.decode(column: "kind", as: String.self)
                if kind == "consumer" || kind == "merchant" {
                    kinds[try row.decode(column: "id", as: String.self)] = kind
                }
            }
        }
        return kinds
    }

    /// Audit pseudonym → account id, for every consumer and merchant account.
    private static func pseudonyms(platform: Platform) async throws -> [String: String] {
        var map: [String: String] = [:]
        for row in try await platform.db.sql.raw("SELECT id FROM accounts WHERE kind IN ('consumer', 'merchant')")
            .all()
        {
            let id = try row.decode(column: "id", as: String.self)
            map[platform.keys.pseudonym(id)] = id
        }
        return map
    }
}
