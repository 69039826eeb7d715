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
                           ELSE has_schema_privilege(r.rolname, o.oid, p.privilege) END AS granted
        FROM roles r JOIN objects o ON true JOIN privileges p ON p.kind = o.kind
        ORDER BY 1, 2, 3
        """

    @Test("every role × every object × every privilege is exactly the matrix: the API roles get what SPEC §2 allows, postgres everything")
    func wholeMatrix() throws {
        try TestDatabase.withFresh { database in
            let rows = try database.connect().query(Self.effectivePrivileges).all(as: EffectivePrivilege.self)
            let objects = Set(rows.map(\.object))
            // The matrix covers what the project made: the app's tables, the private schema and what is in it.
            #expect(objects.isSuperset(of: Self.appTables.map { "public.\($0)" } + ["crm_private.crm_import_runs",
                "crm_private.crm_schema_migrations", "crm_private.crm_backfill_state", "schema crm_private"]))
            #expect(objects.contains { $0.hasPrefix("crm_private.crm_book_credits(") })
            #expect(!objects.contains { $0.hasPrefix("public.") && !Self.appTables.map { "public.\($0)" }.contains($0) },
                    "public holds only the app's tables: \(objects.filter { $0.hasPrefix("public.") }.sorted())")
            var granted: Set<String> = []
            for row in rows where row.granted == true {
                if row.role == "postgres" { continue }
                granted.insert("\(row.role) \(row.object) \(row.privilege)")
            }
            #expect(granted == Self.expectedGrants, """
                granted beyond the matrix: \(granted.subtracting(Self.expectedGrants).sorted())
                missing from the matrix: \(Self.expectedGrants.subtracting(granted).sorted())
                """)
            let postgresLacks = rows.filter { $0.role == "postgres" && $0.granted != true }.map { "\($0.object) \($0.privilege)" }
            if !rows.filter({ $0.role == "postgres" }).isEmpty {
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
                SELECT p.oid::regprocedure::text AS function_name FROM pg_proc p
                WHERE p.prosecdef AND p.pronamespace IN ('public'::regnamespace, 'crm_private'::regnamespace)
                  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
                """).rows.map { try $0.decode(String.self, "function_name") }
            #expect(unpinned.isEmpty, "SECURITY DEFINER without a search_path: \(unpinned)")
            #expect(try connection.query("""
                SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                """).scalar(Int.self) == 0)
        }
    }

    @Test("the policies read auth.uid() once per statement, not once per row (an InitPlan), off Citus")
    func policiesEvaluateTheUserOnce() throws {
        try TestDatabase.withFresh { database in
            let policies = try database.connect().query("""
                SELECT tablename || '.' || policyname AS policy, coalesce(qual, '') || ' ' || coalesce(with_check, '') AS expressions
                FROM pg_policies WHERE schemaname = 'public'
                """).rows
            #expect(policies.count == 17)
            for policy in policies {
                let (name, text) = (try policy.decode(String.self, "policy"), try policy.decode(String.self, "expressions").lowercased())
                #expect(text.contains("select auth.uid()") || text.contains("select uid()"), "\(name): \(text)")
            }
        }
    }
}

/// One row of ``PrivilegeTests/effectivePrivileges``: whether `role` holds `privilege` on `object`.
private struct EffectivePrivilege: RowDecodable {
    let role: String
    let object: String
    let privilege: String
    let granted: Bool?

    init(row: Row) throws {
        role = try row.decode(String.self, "rolname")
        object = try row.decode(String.self, "name")
        privilege = try row.decode(String.self, "privilege")
        granted = try row.decode(Bool?.self, "granted")
    }
}
