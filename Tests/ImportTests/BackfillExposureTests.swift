import Foundation
import PostgresClient
import TestSupport
import Testing

/// A backfill stages personal data (emails, names, phones) in tables that outlive its transactions; on
/// Supabase the API would expose them if they were in `public`.
@Suite("A backfill exposes nothing, through the binary")
struct BackfillExposureTests {
    static let apiRoles = ["anon", "authenticated", "service_role", "authenticator"]

    /// Every privilege an API role holds on the private schema or anything in it, one line each.
    static func privateGrants(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT r.rolname || ' ' || coalesce(c.relname, 'schema crm_private') AS grant_held
            FROM unnest($1::text[]) AS r(rolname)
            LEFT JOIN pg_class c ON c.relnamespace = 'crm_private'::regnamespace
            WHERE CASE WHEN c.oid IS NULL THEN has_schema_privilege(r.rolname, 'crm_private', 'USAGE, CREATE')
                       WHEN c.relkind = 'S' THEN has_sequence_privilege(r.rolname, c.oid, 'USAGE, SELECT, UPDATE')
                       WHEN c.relkind IN ('r', 'p') THEN
                           has_table_privilege(r.rolname, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                       ELSE false END
               OR has_schema_privilege(r.rolname, 'crm_private', 'USAGE')
            """, ["{" + apiRoles.joined(separator: ",") + "}"]).rows.map { try $0.decode(String.self, "grant_held") }
    }

    /// What the API roles can do with the backfill's staging and progress, as PostgREST would ask.
    static func expectNothingExposed(_ database: TestDatabase, when: String) throws {
        let connection = try database.connect()
        #expect(try connection.query("SELECT to_regclass('crm_private.crm_backfill_s_users') IS NOT NULL").scalar(Bool.self),
                "\(when): the staging should be there")
        #expect(try privateGrants(connection) == [], "\(when)")
        let api = try database.connectAsAPI()
        for role in [AppRole.anon, .authenticated(userID: UUID().uuidString), .serviceRole] {
            for statement: SQLQuery in ["SELECT count(*) FROM crm_private.crm_backfill_s_users",
                              "SELECT count(*) FROM crm_private.crm_backfill_rejected_users",
                              "DELETE FROM crm_private.crm_backfill_state"] {
                do {
                    try api.asRole(role) { try $0.query(statement) }
                    Issue.record("\(when): \(role) may run \(statement)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == .insufficientPrivilege, "\(when): \(error)")
                }
            }
        }
        // Nothing of the CRM tables either, for a signed-in user without a CRM row (anon may not even ask).
        let seen = try api.asRole(.authenticated(userID: UUID().uuidString)) { connection in
            try connection.query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).scalar(Int.self)
        }
        #expect(seen == 0, "\(when): a stranger sees CRM users")
        if database.platform == .supabase {
            let findings = try SupabaseLinter.findings(in: database)
            #expect(findings.isEmpty, "\(when): \(findings)")
        }
    }

    @Test("during a backfill and after it is killed, the API roles reach neither its staging nor its progress; a user sees their own rows only")
    func nothingExposed() throws {
        try TestDatabase.withFresh { database throws in
            let watcher = try database.connect()
            let process = try CommandLineRunner.start([
                "import", BackfillTests.export, "--mode", "backfill", "--chunk-rows", "150", "--database-url", database.url,
                "--reject-file", NSTemporaryDirectory() + "bf-exposure-\(UUID().uuidString).jsonl"]).process
            var checkedDuring = false
            var killed = false
            for _ in 0..<6_000 where process.isRunning {
                usleep(20_000)
                let done = try watcher.query(
                    "SELECT coalesce(max(array_length(done, 1)), 0) FROM crm_private.crm_backfill_state").scalar(Int?.self) ?? 0
                if done >= 1 && !checkedDuring {
                    #expect(try Self.privateGrants(watcher) == [], "during the backfill")
                    checkedDuring = true
                } else if done >= 3 {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true
                    break
                }
            }
            process.waitUntilExit()
            #expect(checkedDuring && killed, "the backfill ended before it could be checked and killed")
            try watcher.waitUntilImportsGone()
            try Self.expectNothingExposed(database, when: "after the kill")

            // A CRM user who signs up sees their own rows, and nobody else's.
            let email = try #require(try watcher.query(#"SELECT min(email) FROM "digital_resume_by_CRM""#).scalar(String?.self))
            let account = try database.signUp(email)
            for table in ["digital_resume_by_CRM", "crm_dashboard_stats", "profiles", "crm_credit_ledger"] {
                let seen = try database.connectAsAPI().asRole(.authenticated(userID: account)) { connection in
                    try connection.query("SELECT DISTINCT email FROM \(ident: table)").rows.map { try $0.decode(String.self, "email") }
                }
                #expect(seen == [email], "\(table)")
            }

            let resumed = try BackfillTests.importInto(database, ["--mode", "backfill", "--chunk-rows", "150"])
            #expect(resumed.status == 0, "\(resumed.standardError)")
            #expect(try watcher.query("SELECT count(*) FROM pg_class WHERE relnamespace = 'crm_private'::regnamespace AND relname LIKE 'crm\\_backfill\\_s\\_%'")
                .scalar(Int.self) == 0)
            #expect(try watcher.invariantViolations().isEmpty)
        }
    }
}
