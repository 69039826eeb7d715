import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Citus: the same product on a two-node cluster (make test-citus)", .serialized, .enabled(if: CitusCluster.isAvailable, "needs CITUS_URL: run make test-citus"))
struct CitusTests {
    /// A generated export (1,500 users, with duplicates and bad rows), made once.
    static let generated: String = {
        let folder = NSTemporaryDirectory() + "crm-citus-export-\(ProcessInfo.processInfo.processIdentifier)"
        if !FileManager.default.fileExists(atPath: folder + "/users.csv") {
            _ = try? GeneratedExport.make("citus", ["--users", "1500", "--seed", "21", "--duplicates", "0.02", "--bad-rows", "0.01"],
                                          into: folder)
        }
        return folder
    }()

    @Test("migrate --citus distributes every CRM table by email, co-located, with profiles and auth.users as reference tables and shards on both nodes; a second run changes nothing")
    func distribution() throws {
        let url = try CitusCluster.emptied()
        let again = try CommandLineRunner.run(["migrate", "--citus", "--database-url", url])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("up to date"))
        try PostgresConnection.withConnection(url: url) { connection throws in
            let layout = try connection.query("""
                SELECT logicalrelid::regclass::text, partmethod, colocationid FROM pg_dist_partition ORDER BY 1
                """).textRows.map { $0.compactMap { $0 } }
            let distributed = layout.filter { $0[1] == "h" }
            #expect(Set(distributed.map { $0[0] }) == [#""digital_resume_by_CRM""#, "crm_job_requests", "crm_recordings",
                                                       "crm_resumes", "crm_dashboard_stats", "crm_payments", "crm_credit_ledger"])
            #expect(Set(distributed.map { $0[2] }).count == 1, "one colocation group: \(layout)")
            #expect(Set(layout.filter { $0[1] == "n" }.map { $0[0] }) == ["profiles", "auth.users"])
            let shardsPerNode = try connection.query("""
                SELECT p.nodeport, count(*) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
                JOIN pg_dist_partition d USING (logicalrelid) WHERE d.partmethod = 'h' GROUP BY 1
                """).textRows
            #expect(shardsPerNode.count == 2 && shardsPerNode.allSatisfy { Int($0[1] ?? "") ?? 0 >= 7 * 8 }, "\(shardsPerNode)")
            #expect(try connection.query("SELECT current_setting('citus.propagate_set_commands')").textScalar == "local")
        }
    }

    @Test("the samples and a generated set, imported nightly, give identical tables, stats, credits and reports on Citus and on plain PostgreSQL; verify is clean on both")
    func nightlyIdentical() throws {
        let citus = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: citus, then: Self.generated)
        try TestDatabase.withFresh { plain throws in
            try CitusCluster.importSamples(into: plain.url, then: Self.generated)
            let plainFingerprint = try plain.connect().contentFingerprint()
            let citusFingerprint = try PostgresConnection.withConnection(url: citus) { try $0.contentFingerprint() }
            #expect(citusFingerprint == plainFingerprint)
            let plainReports = try CitusCluster.reports(of: plain.url)
            let citusReports = try CitusCluster.reports(of: citus)
            for (name, report) in plainReports {
                #expect(citusReports[name] == report, "report \(name) differs")
            }
            #expect(try plain.connect().query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).textScalar.flatMap { Int($0) } ?? 0 > 1_400)
        }
        let verified = try CommandLineRunner.run(["verify", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }

    @Test("backfill --jobs 2 on Citus ends identical to a nightly import on plain PostgreSQL, and verify is clean")
    func backfillIdentical() throws {
        let citus = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: citus, then: Self.generated, ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "2000"])
        try TestDatabase.withFresh { plain throws in
            try CitusCluster.importSamples(into: plain.url, then: Self.generated)
            let citusFingerprint = try PostgresConnection.withConnection(url: citus) { try $0.contentFingerprint() }
            #expect(citusFingerprint == (try plain.connect().contentFingerprint()))
        }
        let verified = try CommandLineRunner.run(["verify", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}

extension CitusTests {
    @Test("verify finds stats and credits drift on Citus, and --fix repairs it")
    func verifyAndFix() throws {
        let url = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: url, then: nil)
        try PostgresConnection.withConnection(url: url) { connection in
            try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query("UPDATE crm_dashboard_stats SET total_recordings = 99 WHERE email = 'ana.garcia@example.com'")
                try connection.query("UPDATE profiles SET credits = 50 WHERE email = 'ana.garcia@example.com'")
                return .commit(())
            }
        }
        let found = try CommandLineRunner.run(["verify", "--database-url", url])
        #expect(found.status == 65)
        #expect(found.standardOutput.contains("found 2/99/1") && found.standardOutput.contains("found 50"), "\(found.standardOutput)")
        let fixed = try CommandLineRunner.run(["verify", "--fix", "--database-url", url])
        #expect(fixed.standardOutput.contains("Repaired 2 drift(s)"), "\(fixed.standardOutput)\(fixed.standardError)")
        #expect(try CommandLineRunner.run(["verify", "--database-url", url]).status == 0)
    }
}

extension CitusTests {
/// Nested in ``CitusTests`` so that it never runs beside it: they share the cluster's database.
@Suite("Citus: Row Level Security on the shards")
struct RowLevelSecurity {
    static let ana = "ana.garcia@example.com"
    static let anaID = "11111111-1111-1111-1111-111111111111"

    /// The samples, then Ana signs up: the app inserts her account into auth.users, as Supabase Auth does.
    /// On Citus her CRM rows and profile are linked by crm_profiles_catch_up (the sign-up trigger cannot
    /// reach shards on other nodes), which the operator runs as often as the app needs: run here as that
    /// job would.
    static func samplesWithAnaSignedUp() throws -> String {
        let url = try CitusCluster.emptied()
        let outcome = try CommandLineRunner.run(["import", SharedFolder.projectRoot + "/samples/csv", "--database-url", url,
                                                 "--reject-file", NSTemporaryDirectory() + "citus-rls-\(UUID().uuidString).jsonl"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        try PostgresConnection.withConnection(url: url) { connection in
            try connection.query("INSERT INTO auth.users (id, email) VALUES ($1::uuid, $2)", [anaID, ana])
            let changes = try connection.query("SELECT change FROM crm_private.crm_profiles_catch_up() WHERE user_email = $1", [ana]).textRows
            #expect(changes.map { $0[0] ?? "" }.sorted() == ["linked to its sign-up (account \(anaID))"], "\(changes)")
            #expect(try connection.query("SELECT count(*) FROM crm_recordings WHERE email = $1 AND user_id = $2::uuid",
                                         [ana, anaID]).textScalar != "0")
        }
        return url
    }

    /// Runs `body` as Ana the way PostgREST does (`asRole`: `SET LOCAL ROLE authenticated` and the JWT
    /// claims, in a transaction that is rolled back).
    static func asAna<T>(_ url: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        try PostgresConnection.withConnection(url: url) { try $0.asRole(.authenticated(userID: anaID), body) }
    }

    @Test("with the NOLOGIN roles Supabase creates, a signed-in user's query that needs a shard on the worker fails, with Citus's message")
    func nologinRolesFail() throws {
        let url = try Self.samplesWithAnaSignedUp()
        try PostgresConnection.withConnection(url: url) { try $0.query("ALTER ROLE authenticated NOLOGIN") }
        let onWorker = try CitusCluster.email(onCoordinator: false, url: url)
        let onCoordinator = try CitusCluster.email(onCoordinator: true, url: url)
        for query: SQLQuery in ["SELECT count(*) FROM crm_recordings",
                                "SELECT count(*) FROM crm_recordings WHERE email = \(bind: onWorker)"] {
            do {
                _ = try Self.asAna(url) { try $0.query(query).textScalar }
                Issue.record("a NOLOGIN role reached a shard on the worker: \(query)")
            } catch let error as PostgresError {
                #expect(error.message.contains("not permitted to log in"), "\(error)")
            }
        }
        // What SPEC §7 says works, works only where the shard is on the node the app is connected to.
        #expect(try Self.asAna(url) { try $0.query("SELECT count(*) FROM crm_recordings WHERE email = $1", [onCoordinator]).textScalar } == "0")
    }

    @Test("with a LOGIN role, a signed-in user reads only their own rows on every table, across shards too; writes their own job requests with the stats following; cannot write under another user's email")
    func loginRoleMatrix() throws {
        let url = try Self.samplesWithAnaSignedUp()
        try PostgresConnection.withConnection(url: url) { try $0.query("ALTER ROLE authenticated LOGIN") }
        defer { _ = try? PostgresConnection.withConnection(url: url) { try $0.query("ALTER ROLE authenticated NOLOGIN") } }
        let expected = try PostgresConnection.withConnection(url: url) { connection in
            try connection.query(#"SELECT total_recordings FROM crm_dashboard_stats WHERE email = $1"#, [Self.ana]).textScalar
        }
        try Self.asAna(url) { connection throws in
            for table in ["digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes",
                          "crm_dashboard_stats", "crm_credit_ledger", "crm_payments", "profiles"] {
                // Multi-shard: every row visible is Ana's.
                #expect(try connection.query("SELECT count(*) FROM \(ident: table) WHERE email <> \(bind: Self.ana)").textScalar == "0", "\(table)")
            }
            #expect(try connection.query("SELECT count(*) FROM crm_recordings WHERE email = $1", [Self.ana]).textScalar == expected)
            #expect(try connection.query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).textScalar == "1")
            try connection.query("INSERT INTO crm_job_requests (email, external_id, job_title) VALUES ($1, 'APP-1', 'Developer')", [Self.ana])
            #expect(try connection.query("SELECT count(*) FROM crm_job_requests WHERE external_id = 'APP-1'").textScalar == "1")
            try connection.query("SAVEPOINT other")
            do {
                try connection.query("INSERT INTO crm_job_requests (email, external_id, job_title) VALUES ('chloe.dubois@example.fr', 'APP-2', 'x')")
                Issue.record("a row under another user's email was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == .insufficientPrivilege, "\(error)")
            }
            try connection.query("ROLLBACK TO SAVEPOINT other")
        }
        // Every shard of every CRM table carries the policies (checked on the worker itself).
        let worker = try #require(CitusCluster.workerURL)
        try PostgresConnection.withConnection(url: worker) { connection throws in
            // Citus hides shards from ordinary clients' catalog queries unless asked.
            try connection.query("SET citus.show_shards_for_app_name_prefixes = '*'")
            let shards = try connection.query("""
                SELECT count(*), count(*) FILTER (WHERE NOT c.relrowsecurity)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'r'
                  AND c.relname ~ '^(digital_resume_by_CRM|crm_job_requests|crm_recordings|crm_resumes|crm_dashboard_stats|crm_payments|crm_credit_ledger)_[0-9]+$'
                """).textRows.first
            #expect(shards?[0].flatMap { Int($0) } ?? 0 >= 7 * 8, "the worker holds shards: \(String(describing: shards))")
            #expect(shards?[1] == "0")
            #expect(try connection.query("SELECT count(*) > 0 FROM pg_policy WHERE polname = 'crm_recordings_read_own'").textScalar == "t")
        }
    }

    @Test("on Citus the app's charged recording and a service's payment move the co-located balance and the ledger on the shard; profiles.credits catches up with verify --fix")
    func creditMovementsOnShards() throws {
        let url = try Self.samplesWithAnaSignedUp()
        try PostgresConnection.withConnection(url: url) { try $0.query("ALTER ROLE authenticated LOGIN") }
        defer { _ = try? PostgresConnection.withConnection(url: url) { try $0.query("ALTER ROLE authenticated NOLOGIN") } }
        let balance = { (connection: PostgresConnection) in
            Int(try connection.query("SELECT credits FROM crm_dashboard_stats WHERE email = $1", [Self.ana]).textScalar ?? "") ?? -1
        }
        let ledger = { (connection: PostgresConnection) in
            Int(try connection.query("SELECT sum(delta) FROM crm_credit_ledger WHERE email = $1", [Self.ana]).textScalar ?? "") ?? -1
        }
        let before = try PostgresConnection.withConnection(url: url) { try balance($0) }
        #expect(before >= 1)
        try Self.asAna(url) { connection throws in
            try connection.query("""
                INSERT INTO crm_recordings (email, external_id, video_url, credit_charged)
                VALUES ($1, 'APP-R1', 'https://v.example.com/app.mp4', true)
                """, [Self.ana])
            #expect(try balance(connection) == before - 1)
            #expect(try ledger(connection) == before - 1)
            // Down to zero, then one more: refused on the shard like on plain PostgreSQL.
            try connection.query("""
                INSERT INTO crm_recordings (email, external_id, video_url, credit_charged)
                SELECT $1, 'APP-R' || n, 'https://v.example.com/app.mp4', true FROM generate_series(2, $2::int) n
                """, [Self.ana, String(before)])
            #expect(try balance(connection) == 0)
            do {
                try connection.query("""
                    INSERT INTO crm_recordings (email, external_id, video_url, credit_charged)
                    VALUES ($1, 'APP-OVER', 'https://v.example.com/app.mp4', true)
                    """, [Self.ana])
                Issue.record("a recording without credit was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == .checkViolation, "\(error)")
            }
        }
        try PostgresConnection.withConnection(url: url) { connection throws in
            try connection.query("INSERT INTO crm_payments (email, external_id, amount_cents, paid_at) VALUES ($1, 'SVC-P1', 900, now())", [Self.ana])
            #expect(try balance(connection) == before + 3)
            #expect(try ledger(connection) == before + 3)
        }
        let lagging = try CommandLineRunner.run(["verify", "--database-url", url])
        #expect(lagging.status == 65)
        #expect(lagging.standardOutput.contains("\(Self.ana)  credits (balance = ledger sum): expected \(before + 3), found \(before)"),
                "\(lagging.standardOutput)")
        #expect(try CommandLineRunner.run(["verify", "--fix", "--database-url", url]).status == 0)
        #expect(try CommandLineRunner.run(["verify", "--database-url", url]).status == 0)
    }
}
}
