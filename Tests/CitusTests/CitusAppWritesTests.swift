import Foundation
import PostgresClient
import TestSupport
import Testing

/// The app's own single-row writes, outside any import, on both nodes' shards.
extension CitusTests {
    /// A service adds two CRM users (one already signed up), their job requests, charged recordings and a
    /// payment; then two CRM users sign up, one of them from the samples. Times are fixed, so that the two
    /// databases can be compared.
    static let appWrites: [SQLQuery] = [
        // GoTrue stores the email lower-case, whatever the user typed.
        "INSERT INTO auth.users (id, email) VALUES ('22222222-2222-2222-2222-222222222222', 'early.bird@example.com')",
        #"""
        INSERT INTO "digital_resume_by_CRM" (email, first_name, created_at, updated_at)
        VALUES ('early.bird@example.com', 'Early', '2025-11-02 10:00Z', '2025-11-02 10:00Z'),
               ('late.comer@example.com', 'Late', '2025-11-03 10:00Z', '2025-11-03 10:00Z')
        """#,
        """
        INSERT INTO crm_job_requests (email, external_id, job_title, created_at)
        VALUES ('early.bird@example.com', 'APP-J1', 'Baker', '2025-11-04 10:00Z'),
               ('late.comer@example.com', 'APP-J2', 'Pilot', '2025-11-04 11:00Z')
        """,
        """
        INSERT INTO crm_recordings (email, external_id, video_url, credit_charged, created_at)
        VALUES ('early.bird@example.com', 'APP-R1', 'https://v.example.com/1.mp4', true, '2025-11-05 10:00Z'),
               ('late.comer@example.com', 'APP-R2', 'https://v.example.com/2.mp4', true, '2025-11-05 11:00Z'),
               ('chloe.dubois@example.fr', 'APP-R3', 'https://v.example.com/3.mp4', true, '2025-11-05 12:00Z')
        """,
        """
        INSERT INTO crm_payments (email, external_id, amount_cents, paid_at)
        VALUES ('late.comer@example.com', 'APP-P1', 900, '2025-11-06 10:00Z')
        """,
        """
        INSERT INTO auth.users (id, email)
        VALUES ('33333333-3333-3333-3333-333333333333', 'chloe.dubois@example.fr'),
               ('44444444-4444-4444-4444-444444444444', 'late.comer@example.com')
        """,
    ]

    /// Who is linked to which account: CRM users, profiles and every child row.
    static func accountLinks(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT t || ':' || email || ':' || coalesce(user_id::text, '-') FROM (
                SELECT 'u' AS t, email, user_id FROM "digital_resume_by_CRM"
                UNION ALL SELECT 'p', email, user_id FROM profiles
                UNION ALL SELECT 'j', email, user_id FROM crm_job_requests
                UNION ALL SELECT 'r', email, user_id FROM crm_recordings
                UNION ALL SELECT 's', email, user_id FROM crm_dashboard_stats
                UNION ALL SELECT 'l', email, user_id FROM crm_credit_ledger
                UNION ALL SELECT 'y', email, user_id FROM crm_payments) links
            ORDER BY 1
            """).textRows.map { $0[0] ?? "" }
    }

    @Test("the app's own writes (new CRM users, their rows, charges, a payment, sign-ups) succeed on shards of both nodes; after crm_profiles_catch_up the tables, credits and account links are identical to plain PostgreSQL, where the triggers did it all at once")
    func appWritesIdentical() throws {
        let citus = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: citus, then: nil)
        try PostgresConnection.withConnection(url: citus) { connection in
            // The writes reach both nodes, or the test would prove nothing about another node's shards.
            #expect(try connection.query("""
                SELECT count(DISTINCT p.nodeport) FROM unnest(ARRAY['early.bird@example.com', 'late.comer@example.com',
                                                                    'chloe.dubois@example.fr']) AS e(email)
                JOIN pg_dist_shard_placement p ON p.shardid = get_shard_id_for_distribution_column('"digital_resume_by_CRM"', e.email)
                """).textScalar == "2")
            for statement in Self.appWrites { try connection.query(statement) }
        }
        // Until the catch-up, the profiles lag and verify says so.
        let lagging = try CommandLineRunner.run(["verify", "--database-url", citus])
        #expect(lagging.status == 65)
        for expected in ["late.comer@example.com  credit account missing", "late.comer@example.com  CRM user linked to its sign-up",
                         "chloe.dubois@example.fr  credits (balance = ledger sum)"] {
            #expect(lagging.standardOutput.contains(expected), "\(expected) in \(lagging.standardOutput)")
        }
        let changes = try PostgresConnection.withConnection(url: citus) { connection in
            try connection.query("SELECT user_email || ': ' || change FROM crm_private.crm_profiles_catch_up() ORDER BY 1").textRows.map { $0[0] ?? "" }
        }
        #expect(changes.contains("late.comer@example.com: linked to its sign-up (account 44444444-4444-4444-4444-444444444444)"), "\(changes)")
        #expect(changes.contains("early.bird@example.com: profile opened with 3 credit(s), the balance"), "\(changes)")
        #expect(try CommandLineRunner.run(["verify", "--database-url", citus]).status == 0)

        try TestDatabase.withFresh { plain throws in
            try CitusCluster.importSamples(into: plain.url, then: nil)
            let connection = try plain.connect()
            for statement in Self.appWrites { try connection.query(statement) }
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_profiles_catch_up()").textScalar == "0",
                    "on plain PostgreSQL the triggers leave nothing to catch up")
            #expect(try CommandLineRunner.run(["verify", "--database-url", plain.url]).status == 0)
            try PostgresConnection.withConnection(url: citus) { citusConnection throws in
                #expect(try citusConnection.contentFingerprint() == connection.contentFingerprint())
                #expect(try Self.accountLinks(citusConnection) == Self.accountLinks(connection))
            }
        }
    }

    @Test("every report runs on Citus in every format; report tables adds up the shards: the coordinator's empty shell tables are not what it measures")
    func tablesReportCountsShards() throws {
        let url = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: url, then: CitusTests.generated)
        for kind in ["users", "summary", "credits", "tables", "imports"] {
            for format in ["table", "csv", "json", "markdown", "html"] {
                let report = try CommandLineRunner.run(["report", kind, "--month", "2025-11", "--format", format, "--database-url", url])
                #expect(report.status == 0 && !report.standardOutput.isEmpty, "report \(kind) --format \(format): \(report.standardError)")
            }
        }
        let outcome = try CommandLineRunner.run(["report", "tables", "--format", "csv", "--database-url", url])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let rows = Dictionary(outcome.standardOutput.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").map(String.init) }
            .filter { $0.count >= 5 }.map { ($0[0], $0) }, uniquingKeysWith: { first, _ in first })
        try PostgresConnection.withConnection(url: url) { connection in
            for (table, qualified) in [("crm_recordings", SQLName("crm_recordings")), ("profiles", SQLName("profiles")),
                                       ("crm_import_runs", SQLName(schema: "crm_private", "crm_import_runs"))] {
                let row = try #require(rows[table], "\(outcome.standardOutput)")
                #expect(try connection.query("SELECT count(*) FROM \(qualified)").textScalar == row[1], "\(table): \(row)")
            }
            // Asked of every shard directly, not through the function the report uses.
            let shards = try connection.query("""
                SELECT sum(result::bigint) FROM run_command_on_shards('crm_recordings', 'SELECT pg_total_relation_size(''%s'')')
                """).textScalar
            #expect(rows["crm_recordings"]?[4] == shards, "\(String(describing: rows["crm_recordings"])) vs \(shards ?? "-")")
            let shell = try connection.query("SELECT pg_total_relation_size('crm_recordings')").textScalar.flatMap { Int64($0) } ?? 0
            #expect(Int64(rows["crm_recordings"]?[4] ?? "") ?? 0 > 20 * shell, "the shards hold the rows, not the shell")
        }
    }

    @Test("on a distributed database verify finds a profiles trigger that must not be there (the app's writes would fail), and a plain migrate distributes again, which drops it")
    func plainMigrateKeepsDistribution() throws {
        let url = try CitusCluster.emptied()
        try PostgresConnection.withConnection(url: url) { connection in
            try connection.transaction { connection in
                try connection.setLocal("citus.enable_unsafe_triggers", to: "on")
                try connection.query(#"""
                    CREATE TRIGGER crm_users_open_profile AFTER INSERT ON "digital_resume_by_CRM"
                    FOR EACH ROW EXECUTE FUNCTION crm_private.crm_on_user_inserted_profile()
                    """#)
                return .commit(())
            }
        }
        let found = try CommandLineRunner.run(["verify", "--database-url", url])
        #expect(found.status == 65)
        #expect(found.standardOutput.contains(
            "trigger crm_users_open_profile on digital_resume_by_CRM: expected absent on Citus (migrate --citus drops it), found present"),
            "\(found.standardOutput)")
        let migrated = try CommandLineRunner.run(["migrate", "--database-url", url])
        #expect(migrated.status == 0 && migrated.standardOutput.contains("Citus: "), "\(migrated.standardOutput)\(migrated.standardError)")
        #expect(try CommandLineRunner.run(["verify", "--database-url", url]).status == 0)
    }
}
