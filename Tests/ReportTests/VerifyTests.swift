import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("verify, through the binary")
struct VerifyTests {
    func verify(_ database: TestDatabase, _ arguments: [String] = []) throws -> CommandLineRunner.Outcome {
        try CommandLineRunner.run(["verify"] + arguments + ["--database-url", database.url])
    }

    @Test("a consistent database verifies clean")
    func clean() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let outcome = try verify(database)
            #expect(outcome.status == 0)
            #expect(outcome.standardOutput.contains("All invariants hold"))
        }
    }

    @Test("each drift is found and named; --fix repairs it and a second verify is clean", arguments: [
        ("UPDATE crm_dashboard_stats SET total_recordings = 99 WHERE email = 'ann@example.com'", "stats (applications/recordings/resumes): expected 2/3/0, found 2/99/0"),
        ("UPDATE profiles SET credits = 50 WHERE email = 'ann@example.com'", "credits (balance = ledger sum): expected 8, found 50"),
        ("DELETE FROM crm_dashboard_stats WHERE email = 'ann@example.com'", "stats row missing: expected 2/3/0, found no row"),
        ("DELETE FROM profiles WHERE email = 'ann@example.com'", "credit account missing: expected 8, found no account"),
    ])
    func drift(sql: SQLQuery, expected: String) throws {
        try TestDatabase.withFresh { database throws in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            try connection.query(sql)
            let found = try verify(database)
            #expect(found.status == ExitStatus.dataError.rawValue)
            #expect(found.standardOutput.contains("ann@example.com  \(expected)"), "\(found.standardOutput)")
            let fixed = try verify(database, ["--fix"])
            #expect(fixed.status == 0, "\(fixed.standardOutput)")
            #expect(fixed.standardOutput.contains("Repaired 1 drift(s)"))
            #expect(try verify(database).status == 0)
            #expect(try connection.invariantViolations().isEmpty)
        }
    }

    @Test("a co-located balance that left its ledger is found (the profile alone is right); --fix sets it back")
    func balanceDrift() throws {
        try TestDatabase.withFresh { database throws in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            // With the triggers standing aside, as after a bug or a hand edit: the profile does not follow.
            try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query("UPDATE crm_dashboard_stats SET credits = 50 WHERE email = 'ann@example.com'")
                return .commit(())
            }
            let found = try verify(database)
            #expect(found.status == ExitStatus.dataError.rawValue)
            #expect(found.standardOutput.contains("ann@example.com  balance (crm_dashboard_stats.credits = ledger sum): expected 8, found 50"),
                    "\(found.standardOutput)")
            let fixed = try verify(database, ["--fix"])
            #expect(fixed.standardOutput.contains("ann@example.com: balance 50 -> 8 (the ledger sum)"), "\(fixed.standardOutput)")
            #expect(try verify(database).status == 0)
            #expect(try connection.invariantViolations().isEmpty)
        }
    }

    @Test("a sign-up that its trigger missed is found, and so is the profile it left unlinked; --fix links the CRM user, its rows and its profile")
    func unlinkedSignUp() throws {
        try TestDatabase.withFresh { database throws in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            let account = "55555555-5555-5555-5555-555555555555"
            try database.connectAsSuperuser().transaction { connection in
                // No triggers fire in replica mode, as when a restore or a replication tool writes the row.
                try connection.query("SET LOCAL session_replication_role = replica")
                try connection.query("INSERT INTO auth.users (id, email) VALUES ($1::uuid, 'ann@example.com')", [account])
                return .commit(())
            }
            let found = try verify(database)
            #expect(found.status == ExitStatus.dataError.rawValue)
            #expect(found.standardOutput.contains("ann@example.com  CRM user linked to its sign-up: expected \(account), found not linked"),
                    "\(found.standardOutput)")
            let fixed = try verify(database, ["--fix"])
            #expect(fixed.standardOutput.contains("ann@example.com: linked to its sign-up (account \(account))"), "\(fixed.standardOutput)")
            #expect(try verify(database).status == 0)
            for table in ["digital_resume_by_CRM", "crm_recordings", "crm_dashboard_stats", "profiles"] {
                #expect(try connection.query("""
                    SELECT count(*) FROM \(ident: table) WHERE email = 'ann@example.com' AND user_id IS DISTINCT FROM \(bind: account)::uuid
                    """).scalar(Int.self) == 0, "\(table)")
            }
            // The profile alone loses the link (the triggers standing aside): found, and linked again.
            try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query("UPDATE profiles SET user_id = NULL WHERE email = 'ann@example.com'")
                return .commit(())
            }
            let unlinked = try verify(database)
            #expect(unlinked.standardOutput.contains("ann@example.com  profile linked to the account: expected \(account), found not linked"),
                    "\(unlinked.standardOutput)")
            #expect(try verify(database, ["--fix"]).standardOutput.contains("ann@example.com: profile linked to the account"))
            #expect(try verify(database).status == 0)
        }
    }

    @Test("a privilege beyond the matrix, or one the app needs taken away, is found; --fix does not hide it")
    func privileges() throws {
        try TestDatabase.withFresh { database throws in
            try database.connect().executeScript("""
                GRANT TRUNCATE ON crm_recordings TO authenticated;
                REVOKE SELECT ON profiles FROM authenticated;
                GRANT USAGE ON SCHEMA crm_private TO anon;
                """)
            let outcome = try verify(database, ["--fix"])
            #expect(outcome.status == ExitStatus.dataError.rawValue)
            for line in ["TRUNCATE on crm_recordings for authenticated: expected not granted, found granted",
                         "SELECT on profiles for authenticated: expected granted, found not granted",
                         "USAGE on schema crm_private for anon: expected not granted, found granted"] {
                #expect(outcome.standardOutput.contains(line), "\(outcome.standardOutput)")
            }
        }
    }

    @Test("a disabled or missing trigger, or RLS switched off, is found; --fix does not hide it")
    func structure() throws {
        try TestDatabase.withFresh { database throws in
            let connection = try database.connect()
            try connection.query("ALTER TABLE crm_recordings DISABLE TRIGGER crm_recordings_count")
            // auth.users belongs to Supabase's auth service: only a superuser may drop a trigger there.
            try database.connectAsSuperuser().query("DROP TRIGGER crm_link_crm_user ON auth.users")
            try connection.query("ALTER TABLE crm_payments DISABLE ROW LEVEL SECURITY")
            let outcome = try verify(database, ["--fix"])
            #expect(outcome.status == ExitStatus.dataError.rawValue)
            #expect(outcome.standardOutput.contains("trigger crm_recordings_count on crm_recordings: expected present and enabled, found disabled"))
            #expect(outcome.standardOutput.contains("trigger crm_link_crm_user on auth.users: expected present and enabled, found missing"),
                    "\(outcome.standardOutput)")
            #expect(outcome.standardOutput.contains("row level security on crm_payments: expected enabled, found disabled"))
        }
    }
}
