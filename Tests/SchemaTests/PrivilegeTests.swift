import PostgresClient
import TestSupport
import Testing

/// The privilege model of migration 0017, read from the catalog: what each role may do to every object
/// the project creates. docs/data-model.md "Privileges" shows the same matrix.
@Suite("Privileges")
struct PrivilegeTests {
    /// The app's tables, in `public`: what PostgREST exposes.
    static let appTables = [
        "digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes",
        "crm_dashboard_stats", "profiles", "crm_credit_ledger", "crm_payments",
    ]
    static let appWritten = ["crm_job_requests", "crm_recordings", "crm_resumes"]

    static let tablePrivileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]

    /// Every `role object privilege` the matrix allows to the API roles; `postgres` (owner, or superuser
    /// on plain PostgreSQL) holds everything and `authenticator` nothing.
    static let expectedGrants: Set<String> = {
        var grants: Set<String> = []
        for table in appTables {
            grants.insert("authenticated public.\(table) SELECT")
            for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] { grants.insert("service_role public.\(table) \(privilege)") }
        }
        for table in appWritten {
            for privilege in ["INSERT", "UPDATE", "DELETE"] { grants.insert("authenticated public.\(table) \(privilege)") }
        }
        return grants
    }()

    /// Every privilege each role effectively holds (own grants, inherited ones, PUBLIC's) on every table in
    /// `public`, and on the schema `crm_private` and every table, sequence and function in it.
    static let effectivePrivileges: SQLQuery = """
        WITH roles AS (SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role', 'authenticator', 'postgres')),
        objects AS (
            SELECT n.nspname || '.' || c.relname AS name, c.oid, CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname IN ('public', 'crm_private')
            UNION ALL
            SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.oid, 'function'
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname IN ('public', 'crm_private')
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')  -- pgcrypto's, on plain PostgreSQL
            UNION ALL
            SELECT 'schema crm_private', 'crm_private'::regnamespace::oid, 'schema'),
        privileges AS (
            SELECT kind, privilege FROM (VALUES
                ('table', 'SELECT'), ('table', 'INSERT'), ('table', 'UPDATE'), ('table', 'DELETE'), ('table', 'TRUNCATE'),
                ('table', 'REFERENCES'), ('table', 'TRIGGER'), ('sequence', 'USAGE'), ('sequence', 'SELECT'),
                ('sequence', 'UPDATE'), ('function', 'EXECUTE'), ('schema', 'USAGE'), ('schema', 'CREATE')) p(kind, privilege))
        SELECT r.rolname, o.name, p.privilege,
               CASE o.kind WHEN 'table' THEN has_table_privilege(r.rolname, o.oid, p.privilege)
                           WHEN 'sequence' THEN has_sequence_privilege(r.rolname, o.oid, p.privilege)
                           WHEN 'function' THEN has_function_privilege(r.rolname, o.oid, p.privilege)
                           ELSE has_schema_privilege(r.rolname, o.oid, p.privilege) END
        FROM roles r JOIN objects o ON true JOIN privileges p ON p.kind = o.kind
        ORDER BY 1, 2, 3
        """

    @Test("every role × every object × every privilege is exactly the matrix: the API roles get what SPEC §2 allows, postgres everything")
    func wholeMatrix() throws {
        try TestDatabase.withFresh { database in
            let rows = try database.connect().query(Self.effectivePrivileges).textRows
            let objects = Set(rows.compactMap { $0[1] })
            // The matrix covers what the project made: the app's tables, the private schema and what is in it.
            #expect(objects.isSuperset(of: Self.appTables.map { "public.\($0)" } + ["crm_private.crm_import_runs",
                "crm_private.crm_schema_migrations", "crm_private.crm_backfill_state", "schema crm_private"]))
            #expect(objects.contains { $0.hasPrefix("crm_private.crm_book_credits(") })
            #expect(!objects.contains { $0.hasPrefix("public.") && !Self.appTables.map { "public.\($0)" }.contains($0) },
                    "public holds only the app's tables: \(objects.filter { $0.hasPrefix("public.") }.sorted())")
            var granted: Set<String> = []
            for row in rows where row[3] == "t" {
                let (role, object, privilege) = (row[0] ?? "", row[1] ?? "", row[2] ?? "")
                if role == "postgres" { continue }
                granted.insert("\(role) \(object) \(privilege)")
            }
            #expect(granted == Self.expectedGrants, """
                granted beyond the matrix: \(granted.subtracting(Self.expectedGrants).sorted())
                missing from the matrix: \(Self.expectedGrants.subtracting(granted).sorted())
                """)
            let postgresLacks = rows.filter { $0[0] == "postgres" && $0[3] != "t" }.map { "\($0[1] ?? "") \($0[2] ?? "")" }
            if !rows.filter({ $0[0] == "postgres" }).isEmpty {
                #expect(postgresLacks.isEmpty, "postgres, the owner, lacks \(postgresLacks)")
            }
        }
    }

    @Test("no API role reaches crm_private: run records, migrations, staging and functions are refused",
          arguments: [AppRole.anon, .authenticated(userID: "00000000-0000-0000-0000-000000000001"), .serviceRole])
    func privateSchemaUnreachable(role: AppRole) throws {
        try TestDatabase.withFresh { database in
            let api = try database.connectAsAPI()
            for statement: SQLQuery in [
                "SELECT count(*) FROM crm_private.crm_import_runs",
                "SELECT count(*) FROM crm_private.crm_schema_migrations",
                "DELETE FROM crm_private.crm_backfill_state",
                "SELECT * FROM crm_private.crm_table_sizes('auth.users')",
                "SELECT count(*) FROM crm_private.crm_profiles_catch_up()",
            ] {
                expectSQLState(.insufficientPrivilege) { try api.asRole(role) { try $0.query(statement) } }
            }
        }
    }

    @Test("TRUNCATE, which ignores RLS and skips the row triggers, is refused to every API role",
          arguments: appTables)
    func noTruncate(table: String) throws {
        try TestDatabase.withFresh { database in
            let api = try database.connectAsAPI()
            for role in [AppRole.anon, .authenticated(userID: "00000000-0000-0000-0000-000000000001"), .serviceRole] {
                expectSQLState(.insufficientPrivilege) { try api.asRole(role) { try $0.query("TRUNCATE \(ident: table) CASCADE") } }
            }
        }
    }

    @Test("every SECURITY DEFINER function pins its search_path, and every function of the project lives in crm_private")
    func functions() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let unpinned = try connection.query("""
                SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.prosecdef AND p.pronamespace IN ('public'::regnamespace, 'crm_private'::regnamespace)
                  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
                """).textRows
            #expect(unpinned.isEmpty, "SECURITY DEFINER without a search_path: \(unpinned)")
            #expect(try connection.query("""
                SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                """).textScalar == "0")
        }
    }

    @Test("the policies read auth.uid() once per statement, not once per row (an InitPlan), off Citus")
    func policiesEvaluateTheUserOnce() throws {
        try TestDatabase.withFresh { database in
            let policies = try database.connect().query("""
                SELECT tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '')
                FROM pg_policies WHERE schemaname = 'public'
                """).textRows
            #expect(policies.count == 17)
            for policy in policies {
                let text = (policy[1] ?? "").lowercased()
                #expect(text.contains("select auth.uid()") || text.contains("select uid()"), "\(policy[0] ?? ""): \(text)")
            }
        }
    }
}
