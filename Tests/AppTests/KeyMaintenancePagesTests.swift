import Domain
import Foundation
import Marketplace
import Privacy
import Storage
import Testing

@testable import App

/// Key maintenance started from the operations console (issues 4 and 10): the re-wrap runs in the background
/// with its progress stored, one job of a kind at a time, and the page follows it until it is done.
@Suite("Key maintenance jobs")
struct KeyMaintenancePagesTests {
    static let officer = Caller(
        accountId: "security-1", role: .securityOfficer, merchantId: nil, sessionId: "s", twoFactorVerified: true,
        twoFactorEnrolled: true, mustChangePassword: false)

    @Test("2.3.2: after a rotation, a re-wrap job started by a security officer re-wraps every key, with progress")
    func rewrapJob() async throws {
        try await TestDatabase.with(.sqlite) { db in
            // setup: seven people under master key 1, then a rotation
            var material = KeyMaterial.random(origin: .generated, nowMillis: 0)
            let clock = ManualClock()
            let first = try TestPlatform.platform(db, keys: material, clock: clock)
            for n in 0..<7 {
                _ = try await Registration.register(
                    RegistrationInput(
                        kind: .consumer, login: "1380013830\(n)", password: "correct horse battery 42",
                        displayName: "用户\(n)"),
                    platform: first)
            }
            material.rotateMaster(nowMillis: 1)
            let second = try TestPlatform.platform(db, keys: material, clock: clock)
            let before = try await MaintenanceJobs.keyState(caller: Self.officer, platform: second)
            #expect(before.masterVersion == 2 && before.staleDataKeys >= 7)

            // act
            let job = try await MaintenanceJobs.start(.rewrap, caller: Self.officer, platform: second)
            #expect(job.status == "queued")
            await #expect(throws: Problem.self, "one re-wrap at a time") {
                try await MaintenanceJobs.start(.rewrap, caller: Self.officer, platform: second)
            }
            #expect(try await MaintenanceJobs.runQueued(platform: second) == 1)

            // check: done, every key counted, nothing stale, both ends audited
            let row = try #require(try await MaintenanceJobStore.find(id: job.id, on: db.sql))
            #expect(row.status == "done" && row.done == row.total && row.total >= 7 && row.finished_at != nil)
            #expect(try await MaintenanceJobs.keyState(caller: Self.officer, platform: second).staleDataKeys == 0)
            let types = try await db.sql.raw("SELECT event_type FROM audit_events").all()
                .map { try $0.decode(column: "event_type", as: String.self) }
            #expect(types.filter { $0 == "maintenance.start" || $0 == "maintenance.finish" }.count == 2)
            #expect(types.contains("keys.rewrap"))
            // a finished job leaves room for the next
            #expect(try await MaintenanceJobs.start(.rewrap, caller: Self.officer, platform: second).status == "queued")
        }
    }

    @Test("2.3.2: only a security officer starts key jobs; a job left running by a stopped instance runs again")
    func permissionsAndRestart() async throws {
        try await TestPlatform.with(.sqlite) { env in
            let arbitrator = Caller(
                accountId: "arbitrator-1", role: .arbitrator, merchantId: nil, sessionId: "s", twoFactorVerified: true,
                twoFactorEnrolled: true, mustChangePassword: false)
            await #expect(throws: Problem.self) {
                try await MaintenanceJobs.start(.rewrap, caller: arbitrator, platform: env.platform)
            }
            let job = try await MaintenanceJobs.start(.reindex, caller: Self.officer, platform: env.platform)
            // an instance claimed it and stopped: eleven minutes later it is queued again and finished here
            let db = env.platform.db.sql
            #expect(try await MaintenanceJobStore.claimNext(now: env.platform.clock.nowMillis, on: db)?.id == job.id)
            #expect(try await MaintenanceJobStore.claimNext(now: env.platform.clock.nowMillis, on: db) == nil)
            env.clock.advance(seconds: 11 * 60)
            #expect(try await MaintenanceJobs.runQueued(platform: env.platform) == 1)
            #expect(try await MaintenanceJobStore.find(id: job.id, on: db)?.status == "done")
        }
    }

    @Test("2.3.2: the key page starts a job and follows it, reloading itself until the job is done")
    func keyPage() async throws {
        try await TestPlatform.with(.sqlite) { env in
            try await env.withClient { client in
                var (officer, _) = try await OpsPagesTests.staff(
                    .securityOfficer, login: "security@ops.example", client: client, env: env)
                let page = try await officer.get("/ops/keys")
                #expect(page.status == 200)
                #expect(page.body.contains("id=\"stale-data-keys\">0<"))
                #expect(!page.body.contains("http-equiv=\"refresh\""))
                try OpsPagesTests.expectTokens(page, officer, "/ops/keys")

                // act
                let started = try await officer.post("/ops/keys/jobs/keys.rewrap", [:])
                #expect(started.status == 303 && started.headers[.location] == "/ops/keys?done=job_started")
                #expect(try await officer.post("/ops/keys/jobs/keys.rewrap", [:]).status == 409)
                #expect(try await officer.post("/ops/keys/jobs/keys.shred", [:]).status == 404)
                let running = try await officer.get("/ops/keys?done=job_started")
                #expect(running.body.contains("http-equiv=\"refresh\" content=\"2\""))
                #expect(running.body.contains("status-queued"))
                _ = try await MaintenanceJobs.runQueued(platform: env.platform)

                // check
                let done = try await officer.get("/ops/keys")
                #expect(done.body.contains("status-done") && !done.body.contains("http-equiv=\"refresh\""))
                #expect(done.body.contains("<progress max=\"100\" value=\"100\""))

                // another role sees neither the link nor the page
                var (arbitrator, _) = try await OpsPagesTests.staff(
                    .arbitrator, login: "arbitrator@ops.example", client: client, env: env)
                #expect(try await arbitrator.get("/ops/keys").status == 403)
                #expect(!(try await arbitrator.get("/ops").body.contains("/ops/keys")))
                #expect(try await arbitrator.post("/ops/keys/jobs/keys.rewrap", [:]).status == 403)
            }
        }
    }
}
