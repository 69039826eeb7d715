import PostgresClient
import TestSupport
import Testing

@Suite("CRM users and their accounts")
struct UserAccountTests {
    @Test("a new CRM user gets a stats row, a profile with 4 credits and an initial ledger row")
    func newUser() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("ann@example.com")
            #expect(try fixture.stats("ann@example.com") == ["0", "0", "0"])
            #expect(try fixture.credits("ann@example.com") == 4)
            #expect(try fixture.ledger("ann@example.com") == [LedgerEntry(delta: 4, reason: "initial")])
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("a multi-row insert of users opens one account each")
    func manyUsers() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.connection.query(
                #"INSERT INTO "digital_resume_by_CRM" (email) SELECT 'user' || n || '@example.com' FROM generate_series(1, 500) n"#)
            let totals = try fixture.connection.query("""
                SELECT (SELECT count(*) FROM crm_dashboard_stats) AS stats_rows, (SELECT count(*) FROM profiles) AS profiles,
                       (SELECT sum(credits) FROM profiles) AS credits
                """).singleRow()
            #expect(try totals.decode(Int.self, "stats_rows") == 500)
            #expect(try totals.decode(Int.self, "profiles") == 500)
            #expect(try totals.decode(Int.self, "credits") == 2000)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("an account that existed before the CRM row keeps its balance, booked as an opening adjustment")
    func existingProfile() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.connection.query("INSERT INTO profiles (email, credits) VALUES ('bea@example.com', 10)")
            try fixture.crmUser("bea@example.com")
            #expect(try fixture.credits("bea@example.com") == 10)
            #expect(try fixture.ledger("bea@example.com") == [LedgerEntry(delta: 10, reason: "adjustment")])
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("user_id comes from auth.users by email (a sign-up typed in capitals is stored lower-case by GoTrue)")
    func userIDFromAuthUsers() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            let id = try database.signUp("Cid@Example.COM")
            try fixture.crmUser("cid@example.com")
            #expect(try fixture.connection.query(
                #"SELECT user_id FROM "digital_resume_by_CRM" WHERE email = 'cid@example.com'"#).scalar(String.self) == id)
            #expect(try fixture.connection.query("SELECT user_id FROM profiles WHERE email = 'cid@example.com'").scalar(String.self) == id)
        }
    }

    @Test("the account of an email is its one non-SSO account: SSO accounts and emails not in GoTrue's lower-case form are not linked")
    func exactMatchOfTheAccount() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            // SSO accounts may share an email, so none of them is "the" account of it.
            try database.signUp("sso@example.com", sso: true)
            try database.signUp("sso@example.com", sso: true)
            // Written by something other than GoTrue, not lower-cased: not the normalized CRM email.
            try database.connectAsSuperuser().query("INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), 'Odd@Example.com')")
            let account = try database.signUp("both@example.com")
            try database.signUp("both@example.com", sso: true)
            for email in ["sso@example.com", "odd@example.com", "both@example.com"] { try fixture.crmUser(email) }
            let links = try fixture.connection.query(
                #"SELECT email, user_id FROM "digital_resume_by_CRM" ORDER BY email"#).all(as: CRMUserLink.self)
            #expect(links == [
                CRMUserLink(email: "both@example.com", userID: account), CRMUserLink(email: "odd@example.com", userID: nil),
                CRMUserLink(email: "sso@example.com", userID: nil),
            ])
            // A later SSO sign-up does not link either.
            try fixture.crmUser("late@example.com")
            try database.signUp("late@example.com", sso: true)
            #expect(try fixture.connection.query(#"SELECT user_id FROM "digital_resume_by_CRM" WHERE email = 'late@example.com'"#)
                .scalar(String?.self) == nil)
        }
    }

    @Test("a later sign-up links the CRM user, their rows and their credit account")
    func signUpLinks() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("dee@example.com")
            try fixture.jobRequest("dee@example.com")
            try fixture.recording("dee@example.com")
            try fixture.resume("dee@example.com")
            let id = try database.signUp(" DEE@example.com")
            let linked = try fixture.connection.query("""
                SELECT (SELECT user_id FROM "digital_resume_by_CRM" WHERE email = $1) AS crm_user,
                       (SELECT user_id FROM crm_job_requests WHERE email = $1) AS job_request,
                       (SELECT user_id FROM crm_recordings WHERE email = $1) AS recording,
                       (SELECT user_id FROM crm_resumes WHERE email = $1) AS resume,
                       (SELECT user_id FROM profiles WHERE email = $1) AS profile
                """, ["dee@example.com"]).singleRow()
            #expect(try ["crm_user", "job_request", "recording", "resume", "profile"].map { try linked.decode(String?.self, $0) }
                == [id, id, id, id, id])
        }
    }

    @Test("deleting a CRM user deletes all their data and keeps their profile")
    func cascadeDelete() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("eve@example.com")
            try fixture.crmUser("other@example.com")
            let job = try fixture.jobRequest("eve@example.com", externalID: "J1")
            try fixture.recording("eve@example.com", jobRequestID: job)
            try fixture.resume("eve@example.com")
            try fixture.payment("eve@example.com")
            try fixture.recording("other@example.com")
            try fixture.connection.query(#"DELETE FROM "digital_resume_by_CRM" WHERE email = 'eve@example.com'"#)
            for table in DistributableKeysTests.crmTables {
                #expect(try fixture.count(table, email: "eve@example.com") == 0, "\(table) still has rows")
            }
            #expect(try fixture.credits("eve@example.com") == 6)
            #expect(try fixture.stats("other@example.com") == ["0", "1", "0"])
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("a CRM user deleted and imported again keeps the balance of their account")
    func reCreatedUser() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("fay@example.com")
            try fixture.recording("fay@example.com")
            try fixture.connection.query(#"DELETE FROM "digital_resume_by_CRM" WHERE email = 'fay@example.com'"#)
            try fixture.crmUser("fay@example.com")
            #expect(try fixture.credits("fay@example.com") == 3)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("a profile that outlived its CRM user is linked when the user comes back after signing up")
    func survivingProfileLinked() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("ida@example.com")
            try fixture.connection.query(#"DELETE FROM "digital_resume_by_CRM" WHERE email = 'ida@example.com'"#)
            let id = try database.signUp("ida@example.com")
            try fixture.crmUser("ida@example.com")
            #expect(try fixture.connection.query("SELECT user_id FROM profiles WHERE email = 'ida@example.com'").scalar(String.self) == id)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("two CRM users of one account (its email changed): linking both at once gives the profile of the first email the account, and fails nothing")
    func sharedAccount() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("jo.old@example.com")
            try fixture.crmUser("jo.new@example.com")
            let id = try database.signUp("jo.elsewhere@example.com")
            try fixture.connection.transaction { connection in
                // As an import links them: the row triggers stand aside, the set-based function links.
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query(#"UPDATE "digital_resume_by_CRM" SET user_id = $1::uuid WHERE email LIKE 'jo.%'"#, [id])
                try connection.query("SELECT crm_private.crm_link_accounts(ARRAY['jo.old@example.com', 'jo.new@example.com'])")
                return .commit(())
            }
            #expect(try fixture.connection.query("SELECT email FROM profiles WHERE user_id = $1::uuid", [id]).rows
                .map { try $0.decode(String.self, "email") } == ["jo.new@example.com"])
        }
    }

    @Test("emails are stored normalized, and never change afterwards")
    func emailRules() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            expectSQLState(.checkViolation) { try fixture.crmUser("Upper@Example.com") }
            expectSQLState(.checkViolation) { try fixture.crmUser(" padded@example.com") }
            try fixture.crmUser("gus@example.com")
            try fixture.jobRequest("gus@example.com")
            expectSQLState(.integrityConstraintViolation) {
                try fixture.connection.query(#"UPDATE "digital_resume_by_CRM" SET email = 'new@example.com'"#)
            }
            try fixture.crmUser("hal@example.com")
            expectSQLState(.integrityConstraintViolation) {
                try fixture.connection.query("UPDATE crm_job_requests SET email = 'hal@example.com'")
            }
        }
    }
}

/// A CRM user's email and the account it is linked to, if any.
private struct CRMUserLink: Equatable {
    let email: String
    let userID: String?
}

extension CRMUserLink: RowDecodable {
    init(row: Row) throws {
        email = try row.decode(String.self, "email")
        userID = try row.decode(String?.self, "user_id")
    }
}
