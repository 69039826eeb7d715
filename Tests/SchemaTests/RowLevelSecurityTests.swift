import PostgresClient
import TestSupport
import Testing

/// Who sees what and who may change what, for every table, as PostgREST runs the app's requests.
@Suite("Row Level Security")
struct RowLevelSecurityTests {
    static let readableTables = [
        "digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes",
        "crm_dashboard_stats", "profiles", "crm_credit_ledger", "crm_payments",
    ]

    /// Two users with an account and data each: A (`a@example.com`) and B (`b@example.com`); `connection`
    /// is the operator's, `api` PostgREST's (`authenticator`, which becomes a role per request).
    struct World {
        let connection: PostgresConnection
        let api: PostgresConnection
        let userA: String
        let userB: String

        init(_ database: TestDatabase) throws {
            connection = try database.connect()
            api = try database.connectAsAPI()
            let fixture = Fixture(connection: connection)
            userA = try database.signUp("a@example.com")
            userB = try database.signUp("b@example.com")
            for email in ["a@example.com", "b@example.com"] {
                try fixture.crmUser(email)
                let job = try fixture.jobRequest(email, externalID: "J1")
                try fixture.recording(email, jobRequestID: job)
                try fixture.resume(email)
                try fixture.payment(email)
            }
        }
    }

    @Test("anon reads nothing", arguments: readableTables)
    func anonReadsNothing(table: String) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            expectSQLState(.insufficientPrivilege) {
                try world.api.asRole(.anon) { try $0.query("SELECT count(*) FROM \(ident: table)") }
            }
        }
    }

    @Test("a signed-in user reads only their own rows", arguments: readableTables)
    func authenticatedReadsOwnRows(table: String) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            let seen = try world.api.asRole(.authenticated(userID: world.userA)) { connection in
                try connection.query("SELECT DISTINCT email FROM \(ident: table)").rows.map { try $0.decode(String.self, "email") }
            }
            #expect(seen == ["a@example.com"])
        }
    }

    @Test("service_role reads everything", arguments: readableTables)
    func serviceRoleReadsAll(table: String) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            let count = try world.api.asRole(.serviceRole) { connection in
                try connection.query("SELECT count(DISTINCT email) FROM \(ident: table)").scalar(Int.self)
            }
            #expect(count == 2)
        }
    }

    /// The three tables the app writes, with an INSERT whose `$1` is the email and `$2` the user_id.
    struct Writable: Sendable, CustomStringConvertible {
        let table: String
        let insert: StaticString
        let harmlessUpdate: SQLQuery
        var description: String { table }
    }

    static let writableTables = [
        Writable(
            table: "crm_job_requests",
            insert: "INSERT INTO crm_job_requests (email, user_id, job_title) VALUES ($1, $2, 'Nurse')",
            harmlessUpdate: "status = 'applied'"),
        Writable(
            table: "crm_recordings",
            insert: "INSERT INTO crm_recordings (email, user_id, video_url) VALUES ($1, $2, 'https://v.example.com/new')",
            harmlessUpdate: "duration_seconds = 60"),
        Writable(
            table: "crm_resumes",
            insert: "INSERT INTO crm_resumes (email, user_id, file_url) VALUES ($1, $2, 'https://f.example.com/new')",
            harmlessUpdate: "file_name = 'cv.pdf'"),
    ]

    @Test("a signed-in user inserts, updates and deletes their own rows only", arguments: writableTables)
    func authenticatedWritesOwnRows(table: Writable) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            let a = "a@example.com"
            let asA = AppRole.authenticated(userID: world.userA)
            // Own row: allowed, and the stats follow.
            try world.api.asRole(asA) { connection in
                try connection.query(table.insert, [a, world.userA])
                #expect(try connection.query("SELECT count(*) FROM \(ident: table.table)").scalar(Int.self) == 2)
            }
            // Someone else's email (the owner check) or someone else's user_id (the policy): refused.
            expectSQLState(.insufficientPrivilege) { try world.api.asRole(asA) { try $0.query(table.insert, ["b@example.com", world.userA]) } }
            expectSQLState(.insufficientPrivilege) { try world.api.asRole(asA) { try $0.query(table.insert, [a, world.userB]) } }
            // Updates and deletes reach only their own rows.
            try world.api.asRole(asA) { connection throws -> Void in
                #expect(try connection.query("UPDATE \(ident: table.table) SET \(table.harmlessUpdate)").affectedRows == 1)
                #expect(try connection.query("DELETE FROM \(ident: table.table)").affectedRows == 1)
            }
            // Handing a row to another user is refused.
            expectSQLState(.insufficientPrivilege) {
                try world.api.asRole(asA) { try $0.query("UPDATE \(ident: table.table) SET user_id = \(bind: world.userB)") }
            }
            // Nothing of B's changed.
            #expect(try world.connection.query("SELECT count(*) FROM \(ident: table.table) WHERE email = 'b@example.com'").scalar(Int.self) == 1)
        }
    }

    @Test("anon writes nothing", arguments: writableTables)
    func anonWritesNothing(table: Writable) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            expectSQLState(.insufficientPrivilege) { try world.api.asRole(.anon) { try $0.query(table.insert, ["a@example.com", world.userA]) } }
        }
    }

    @Test("the app cannot insert an uncharged recording")
    func noFreeRecordings() throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            expectSQLState(.insufficientPrivilege) {
                try world.api.asRole(.authenticated(userID: world.userA)) {
                    try $0.query(
                        "INSERT INTO crm_recordings (email, user_id, video_url, credit_charged) VALUES ($1, $2, 'https://v.example.com/x', false)",
                        ["a@example.com", world.userA])
                }
            }
        }
    }

    @Test("a signed-in user cannot write the read-only tables", arguments: [
        #"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('mallory@example.com')"#,
        #"UPDATE "digital_resume_by_CRM" SET first_name = 'Mallory'"#,
        "UPDATE profiles SET credits = 1000",
        "INSERT INTO crm_credit_ledger (email, delta, reason) VALUES ('a@example.com', 100, 'adjustment')",
        "UPDATE crm_dashboard_stats SET total_recordings = 0",
        "INSERT INTO crm_payments (email, amount_cents, paid_at) VALUES ('a@example.com', 1, now())",
        "DELETE FROM crm_credit_ledger",
    ])
    func readOnlyTables(statement: SQLQuery) throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            expectSQLState(.insufficientPrivilege) {
                try world.api.asRole(.authenticated(userID: world.userA)) { try $0.query(statement) }
            }
        }
    }

    @Test("service_role writes every table")
    func serviceRoleWrites() throws {
        try TestDatabase.withFresh { database in
            let world = try World(database)
            try world.api.asRole(.serviceRole) { connection in
                try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('new@example.com')"#)
                try connection.query("INSERT INTO crm_payments (email, amount_cents, paid_at) VALUES ('b@example.com', 100, now())")
                try connection.query("UPDATE crm_job_requests SET status = 'hired'")
                #expect(try connection.query("DELETE FROM crm_resumes").affectedRows == 2)
                #expect(try connection.query("SELECT credits FROM profiles WHERE email = 'b@example.com'").scalar(Int.self) == 9)
            }
        }
    }

    @Test("every table has Row Level Security enabled")
    func rlsEnabledEverywhere() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let disabled = try connection.query("""
                SELECT relname FROM pg_class
                WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND NOT relrowsecurity
                """).rows.map { try $0.decode(String.self, "relname") }
            #expect(disabled.isEmpty, "without RLS: \(disabled)")
        }
    }
}
