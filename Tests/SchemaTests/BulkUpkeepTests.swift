import PostgresClient
import TestSupport
import Testing

@Suite("Set-based upkeep for bulk loads")
struct BulkUpkeepTests {
    static let emails = ["a1@example.com", "a2@example.com", "a3@example.com"]

    /// Inserts the same data set: per user i (1…3): i job requests, 2i recordings (i charged), i resumes, i payments.
    static func insertDataSet(_ connection: PostgresConnection) throws {
        for (index, email) in emails.enumerated() {
            let n = index + 1
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ($1)"#, [email])
            try connection.query(
                "INSERT INTO crm_job_requests (email, job_title) SELECT $1, 'Job' FROM generate_series(1, $2)", [email, n])
            try connection.query(
                "INSERT INTO crm_payments (email, amount_cents, paid_at) SELECT $1, 500, now() FROM generate_series(1, $2)",
                [email, n])
            try connection.query("""
                INSERT INTO crm_recordings (email, video_url, credit_charged)
                SELECT $1, 'https://v.example.com/' || k, k <= $2 FROM generate_series(1, 2 * $2) k
                """, [email, n])
            try connection.query(
                "INSERT INTO crm_resumes (email, file_url) SELECT $1, 'https://f.example.com/cv' FROM generate_series(1, $2)",
                [email, n])
        }
    }

    /// A user's stats, balance and the sum of their ledger, as ``summary(_:)`` reads them.
    struct UserSummary: Equatable {
        let email: String
        let applications: Int
        let recordings: Int
        let resumes: Int
        let credits: Int
        let ledgerTotal: Int?
    }

    static func summary(_ connection: PostgresConnection) throws -> [UserSummary] {
        try connection.query("""
            SELECT s.email, s.total_applications, s.total_recordings, s.total_resumes, p.credits,
                   (SELECT sum(delta) FROM crm_credit_ledger l WHERE l.email = s.email) AS ledger_total
            FROM crm_dashboard_stats s JOIN profiles p USING (email) ORDER BY s.email
            """).all(as: UserSummary.self)
    }

    @Test("triggers stand aside for the loader, and the set-based functions give the same end state as the triggers")
    func sameEndStateAsTriggers() throws {
        let viaTriggers = try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try Self.insertDataSet(connection)
            return try Self.summary(connection)
        }
        let viaBulk = try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try Self.insertDataSet(connection)
                // Nothing was kept up by the triggers.
                #expect(try connection.query("SELECT count(*) FROM crm_dashboard_stats").scalar(Int.self) == 0)
                #expect(try connection.query("SELECT count(*) FROM crm_credit_ledger").scalar(Int.self) == 0)
                // One statement each, for every touched email, as an import does it.
                try connection.query("SELECT crm_private.crm_users_created($1::text[])", ["{" + Self.emails.joined(separator: ",") + "}"])
                try connection.query("""
                    SELECT crm_private.crm_adjust_stats(array_agg(email), array_agg(applications), array_agg(recordings), array_agg(resumes))
                    FROM (SELECT u.email,
                                 (SELECT count(*)::int FROM crm_job_requests j WHERE j.email = u.email) AS applications,
                                 (SELECT count(*)::int FROM crm_recordings r WHERE r.email = u.email) AS recordings,
                                 (SELECT count(*)::int FROM crm_resumes x WHERE x.email = u.email) AS resumes
                          FROM "digital_resume_by_CRM" u) counts
                    """)
                // One ledger row per user and import for each kind of movement.
                try connection.query("""
                    SELECT crm_private.crm_book_credits(array_agg(email), array_agg(delta), array_agg(reason), array_agg('import-run-1'::text))
                    FROM (SELECT email, 3 * count(*)::int AS delta, 'payment' AS reason FROM crm_payments GROUP BY email
                          UNION ALL
                          SELECT email, -count(*)::int, 'recording' FROM crm_recordings WHERE credit_charged GROUP BY email) movements
                    """)
                // The co-located balances take what was booked on the accounts.
                try connection.query("SELECT crm_private.crm_balances_follow_profiles($1::text[])", ["{" + Self.emails.joined(separator: ",") + "}"])
                return .commit(())
            }
            #expect(try Fixture(connection: connection).invariantViolations().isEmpty)
            return try Self.summary(connection)
        }
        #expect(viaBulk == viaTriggers)
        #expect(viaTriggers.count == 3)
        #expect(viaTriggers.first == UserSummary(
            email: "a1@example.com", applications: 1, recordings: 2, resumes: 1, credits: 6, ledgerTotal: 6))
    }

    @Test("a bulk booking that would overdraw an account refuses the whole call")
    func bulkOverdraw() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("big@example.com")
            try fixture.crmUser("small@example.com")
            expectSQLState(.checkViolation) {
                try fixture.connection.query(
                    "SELECT crm_private.crm_book_credits('{big@example.com,small@example.com}', '{-4,-5}', '{recording,recording}', '{r,r}')")
            }
            #expect(try fixture.credits("big@example.com") == 4)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("the stand-aside switch is ignored for an authenticated user: still charged, still counted")
    func switchIgnoredForAuthenticated() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            let id = try database.signUp("zoe@example.com")
            try fixture.crmUser("zoe@example.com")
            try database.connectAsAPI().asRole(.authenticated(userID: id)) { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query(
                    "INSERT INTO crm_recordings (email, user_id, video_url) VALUES ('zoe@example.com', $1, 'https://v.example.com/1')",
                    [id])
                #expect(try connection.query("SELECT credits FROM profiles").scalar(Int.self) == 3)
                #expect(try connection.query("SELECT total_recordings FROM crm_dashboard_stats").scalar(Int.self) == 1)
                // The trigger booked the charge as the owner, and its ledger row still got the user's account.
                #expect(try connection.query("SELECT count(*) FROM crm_credit_ledger").scalar(Int.self) == 2)
            }
        }
    }

    @Test("a look-alike check function earlier in search_path does not let an authenticated user stand aside")
    func searchPathCannotRedirectTheCheck() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let fixture = Fixture(connection: connection)
            let id = try database.signUp("eve@example.com")
            try fixture.crmUser("eve@example.com")
            // Look-alikes of what the triggers' stand-aside condition calls.
            try connection.executeScript("""
                CREATE SCHEMA evil;
                GRANT USAGE ON SCHEMA evil TO authenticated;
                CREATE FUNCTION evil.row_security_active(regclass) RETURNS boolean LANGUAGE sql AS 'SELECT false';
                CREATE FUNCTION evil.current_setting(text, boolean) RETURNS text LANGUAGE sql
                    AS $$ SELECT CASE $1 WHEN 'crm.bulk_load' THEN 'on' ELSE pg_catalog.current_setting($1, $2) END $$;
                """)
            try database.connectAsAPI().asRole(.authenticated(userID: id)) { connection in
                try connection.query("SET LOCAL search_path = evil, pg_catalog, public")
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query(
                    "INSERT INTO public.crm_recordings (email, user_id, video_url) VALUES ('eve@example.com', $1, 'https://v.example.com/1')",
                    [id])
                #expect(try connection.query("SELECT credits FROM public.profiles").scalar(Int.self) == 3)
                #expect(try connection.query("SELECT total_recordings FROM public.crm_dashboard_stats").scalar(Int.self) == 1)
            }
        }
    }

    @Test("the stand-aside switch is honoured for service_role, which bypasses RLS anyway")
    func switchHonouredForServiceRole() throws {
        try TestDatabase.withFresh { database in
            try database.connectAsAPI().asRole(.serviceRole) { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('svc@example.com')"#)
                try connection.query("INSERT INTO crm_recordings (email, video_url) VALUES ('svc@example.com', 'https://v.example.com/1')")
                #expect(try connection.query("SELECT count(*) FROM crm_dashboard_stats").scalar(Int.self) == 0)
                #expect(try connection.query("SELECT count(*) FROM crm_credit_ledger").scalar(Int.self) == 0)
            }
        }
    }

    @Test("no API role can call the upkeep functions", arguments: [
        "SELECT crm_private.crm_book_credits('{x@example.com}', '{100}', '{adjustment}', '{gift}')",
        "SELECT crm_private.crm_adjust_stats('{x@example.com}', '{5}', '{5}', '{5}')",
        "SELECT crm_private.crm_users_created('{x@example.com}')",
        "SELECT crm_private.crm_link_accounts('{x@example.com}')",
    ])
    func upkeepNotCallable(call: SQLQuery) throws {
        try TestDatabase.withFresh { database in
            let api = try database.connectAsAPI()
            let id = try database.signUp("x@example.com")
            for role in [AppRole.anon, .authenticated(userID: id), .serviceRole] {
                expectSQLState(.insufficientPrivilege) { try api.asRole(role) { try $0.query(call) } }
            }
        }
    }
}

extension BulkUpkeepTests.UserSummary: RowDecodable {
    init(row: Row) throws {
        email = try row.decode(String.self, "email")
        applications = try row.decode(Int.self, "total_applications")
        recordings = try row.decode(Int.self, "total_recordings")
        resumes = try row.decode(Int.self, "total_resumes")
        credits = try row.decode(Int.self, "credits")
        ledgerTotal = try row.decode(Int?.self, "ledger_total")
    }
}
