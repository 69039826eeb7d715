import CRMSchema
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

    /// Opens a request of the app that spends one of `user`'s credits (a job request and a charged recording on
    /// it, as `authenticated`), left uncommitted: it holds the user's stats row until the caller commits it.
    static func spendOneCredit(as user: AppUser, _ database: TestDatabase) throws -> PostgresConnection {
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
        return app
    }

    /// Imports `folder` in the background, commits `app` once the import waits on a lock, and returns how it ended.
    static func importWhileHeld(_ folder: String, by app: PostgresConnection, _ harness: ImportHarness, _ arguments: [String] = []) throws -> RunningCommand {
        let running = try CommandLineRunner.start(
            ["import", folder, "--database-url", harness.database.url, "--reject-file", harness.rejectFile] + arguments)
        try harness.database.connect().waitUntilImportWaitsOnLock()
        try app.query("COMMIT")
        running.waitUntilExit()
        return running
    }

    @Test("the app spends a user's credit while the import waits for it: the charge that no longer fits is rejected, the run succeeds",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "20"]])
    func appSpendsWhileTheImportWaits(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 12, touched: 8, added: 3))
            // User 1 has 2 credits and the delta charges 2 (no payment for odd users). The app spends one of
            // them in a request that commits only once the import waits for that user's balance.
            let user = live.user(1)
            let app = try Self.spendOneCredit(as: user, database)
            let running = try Self.importWhileHeld(live.delta, by: app, live.harness, mode)

            #expect(running.process.terminationStatus == 0, "\(running.standardError)")
            #expect(try live.harness.rejectSummary() == ["insufficient_credits@5"], "the second charge: the app took the credit it needed")
            #expect(try live.harness.scalar("SELECT credits FROM crm_dashboard_stats WHERE email = \(bind: user.email)") == "0")
            #expect(try live.harness.scalar("""
                SELECT string_agg(delta::text, ',' ORDER BY delta) FROM crm_credit_ledger WHERE email = \(bind: user.email) AND ref LIKE 'import:%'
                """) == "-2,-1", "the base's two charges, and the delta's one that fitted")
            #expect(try live.harness.invariantViolations() == [])
        }
    }

    @Test("a recording loaded uncharged becomes charged while the app spends the last credit: it stays uncharged and is rejected, its ledger movement gone")
    func chargedLaterWhileTheAppSpends() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            for folder in ["base", "delta"] {
                try FileManager.default.createDirectory(atPath: harness.folder + "/" + folder, withIntermediateDirectories: true)
            }
            let user = try database.signUp(["ann@example.com"])[0]
            // Ann: 4 credits, three charged recordings and one uncharged: 1 credit left.
            let recordings = "email,external_id,video_url,credit_charged,created_at\n"
                + (1...4).map { "ann@example.com,R\($0),https://v.example.com/\($0).mp4,\($0 < 4),2025-05-0\($0)T10:00:00Z" }.joined(separator: "\n")
            harness.write("base/users.csv", "email,first_name\nann@example.com,Ann\n")
            harness.write("base/recordings.csv", recordings + "\n")
            #expect(try harness.run([harness.folder + "/base"]).status == 0)
            // The CRM now says R4 was charged: the one credit left, which the app spends first.
            harness.write("delta/recordings.csv", "email,external_id,video_url,credit_charged,created_at\nann@example.com,R4,https://v.example.com/4.mp4,true,2025-05-04T10:00:00Z\n")
            let app = try Self.spendOneCredit(as: user, database)
            let running = try Self.importWhileHeld(harness.folder + "/delta", by: app, harness)

            #expect(running.process.terminationStatus == 0, "\(running.standardError)")
            #expect(try harness.rejectSummary() == ["insufficient_credits@2"])
            #expect(try harness.scalar("SELECT credit_charged::text FROM crm_recordings WHERE external_id = 'R4'") == "false")
            #expect(try harness.scalar("SELECT credits FROM crm_dashboard_stats") == "0")
            #expect(try harness.scalar("SELECT count(*) FROM crm_credit_ledger WHERE ref = 'import:2'") == "0", "no movement of a charge refused")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("a user signs up while the import runs (GoTrue links the CRM user while the import waits to write its rows): every row the import wrote for them carries the account")
    func signUpWhileTheImportRuns() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            for folder in ["base", "delta"] {
                try FileManager.default.createDirectory(atPath: harness.folder + "/" + folder, withIntermediateDirectories: true)
            }
            harness.write("base/users.csv", "email,first_name\nann@example.com,Ann\n")
            #expect(try harness.run([harness.folder + "/base"]).status == 0)
            harness.write("delta/users.csv", "email,first_name\nann@example.com,Anna\n")
            harness.write("delta/job_requests.csv", "email,external_id,job_title\nann@example.com,JR1,Nurse\n")
            harness.write("delta/payments.csv", "email,external_id,amount_cents,currency,paid_at\nann@example.com,P1,900,EUR,2025-05-01T10:00:00Z\n")
            // The sign-up links the CRM user (and its rows so far) and holds that row until it commits.
            let gotrue = try database.connectAsAuth()
            try gotrue.query("BEGIN")
            let account = try TestDatabase.signUp(["ann@example.com"], gotrue: database.platform == .supabase, on: gotrue)[0].userID
            let running = try Self.importWhileHeld(harness.folder + "/delta", by: gotrue, harness)

            #expect(running.process.terminationStatus == 0, "\(running.standardError)")
            #expect(try harness.scalar("""
                SELECT string_agg(DISTINCT coalesce(user_id::text, 'none'), ',') FROM (
                    SELECT user_id FROM crm_job_requests UNION ALL SELECT user_id FROM crm_payments
                    UNION ALL SELECT user_id FROM crm_credit_ledger UNION ALL SELECT user_id FROM crm_dashboard_stats
                    UNION ALL SELECT user_id FROM profiles UNION ALL SELECT user_id FROM "digital_resume_by_CRM") rows
                """) == account)
            #expect(try harness.invariantViolations() == [])
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

    @Test("deletions, renames, merges and erasures beside four app sessions (on the merges' survivors too): exit 0, no app request fails, every invariant holds",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "20"]])
    func mirrorBesideTheApp(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 300, touched: 0, added: 0))
            let email = LiveAppExport.email
            // 0–29 deleted, 30–59 renamed, 60–69 merged into 70–79, 80–84 erased; the app uses 70–79 and 100–299.
            let users = (0..<30).map { "\(email($0)),CRM-\($0),true," } + (30..<60).map { "app.renamed\($0)@example.com,CRM-\($0),false," }
                + (60..<70).map { "\(email($0)),CRM-\($0),true,CRM-\($0 + 10)" }
            try FileManager.default.createDirectory(atPath: live.harness.folder + "/mirror", withIntermediateDirectories: true)
            live.harness.write("mirror/users.csv", (["email,crm_user_id,deleted,merged_into"] + users).joined(separator: "\n") + "\n")
            live.harness.write("mirror/erasures.csv", (["email,requested_at,reference"] + (80..<85).map { "\(email($0)),2026-01-01T00:00:00Z,T-\($0)" })
                .joined(separator: "\n") + "\n")
            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: Array(live.users[70..<80] + live.users[100...]), sessions: 4))
            let outcome = try live.harness.run([live.harness.folder + "/mirror"], mode + ["--max-delete-rate", "0.5"])
            let app = try traffic.stop().window()

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(app.requests > 0)
            #expect(app.failures == [:], "\(app)")
            #expect(try live.harness.scalar(#"SELECT count(*) FROM "digital_resume_by_CRM""#) == "\(300 - 30 - 10 - 5)")
            #expect(try live.harness.scalar(#"SELECT count(*) FROM "digital_resume_by_CRM" WHERE email LIKE 'app.renamed%'"#) == "30")
            #expect(try live.harness.scalar("SELECT count(*) FROM crm_private.crm_erasures") == "5")
            #expect(try live.harness.invariantViolations() == [])
            #expect(try live.harness.scalar("SELECT count(*) FROM crm_dashboard_stats WHERE credits < 0") == "0")
            #expect(try CommandLineRunner.run(["verify", "--database-url", database.url]).status == 0)
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

    @Test("a table a failed import left with fewer rows than pages: the next import analyzes it once, beside four app sessions; exit 0, no app request fails, every invariant holds")
    func analyzesBesideTheApp() throws {
        try TestDatabase.withFresh { database in
            let live = try LiveDatabase(database, LiveAppExport(users: 300, touched: 240, added: 60))
            let users = SQLName.crmUsers
            // What a vacuum beside an import that then fails leaves: the pages of its rows (more than the table's 300
            // users, hence the long emails), none of them counted.
            // Autovacuum kept off the table, so that only the import can put its statistics right.
            let vacuum = try database.connect()
            try vacuum.query("ALTER TABLE \(users) SET (autovacuum_enabled = false)")
            try database.connect().transaction { connection in
                try connection.query("INSERT INTO \(users) (email) SELECT 'failed' || i || repeat('x', 150) || '@example.com' FROM generate_series(1, 20000) i")
                try vacuum.query("VACUUM \(users)")
                return .rollback(())
            }
            let stale: SQLQuery = "SELECT reltuples < relpages FROM pg_class WHERE oid = \(bind: users.sql)::regclass"
            let counts = try live.harness.scalar("SELECT reltuples || '/' || relpages FROM pg_class WHERE oid = \(bind: users.sql)::regclass")
            #expect(try live.harness.scalar(stale) == "t", "reltuples/relpages: \(counts ?? "")")

            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: live.users, sessions: 4))
            let outcome = try live.harness.run([live.delta], ["--log-level", "info"])
            let app = try traffic.stop().window()

            #expect(outcome.status == 0, "\(outcome.standardError)")
            // Analyzed once, beside the app; still fewer rows than pages after that (honest: the rows that rolled back
            // left them empty), so not again before each later step.
            let analyzed = outcome.standardError.split(separator: "\n").filter {
                $0.contains("analyzed tables whose statistics missed") && $0.contains("digital_resume_by_CRM")
            }
            #expect(analyzed.count == 1, "\(analyzed)")
            #expect(app.requests > 0)
            #expect(app.failures == [:], "\(app)")
            #expect(try live.harness.invariantViolations() == [])
        }
    }
}
