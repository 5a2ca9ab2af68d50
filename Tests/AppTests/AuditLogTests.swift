import AuditLog
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Marketplace
import Risk
import SQLKit
import Storage
import Testing

/// Clause 2.2 (security audit): the stored log is tamper-evident, and real requests are recorded.
@Suite("Audit log: integration, proofs, verification")
struct AuditLogIntegrationTests {
    @Test("2.2: actions are logged, integrated, provable to their subject, and verify", arguments: Backend.available)
    func endToEnd(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup: real requests produce events
                let token = try await client.newSession(login: "13800000040")
                _ = try await client.signIn(login: "13800000040", password: "wrong password 12345")
                _ = try await client.send(.get, "/api/v1/staff/accounts", token: token)
                // act
                let integrated = try await AuditIntegration.integrate(platform: env.platform)
                // check: the covered events are there
                #expect(integrated >= 4)
                for type in ["account.register", "account.login.success", "account.login.failure", "authz.denied"] {
                    #expect(try await env.auditCount(type) >= 1, "\(type)")
                }
                // check: the log verifies and the head is served
                #expect(
                    try await AuditVerification.verifyStored(platform: env.platform)
                        == .intact(treeSize: UInt64(integrated), heads: 1))
                let head = try await client.send(.get, "/api/v1/audit/head")
                #expect(head.status == 200)
                #expect(head.json["treeSize"] as? Int == integrated)
                let root = try #require(MerkleHash(base64: head.json["rootHash"] as? String ?? ""))
                // check: the subject gets a proof of an event about them; a stranger gets 404
                let proofReply = try await client.send(.get, "/api/v1/audit/events/0/proof", token: token)
                #expect(proofReply.status == 200, "\(proofReply.body)")
                let proven = try JSONDecoder().decode(ProvenEvent.self, from: Data(proofReply.body.utf8))
                #expect(proven.leaf.leafHash == proven.proof.leafHash)
                try proven.proof.verify(rootHash: root)
                let stranger = try await client.newSession(login: "13800000041")
                #expect(try await client.send(.get, "/api/v1/audit/events/0/proof", token: stranger).status == 404)
                // check: personal data never appears in the leaves
                let leaves = try await env.platform.db.sql.raw("SELECT * FROM audit_events").all(
                    decoding: StoredAuditEvent.self)
                #expect(
                    !leaves.contains {
                        $0.actor.contains("13800000040") || $0.subject.contains("13800000040")
                            || $0.object_ref.contains("13800000040")
                    })
            }
        }
    }

    @Test("2.2: consistency proofs connect an old head to the new one")
    func consistency() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                _ = try await client.register(login: "13800000042")
                try await AuditIntegration.integrate(platform: env.platform)
                let old = try await AuditQueries.latestHead(platform: env.platform)
                _ = try await client.register(login: "13800000043")
                _ = try await client.register(login: "13800000044")
                try await AuditIntegration.integrate(platform: env.platform)
                let new = try await AuditQueries.latestHead(platform: env.platform)
                let reply = try await client.send(
                    .get, "/api/v1/audit/consistency?first=\(old.treeSize)&second=\(new.treeSize)")
                #expect(reply.status == 200)
                let proof = try JSONDecoder().decode(ConsistencyProof.self, from: Data(reply.body.utf8))
                try proof.verify(firstRoot: old.rootHash, secondRoot: new.rootHash)
                #expect(try await client.send(.get, "/api/v1/audit/consistency?first=5&second=9999").status == 422)
            }
        }
    }

    @Test("2.2: tampering with stored rows is caught at the right position", arguments: Backend.available)
    func storedTampering(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                for n in 0..<4 { _ = try await client.register(login: "1380000006\(n)") }
                try await AuditIntegration.integrate(platform: env.platform)
                let db = env.platform.db.sql
                #expect(
                    try await AuditVerification.verifyStored(platform: env.platform) == .intact(treeSize: 8, heads: 1),
                    "each registration logs its consent and itself")
                // act: modify event 2
                try await db.raw("UPDATE audit_events SET outcome = 'failure' WHERE leaf_index = 2").run()
                // check
                #expect(
                    try await AuditVerification.verifyStored(platform: env.platform)
                        == .broken(position: 2, reason: "event 2 was modified after it was logged"))
                try await db.raw("UPDATE audit_events SET outcome = 'success' WHERE leaf_index = 2").run()
                // act: delete event 1
                try await db.raw("DELETE FROM audit_events WHERE leaf_index = 1").run()
                let verdict = try await AuditVerification.verifyStored(platform: env.platform)
                guard case .broken(let position, _) = verdict else {
                    Issue.record("deletion not caught")
                    return
                }
                #expect(position == 1)
            }
        }
    }

    @Test("2.2: a failed audit write aborts the action (fail closed)")
    func failClosed() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                // The audit store refuses writes (as a full disk or a failing replica would).
                try await env.platform.db.sql.raw(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
                ).run()
                #expect(try await client.register(login: "13800000050").status == 500)
                #expect(try await env.count("accounts") == 0)
            }
        }
    }
    @Test("2.2: configuration changes are audited with their old and new values")
    func configurationChanges() async throws {
        try await TestPlatform.with(.sqlite) { env in
            // setup: the first start records every setting
            var settings = SecuritySettings()
            let first = try await ConfigurationChanges.record(settings, platform: env.platform)
            #expect(first.count == settings.values.count + 3, "the settings and the risk engine's three versions")
            #expect(try await env.auditCount("config.initialized") == 1)
            // act: an unchanged restart, then one with a new lockout threshold
            let unchanged = try await ConfigurationChanges.record(settings, platform: env.platform)
            settings.lockoutThreshold = 7
            let changed = try await ConfigurationChanges.record(settings, platform: env.platform)
            // check: only the difference is recorded, and an auditor can read it
            #expect(unchanged.isEmpty)
            #expect(changed == ["lockout_threshold"])
            #expect(try await env.auditCount("config.changed") == 1)
            let officer = Caller(
                accountId: "officer-1", role: .securityOfficer, merchantId: nil, sessionId: "s",
                twoFactorVerified: true, twoFactorEnrolled: true, mustChangePassword: false)
            let found = try await AuditQueries.search(
                type: "config.changed", actorId: nil, subjectId: nil, from: nil, to: nil, caller: officer,
                platform: env.platform)
            #expect(found.map(\.details) == [["lockout_threshold": "5 -> 7"]])

            // act: a new risk rule set (2.4.3: changing rules is an audited action)
            var platform = env.platform
            let rules = try RiskChecks.bundledRules()
            platform.risk = RiskEngine(
                live: RiskRuleSet(version: "2026-12-01.1", thresholds: rules.thresholds, rules: rules.rules))
            let risk = try await ConfigurationChanges.record(settings, platform: platform)
            #expect(risk == ["risk_rules_version"])
            let rulesChange = try await AuditQueries.search(
                type: "config.changed", actorId: nil, subjectId: nil, from: nil, to: nil, caller: officer,
                platform: env.platform)
            #expect(rulesChange.contains { $0.details == ["risk_rules_version": "\(rules.version) -> 2026-12-01.1"] })
        }
    }
}

/// 1,000 random mutations of every kind on a stored log: verification catches every one (clause 2.2).
@Suite("Audit log: mutation detection")
struct AuditMutationTests {
    nonisolated(unsafe) static let key = Curve25519.Signing.PrivateKey()

    /// A 64-event log with signed heads at several sizes.
    static func makeLog() throws -> ([AuditVerification.Row], [SignedTreeHead]) {
        var rows: [AuditVerification.Row] = []
        var heads: [SignedTreeHead] = []
        var appender = MerkleAppender()
        for i in 0..<64 {
            let leaf = AuditLeaf(
                sequence: UInt64(i), timestamp: 1_780_000_000_000 + UInt64(i),
                eventType: ["account.login.success", "account.register", "authz.denied"][i % 3],
                actor: "actor\(i % 7)", subject: "subject\(i % 5)", object: "account:\(i)",
                outcome: i % 4 == 0 ? "failure" : "success",
                detailsHash: MerkleHash.leaf(Data("details \(i)".utf8)))
            rows.append(AuditVerification.Row(leafIndex: Int64(i), leaf: leaf, storedLeafHash: leaf.leafHash))
            appender.absorb([leaf.leafHash])
            if [5, 17, 32, 50, 64].contains(i + 1) {
                heads.append(
                    try SignedTreeHead(
                        treeSize: appender.treeSize, timestamp: UInt64(i), rootHash: appender.rootHash, signingKey: key)
                )
            }
        }
        return (rows, heads)
    }

    enum Mutation: String, CaseIterable, Sendable { case modify, delete, insert, reorder, truncate }

    @Test("2.2: every mutation of the stored log is detected", arguments: Mutation.allCases)
    func mutations(kind: Mutation) throws {
        let (rows, heads) = try Self.makeLog()
        let publicKey = Self.key.publicKey
        #expect(
            AuditVerification.verify(rows: rows, heads: heads, publicKey: publicKey) == .intact(treeSize: 64, heads: 5))
        let checkpoint = heads.last!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            var mutated = rows
            var mutatedHeads = heads
            let p = Int.random(in: 0..<rows.count, using: &generator)
            switch kind {
            case .modify:
                var leaf = mutated[p].leaf
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: leaf.eventType += "x"
                case 1: leaf.actor = "forged"
                case 2: leaf.subject = ""
                case 3: leaf.outcome = leaf.outcome == "success" ? "failure" : "success"
                case 4: leaf.timestamp += 1
                default: leaf.detailsHash = MerkleHash.leaf(Data("other".utf8))
                }
                // half the time the attacker also rewrites the stored leaf hash
                let rewriteNode = Bool.random(using: &generator)
                mutated[p] = AuditVerification.Row(
                    leafIndex: Int64(p), leaf: leaf,
                    storedLeafHash: rewriteNode ? leaf.leafHash : rows[p].storedLeafHash)
            case .delete:
                mutated.remove(at: p)
                if Bool.random(using: &generator) {  // and renumber what follows to hide the gap
                    for i in p..<mutated.count { mutated[i] = Self.renumbered(mutated[i], to: i) }
                }
            case .insert:
                let forged = AuditLeaf(
                    sequence: UInt64(p), timestamp: 1, eventType: "account.unlock", actor: "forged", subject: "s",
                    object: "", outcome: "success", detailsHash: MerkleHash.emptyTree)
                mutated.insert(
                    AuditVerification.Row(leafIndex: Int64(p), leaf: forged, storedLeafHash: forged.leafHash), at: p)
                if Bool.random(using: &generator) {
                    for i in (p + 1)..<mutated.count { mutated[i] = Self.renumbered(mutated[i], to: i) }
                }
            case .reorder:
                var q = Int.random(in: 0..<rows.count, using: &generator)
                if q == p { q = (p + 1) % rows.count }
                mutated[p] = Self.renumbered(rows[q], to: p)
                mutated[q] = Self.renumbered(rows[p], to: q)
            case .truncate:
                let keep = Int.random(in: 0..<rows.count, using: &generator)
                mutated = Array(rows.prefix(keep))
                mutatedHeads = heads.filter { $0.treeSize <= UInt64(keep) }
            }
            let verdict = AuditVerification.verify(
                rows: mutated, heads: mutatedHeads, publicKey: publicKey, checkpoint: checkpoint)
            guard case .broken(let position, _) = verdict else {
                Issue.record("\(kind) at \(p) was not detected")
                return
            }
            if kind != .truncate {
                #expect(position <= UInt64(max(p, 0)) + 1, "\(kind) at \(p) reported at \(position)")
            }
        }
    }

    @Test("2.2: a forged head or a checkpoint from another log is refused")
    func forgedHeads() throws {
        let (rows, heads) = try Self.makeLog()
        let other = Curve25519.Signing.PrivateKey()
        let forged = try SignedTreeHead(treeSize: 64, timestamp: 1, rootHash: heads.last!.rootHash, signingKey: other)
        guard
            case .broken = AuditVerification.verify(rows: rows, heads: heads + [forged], publicKey: Self.key.publicKey)
        else {
            Issue.record("forged head accepted")
            return
        }
        guard
            case .broken = AuditVerification.verify(
                rows: rows, heads: heads, publicKey: Self.key.publicKey, checkpoint: forged)
        else {
            Issue.record("foreign checkpoint accepted")
            return
        }
    }

    /// The row moved to index `i`, as an attacker rewriting `leaf_index` would leave it (the sequence the
    /// verifier sees is the stored index; the stored leaf hash moves with the row).
    static func renumbered(_ row: AuditVerification.Row, to i: Int) -> AuditVerification.Row {
        var leaf = row.leaf
        leaf.sequence = UInt64(i)
        return AuditVerification.Row(leafIndex: Int64(i), leaf: leaf, storedLeafHash: row.storedLeafHash)
    }
}
