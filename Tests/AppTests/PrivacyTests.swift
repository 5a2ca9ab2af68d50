import App
import AuditLog
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace
import Privacy
import SQLKit
import Storage
import Testing

@Suite("Privacy: reveals, export, erasure, keys")
struct PrivacyTests {
    /// A support agent with two-factor on; returns its token and id.
    static func supportAgent(client: Client, env: TestPlatform) async throws -> (token: String, id: String) {
        let created = try await TeamAccounts.addPlatformStaff(
            role: .support, login: "agent@platform.example", displayName: "客服", password: "correct horse battery 42",
            platform: env.platform)
        let token = try await client.token(login: "agent@platform.example")
        _ = try await client.enrolTwoFactor(token: token)
        return (token, created.id)
    }

    static func admin(client: Client, env: TestPlatform) async throws -> String {
        _ = try await TeamAccounts.addPlatformStaff(
            role: .admin, login: "boss@platform.example", displayName: "管理员", password: "correct horse battery 42",
            platform: env.platform)
        let token = try await client.token(login: "boss@platform.example")
        _ = try await client.enrolTwoFactor(token: token)
        return token
    }

    @Test("2.3.2: the owner reveals their own data in full, and the reveal is audited")
    func ownReveal() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let token = try await client.newSession(login: "13800138123")
                let reply = try await client.send(
                    .post, "/api/v1/me/reveal", token: token, json: #"{"fields":["login","displayName"]}"#)
                #expect(reply.status == 200)
                let values = try #require(reply.json["values"] as? [String: String])
                #expect(values == ["login": "13800138123", "displayName": "王小明"])
                #expect(try await env.auditCount("privacy.reveal") == 1)
                let bad = try await client.send(
                    .post, "/api/v1/me/reveal", token: token, json: #"{"fields":["password"]}"#)
                #expect(bad.status == 422)
            }
        }
    }

    @Test(
        "2.3.3: staff reveal needs a purpose, a justification and current confidentiality training",
        arguments: Backend.available)
    func staffReveal(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup
                let consumer = try await client.newSession(login: "13800138124")
                let consumerId = try #require(
                    try await client.send(.get, "/api/v1/me", token: consumer).json["id"] as? String)
                let agent = try await Self.supportAgent(client: client, env: env)
                let admin = try await Self.admin(client: client, env: env)
                let path = "/api/v1/staff/accounts/\(consumerId)/reveal"
                let valid = Client.jsonString([
                    "fields": ["login"], "purpose": "customer-support",
                    "justification": "Caller asked to confirm the phone on file, ticket 4411",
                ])
                // check: no training → refused, and the refusal is audited
                let untrained = try await client.send(.post, path, token: agent.token, json: valid)
                #expect(untrained.status == 403)
                #expect(untrained.problemType == "confidentiality-training-required")
                // act: the administrator records training valid for 30 days
                let recorded = try await client.send(
                    .post, "/api/v1/staff/training-records", token: admin,
                    json: Client.jsonString(["staffId": agent.id, "validDays": 30]))
                #expect(recorded.status == 201)
                // check: purpose and justification are required
                let noPurpose = try await client.send(
                    .post, path, token: agent.token,
                    json: Client.jsonString([
                        "fields": ["login"], "purpose": "curiosity", "justification": "just looking around here",
                    ]))
                #expect(noPurpose.status == 422)
                let short = try await client.send(
                    .post, path, token: agent.token,
                    json: Client.jsonString([
                        "fields": ["login"], "purpose": "customer-support", "justification": "why",
                    ]))
                #expect(short.status == 422)
                // check: with everything in order, the value is revealed
                let revealed = try await client.send(.post, path, token: agent.token, json: valid)
                #expect(revealed.status == 200)
                #expect((revealed.json["values"] as? [String: String])?["login"] == "13800138124")
                // check: the person sees the reveal in their access receipts, with a proof once integrated
                try await AuditIntegration.integrate(platform: env.platform)
                let receipts = try await client.send(.get, "/api/v1/me/access-receipts", token: consumer)
                let list = try #require(receipts.json["receipts"] as? [[String: Any]])
                let reveal = try #require(
                    list.first {
                        $0["eventType"] as? String == "privacy.reveal" && $0["outcome"] as? String == "success"
                    })
                #expect(reveal["proof"] != nil)
            }
        }
    }

    @Test("2.3.3: expired confidentiality training blocks reveals")
    func expiredTraining() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let consumer = try await client.newSession(login: "13800138125")
                let consumerId = try #require(
                    try await client.send(.get, "/api/v1/me", token: consumer).json["id"] as? String)
                let agent = try await Self.supportAgent(client: client, env: env)
                try await StaffTrainingStore.record(
                    id: UUID().uuidString, staffId: agent.id, completedAt: env.clock.nowMillis - 400 * 86_400_000,
                    expiresAt: env.clock.nowMillis - 35 * 86_400_000, recordedBy: "test", on: env.platform.db.sql)
                let reply = try await client.send(
                    .post, "/api/v1/staff/accounts/\(consumerId)/reveal", token: agent.token,
                    json: Client.jsonString([
                        "fields": ["login"], "purpose": "customer-support",
                        "justification": "Confirming the phone number for a ticket",
                    ]))
                #expect(reply.problemType == "confidentiality-training-required")
            }
        }
    }

    @Test("2.3.5: the export holds every field of the person, in full")
    func export() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let token = try await client.newSession(login: "person@example.com")
                let reply = try await client.send(.get, "/api/v1/me/export", token: token)
                #expect(reply.status == 200)
                #expect(reply.headers[.contentDisposition]?.contains("attachment") == true)
                let account = try #require(reply.json["account"] as? [String: Any])
                #expect(account["login"] as? String == "person@example.com")
                #expect(account["displayName"] as? String == "王小明")
                #expect((reply.json["sessions"] as? [Any])?.count == 1)
                // every catalog column of the accounts table that concerns the person is in the export
                let exported = Set(account.keys)
                for column in ["id", "kind", "role", "login", "displayName", "status", "createdAt"] {
                    #expect(exported.contains(column))
                }
                // the consents, the verification, the cart and the orders are in it too
                #expect((reply.json["consents"] as? [[String: Any]])?.first?["purpose"] as? String == "account")
                #expect((reply.json["verification"] as? [String: Any])?["status"] as? String == "unverified")
                #expect(reply.json["cart"] is [Any] && reply.json["orders"] is [Any])
                let requests = try await client.send(.get, "/api/v1/me/privacy-requests", token: token)
                let list = try #require(requests.json["requests"] as? [[String: Any]])
                #expect(list.first?["kind"] as? String == "export")
                #expect(list.first?["status"] as? String == "completed")
            }
        }
    }

    @Test(
        "2.3.5: after erasure nothing of the person decrypts, the login is free, and the audit log still verifies",
        arguments: Backend.available)
    func erasure(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            try await env.withClient { client in
                // setup
                let token = try await client.newSession(login: "13800138126")
                let id = try #require(try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
                _ = try await client.send(.post, "/api/v1/me/reveal", token: token, json: #"{"fields":["login"]}"#)
                // a minute on, the key is settled and kept in the audit key cache
                env.clock.advance(seconds: 120)
                _ = try await client.send(.post, "/api/v1/me/reveal", token: token, json: #"{"fields":["login"]}"#)
                // check: the password is asked again
                let wrong = try await client.send(
                    .delete, "/api/v1/me", token: token, json: #"{"password":"not my password!!"}"#)
                #expect(wrong.status == 422)
                // act
                let erased = try await client.send(
                    .delete, "/api/v1/me", token: token, json: #"{"password":"correct horse battery 42"}"#)
                #expect(erased.status == 204)
                // check: sessions end, sign-in fails, nothing decrypts
                #expect(try await client.send(.get, "/api/v1/me", token: token).status == 401)
                #expect(try await client.signIn(login: "13800138126").status == 401)
                let db = env.platform.db.sql
                let row = try #require(try await AccountStore.find(id: id, on: db))
                #expect(row.status == "erased")
                let keyRow = try #require(try await SubjectKeyStore.find(subjectId: id, on: db))
                #expect(keyRow.wrapped_key == nil && keyRow.destroyed_at != nil)
                let details = try await db.raw(
                    "SELECT details_cipher FROM audit_details WHERE key_subject = \(bind: id)"
                ).all()
                #expect(!details.isEmpty, "the erased person's audit details are still stored, but unreadable")
                await #expect(throws: (any Error).self, "no audit details are written under a destroyed key") {
                    try await AuditTrail.recordAlone(
                        AuditEvent("test.after-erasure", actor: nil, subject: id), platform: env.platform)
                }
                // check: the same login can register again as a new person
                #expect(try await client.register(login: "13800138126").status == 201)
                // check: the audit log, including the erased person's events, still verifies
                try await AuditIntegration.integrate(platform: env.platform)
                guard case .intact = try await AuditVerification.verifyStored(platform: env.platform) else {
                    Issue.record("audit log broken after erasure")
                    return
                }
            }
        }
    }

    @Test("2.3.5: merchant erasure becomes a tracked request in the staff queue, flagged when overdue")
    func merchantErasureQueued() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                let merchant = try await client.newSession(kind: "merchant", login: "shop9@example.com")
                let reply = try await client.send(
                    .delete, "/api/v1/me", token: merchant, json: #"{"password":"correct horse battery 42"}"#)
                #expect(reply.status == 202)
                #expect(reply.json["status"] as? String == "open")
                let agent = try await Self.supportAgent(client: client, env: env)
                let queue = try await client.send(.get, "/api/v1/staff/privacy-requests", token: agent.token)
                let list = try #require(queue.json["requests"] as? [[String: Any]])
                #expect(list.count == 1 && list.first?["overdue"] as? Bool == false)
                // check: three weeks later (15 working days) it is flagged overdue
                env.clock.advance(seconds: 22 * 86_400)
                let caller = Caller(
                    accountId: agent.id, role: .support, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                    twoFactorEnrolled: true, mustChangePassword: false)
                let overdue = try await Rights.queue(caller: caller, platform: env.platform)
                #expect(overdue.first?.overdue == true)
                _ = list
            }
        }
    }

    @Test("2.3.5: the answer is due 15 working days later")
    func workingDays() {
        // 2026-11-27 was a Friday (UTC+8 noon).
        let friday: Int64 = 1_795_752_000_000
        #expect(Rights.dueDate(from: friday) - friday == 21 * 86_400_000)
    }

    @Test("2.3.2: rotation and rewrap leave every field readable, with the old master key gone")
    func rewrap() async throws {
        try await TestDatabase.with(.sqlite) { db in
            var material = KeyMaterial.random(origin: .generated, nowMillis: 0)
            let clock = ManualClock()
            let first = try TestPlatform.platform(db, keys: material, clock: clock)
            var ids: [String] = []
            for n in 0..<7 {
                ids.append(
                    try await Registration.register(
                        RegistrationInput(
                            kind: .consumer, login: "1380013820\(n)", password: "correct horse battery 42",
                            displayName: "用户\(n)"),
                        platform: first))
            }
            // act: rotate, rewrap
            material.rotateMaster(nowMillis: 1)
            let second = try TestPlatform.platform(db, keys: material, clock: clock)
            var progress: [(Int, Int)] = []
            let count = try await KeyMaintenance.rewrap(platform: second) { progress.append(($0, $1)) }
            #expect(count >= 7)
            #expect(progress.last?.0 == progress.last?.1)
            // check: with master key 1 removed, everything still decrypts
            material.masterKeys.removeAll { $0.version == 1 }
            let third = try TestPlatform.platform(db, keys: material, clock: clock)
            for (n, id) in ids.enumerated() {
                let caller = Caller(
                    accountId: id, role: .consumer, merchantId: nil, sessionId: "s", twoFactorVerified: false,
                    twoFactorEnrolled: false, mustChangePassword: false)
                let values = try await Reveal.own(fields: [.login, .displayName], caller: caller, platform: third)
                #expect(values["login"] == "1380013820\(n)")
            }
            #expect(try await KeyMaintenance.rewrap(platform: third) == 0)
        }
    }

    @Test("2.3.2: blind-index keys rotate: sign-in works before, during and after the reindex")
    func blindIndexRotation() async throws {
        try await TestDatabase.with(.sqlite) { db in
            var material = KeyMaterial.random(origin: .generated, nowMillis: 0)
            let clock = ManualClock()
            let config = TestPlatform.defaultConfig
            var logger = Logger(label: "test")
            logger.logLevel = .warning
            func platform() throws -> Platform {
                try Platform(
                    db: db, keys: try KeyRing(material: material), clock: clock, settings: config.security,
                    logger: logger)
            }
            func signIn(_ login: String, on platform: Platform) async throws -> Bool {
                (try? await SignIn.signIn(
                    SignInInput(
                        login: login, password: "correct horse battery 42", otp: nil, ip: "192.0.2.1",
                        userAgent: "test"),
                    platform: platform)) != nil
            }
            let first = try platform()
            for n in 0..<5 {
                _ = try await Registration.register(
                    RegistrationInput(
                        kind: .consumer, login: "1380013830\(n)", password: "correct horse battery 42",
                        displayName: "用户\(n)"),
                    platform: first)
            }
            // act: rotate; before the reindex, lookups still find every login and refuse duplicates
            material.rotateBlindIndex(nowMillis: 1)
            let second = try platform()
            #expect(try await signIn("13800138302", on: second))
            await #expect(throws: Problem.self) {
                try await Registration.register(
                    RegistrationInput(
                        kind: .consumer, login: "13800138302", password: "correct horse battery 42",
                        displayName: "重复"),
                    platform: second)
            }
            var progress: [(Int, Int)] = []
            let count = try await KeyMaintenance.reindex(platform: second) { progress.append(($0, $1)) }
            // check: every login moved to the new key, and the old key can go
            #expect(count == 5)
            #expect(progress.last.map { $0.0 == $0.1 } == true)
            let stale = try await db.sql.raw("SELECT id FROM accounts WHERE login_index NOT LIKE 'v2:%'").all()
            #expect(stale.isEmpty)
            material.blindIndexKeys.removeAll { $0.version == 1 }
            let third = try platform()
            for n in 0..<5 { #expect(try await signIn("1380013830\(n)", on: third)) }
            #expect(try await KeyMaintenance.reindex(platform: third) == 0)
        }
    }

    @Test(
        "2.3.2: after a realistic workload no personal data is readable in the SQLite file or a PostgreSQL dump",
        arguments: Backend.available)
    func noClearPersonalData(backend: Backend) async throws {
        try await TestPlatform.with(backend) { env in
            let secrets = try await env.withClient { client in
                let listing = try await OrderTests.merchantListing(
                    client, env, login: "scan@shop.example", title: "扫描测试茶", price: 1_000, stock: 50)
                var secrets: [String] = []
                for n in 0..<6 {
                    let phone = "1391234567\(n)"
                    let email = "private.person\(n)@example.org"
                    let name = "隐私测试\(n)号"
                    let residentId = VerificationTests.residentId("11010519800101\(100 + n)")
                    let street = "保密路 \(700 + n) 号 9 幢"
                    let recipientPhone = "1360000123\(n)"
                    secrets += [phone, email, name, street, recipientPhone]
                    #expect(try await client.register(login: n % 2 == 0 ? phone : email, name: name).status == 201)
                    let token = try await client.token(login: n % 2 == 0 ? phone : email)
                    _ = try await client.send(.post, "/api/v1/me/reveal", token: token, json: #"{"fields":["login"]}"#)
                    // real-name verification (by code to the mobile number) stores the name and ID number
                    if n % 2 == 0 {
                        secrets.append(residentId)
                        try await VerificationTests.consent(client, token)
                        let verification = try await client.send(
                            .post, "/api/v1/me/verification", token: token,
                            json: Client.jsonString(["name": name, "residentId": residentId]))
                        #expect(verification.status == 202, "\(verification.body)")
                    }
                    // an order stores the recipient
                    _ = try await OrderTests.add(client, token, listing, 1)
                    let body = OrderTests.recipient(street).replacingOccurrences(
                        of: "13912345678", with: recipientPhone)
                    #expect(try await OrderTests.checkout(client, token, body: body).status == 201)
                    _ = try await client.send(.get, "/api/v1/me/export", token: token)
                }
                try await AuditIntegration.integrate(platform: env.platform)
                return secrets
            }
            let bytes = try await Self.everythingStored(env.platform.db.location)
            #expect(bytes.count > 10_000)
            // control: what is stored in clear on purpose (a listing's title) is found by the same scan
            #expect(bytes.range(of: Data("扫描测试茶".utf8)) != nil, "the scan reads the stored text")
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "found \(secret.prefix(3))… in clear")
            }
        }
    }

    /// The SQLite file with its write-ahead log, or a `pg_dump` of the PostgreSQL database.
    static func everythingStored(_ location: DatabaseLocation) async throws -> Data {
        switch location {
        case .sqliteFile(let path):
            var bytes = Data()
            for suffix in ["", "-wal"] { bytes += (FileManager.default.contents(atPath: path + suffix) ?? Data()) }
            return bytes
        case .sqliteMemory:
            throw TestFailure(description: "an in-memory database has nothing to scan")
        case .postgres(let url):
            let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            let candidates =
                versions.sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"]
            let dump = try #require(
                candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "pg_dump is not installed")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dump)
            process.arguments = ["--data-only", "--dbname", url]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let bytes = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "pg_dump failed")
            return bytes
        }
    }
}
