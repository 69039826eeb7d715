import Foundation
import PostgresClient
import TestSupport
import Testing

/// The pipeline beside a live app (issue 24): the app's users apply, record and read their dashboards
/// through PostgREST's roles while an import, a backfill or `verify --fix` runs. Outcomes only, never times.
@Suite("Imports beside the live app")
struct LiveAppTests {
    /// A database holding the base export of `export`, its users signed up, and the delta written to a folder.
    struct LiveDatabase {
        let harness: ImportHarness
        let users: [AppUser]
        let delta: String

        init(_ database: TestDatabase, _ export: LiveAppExport) throws {
            harness = ImportHarness(database)
            users = try database.signUp(export.baseEmails)
            let base = harness.folder + "/base"
            delta = harness.folder + "/delta"
            try export.writeBase(into: base)
            try export.writeDelta(into: delta)
            let outcome = try harness.run([base])
            guard outcome.status == 0 else { throw TestSupportError("the base import exited \(outcome.status): \(outcome.standardError)") }
        }

        func user(_ index: Int) -> AppUser { users[index] }
    }

    @Test("the app spends a user's credit while the import waits for it: the charge that no longer fits is rejected, the run succeeds")
    func appSpendsWhileTheImportWaits() throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 12, touched: 8, added: 3))
            // User 1 has 2 credits and the delta charges 2 (no payment for odd users). The app spends one of
            // them in a request that commits only once the import waits for that user's balance.
            let user = live.user(1)
            let app = try database.connectAsAPI()
            try app.query("BEGIN")
            try app.query("SET LOCAL ROLE authenticated")
            try app.setLocal("request.jwt.claims", to: #"{"role":"authenticated","sub":"\#(user.userID)"}"#)
            let jobRequest = try app.query("""
                INSERT INTO crm_job_requests (email, job_title) VALUES (\(bind: user.email), 'Nurse') RETURNING id
                """).scalar(String.self)
            try app.query("""
                INSERT INTO crm_recordings (email, job_request_id, video_url, credit_charged)
                VALUES (\(bind: user.email), \(bind: jobRequest)::uuid, 'https://cdn.example.com/app.mp4', true)
                """)
            let running = try CommandLineRunner.start([
                "import", live.delta, "--database-url", database.url, "--reject-file", live.harness.rejectFile])
            try database.connect().waitUntilImportWaitsOnLock()
            try app.query("COMMIT")
            running.process.waitUntilExit()

            #expect(running.process.terminationStatus == 0, "\(running.standardError)")
            #expect(try live.harness.rejectSummary() == ["insufficient_credits@5"], "the second charge: the app took the credit it needed")
            #expect(try live.harness.scalar("SELECT credits FROM crm_dashboard_stats WHERE email = \(bind: user.email)") == "0")
            #expect(try live.harness.invariantViolations() == [])
        }
    }

    @Test("nightly and backfill beside four app sessions that spend credits: exit 0, no app request fails, every invariant holds",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "300"]])
    func importBesideTheApp(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 300, touched: 240, added: 60))
            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: live.users, sessions: 4))
            let outcome = try live.harness.run([live.delta], mode)
            let app = try traffic.stop().window()

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(app.requests > 0)
            #expect(app.failures == [:], "\(app)")
            #expect(try live.harness.invariantViolations() == [])
            #expect(try live.harness.scalar("SELECT count(*) FROM crm_dashboard_stats WHERE credits < 0") == "0")
            for reject in try live.harness.rejects() {
                #expect(reject["reason"] as? String == "insufficient_credits", "\(reject)")
            }
        }
    }

    @Test("verify --fix beside the app: the drift it repairs stays repaired, no app request fails")
    func verifyFixBesideTheApp() throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 200, touched: 0, added: 0))
            // Drift on the users the app writes: totals off by one, as a bug or a hand edit would leave them.
            try database.connectAsSuperuser().query("""
                UPDATE crm_dashboard_stats SET total_applications = total_applications + 1
                WHERE email IN (SELECT email FROM crm_dashboard_stats ORDER BY email LIMIT 100)
                """)
            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: live.users, sessions: 4))
            let outcome = try CommandLineRunner.run(["verify", "--fix", "--database-url", database.url])
            let app = try traffic.stop().window()

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(app.failures == [:], "\(app)")
            #expect(try live.harness.invariantViolations() == [])
        }
    }
}
