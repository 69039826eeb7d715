import Foundation
import Logging
import Migrate
import PostgresClient
import TestSupport
import Testing

/// How migrations reach real projects: a Supabase migrations folder, a second role, an older release.
@Suite("crm-pipeline migrate on real projects, through the binary")
struct MigrateDeploymentTests {
    @Test("migrate --print --supabase DIR: one file per migration, no transaction statements; each applies with psql -1, then nothing is pending")
    func supabaseMigrationsFolder() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let project = NSTemporaryDirectory() + "crm-supabase-project-\(UUID().uuidString)"
            let folder = project + "/supabase/migrations"
            defer { try? FileManager.default.removeItem(atPath: project) }
            let printed = try CommandLineRunner.run(["migrate", "--print", "--supabase", folder, "--database-url", database.url])
            #expect(printed.status == 0, "\(printed.standardError)")
            let shipped = try MigrationCatalog.shipped()
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(files == shipped.map(\.name))
            for file in files {
                let sql = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                let transactionLines = sql.split(separator: "\n").filter {
                    ["BEGIN;", "COMMIT;", "ROLLBACK;"].contains($0.trimmingCharacters(in: .whitespaces).uppercased())
                }
                #expect(transactionLines.isEmpty, "\(file) controls its transaction: \(transactionLines)")
                // As `supabase db push` does: each file in a transaction of its own.
                let psql = try CommandLineRunner.run(
                    executable: "psql", ["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", database.url, "-f", folder + "/" + file])
                #expect(psql.status == 0, "\(file): \(psql.standardError)")
            }
            let status = try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url])
            #expect(status.status == 0)
            #expect(status.standardOutput.contains("Up to date."), "\(status.standardOutput)")
            let again = try CommandLineRunner.run(["migrate", "--print", "--supabase", folder, "--database-url", database.url])
            #expect(again.standardOutput.contains("Nothing to write"))
            // And the schema works: a CRM user gets an account.
            let connection = try database.connect()
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('push@example.com')"#)
            #expect(try connection.query("SELECT credits FROM profiles").scalar(Int.self) == 4)
        }
    }

    @Test("--supabase needs --print, and a folder that cannot be made is exit 73 naming it")
    func supabaseFolderErrors() throws {
        let withoutPrint = try CommandLineRunner.run(["migrate", "--supabase", "/tmp/x"])
        #expect(withoutPrint.status == 64)
        let blocker = NSTemporaryDirectory() + "crm-not-a-folder-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let outcome = try CommandLineRunner.run(["migrate", "--print", "--all", "--supabase", blocker + "/migrations"])
        #expect(outcome.status == 73)
        #expect(outcome.standardError.contains(blocker + "/migrations"), "\(outcome.standardError)")
    }

    @Test("after migrate as supabase_admin, migrate, --status and --print as postgres (who owns nothing) exit 0",
          .enabled(if: TestPlatform.current == .supabase, "needs Supabase's roles"))
    func secondRole() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let admin = try CommandLineRunner.run(["migrate", "--database-url", database.url(as: "supabase_admin")])
            #expect(admin.status == 0, "\(admin.standardError)")
            for arguments in [["migrate"], ["migrate", "--status"], ["migrate", "--print"]] {
                let outcome = try CommandLineRunner.run(arguments + ["--database-url", database.url])
                #expect(outcome.status == 0, "\(arguments): \(outcome.standardError)")
            }
            #expect(try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url]).standardOutput.contains("Up to date."))
        }
    }

    @Test("a database of an earlier release is upgraded: its bookkeeping, run records, snapshots and a stopped backfill's staging move to crm_private with every row")
    func upgradeFromPublicLayout() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let shipped = try MigrationCatalog.shipped()
            let earlier = shipped.filter { $0.version <= 14 }
            try Migrator(migrations: earlier, logger: Logger(label: "upgrade-test")).migrate(connection)
            // What 0014's release left: everything in public, and (here) a backfill stopped half-way.
            try connection.executeScript("""
                ALTER TABLE crm_private.crm_schema_migrations SET SCHEMA public;
                DROP SCHEMA crm_private;
                INSERT INTO crm_import_runs (mode, status) VALUES ('backfill', 'failed');
                INSERT INTO crm_import_files (run_id, path, sha256, bytes) SELECT id, 'users.csv', 'abc', 10 FROM crm_import_runs;
                INSERT INTO crm_table_snapshots (table_name, rows, total_bytes) VALUES ('profiles', 1, 8192);
                INSERT INTO crm_backfill_state (run_key, run_id, chunks, staged_rows) SELECT 'key', id, 4, 1 FROM crm_import_runs;
                CREATE UNLOGGED TABLE crm_backfill_s_users (seq bigint, email text);
                INSERT INTO crm_backfill_s_users VALUES (1, 'staged@example.com');
                CREATE UNLOGGED TABLE crm_backfill_rejected_users (email text PRIMARY KEY);
                """)
            let outcome = try CommandLineRunner.run(["migrate", "--database-url", database.url])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("Applied \(shipped.count - earlier.count) migration(s)"), "\(outcome.standardOutput)")
            let counts = try connection.query("""
                SELECT (SELECT count(*) FROM crm_private.crm_schema_migrations) AS migrations,
                       (SELECT count(*) FROM crm_private.crm_import_runs) AS import_runs,
                       (SELECT count(*) FROM crm_private.crm_import_files) AS import_files,
                       (SELECT count(*) FROM crm_private.crm_table_snapshots) AS table_snapshots,
                       (SELECT count(*) FROM crm_private.crm_backfill_state) AS backfill_state,
                       (SELECT count(*) FROM crm_private.crm_backfill_s_users) AS backfill_s_users,
                       (SELECT count(*) FROM crm_private.crm_backfill_rejected_users) AS backfill_rejected_users
                """).singleRow()
            let tables = ["migrations", "import_runs", "import_files", "table_snapshots", "backfill_state", "backfill_s_users",
                          "backfill_rejected_users"]
            #expect(try tables.map { try counts.decode(Int.self, $0) } == [shipped.count, 1, 1, 1, 1, 1, 0])
            let leftInPublic = try connection.query("""
                SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S')
                  AND relname NOT IN ('digital_resume_by_CRM', 'crm_job_requests', 'crm_recordings', 'crm_resumes',
                                      'crm_dashboard_stats', 'profiles', 'crm_credit_ledger', 'crm_payments')
                ORDER BY 1
                """).rows.map { try $0.decode(String.self, "relname") }
            #expect(leftInPublic.isEmpty, "\(leftInPublic)")
            // The moved tables no longer carry what Supabase's default privileges gave them in public.
            let apiGrants = try connection.query("""
                SELECT r.rolname || ' ' || c.relname AS grant_held FROM pg_class c
                CROSS JOIN (SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')) r
                WHERE c.relnamespace = 'crm_private'::regnamespace AND c.relkind = 'r'
                  AND has_table_privilege(r.rolname, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                """).rows.map { try $0.decode(String.self, "grant_held") }
            #expect(apiGrants.isEmpty, "\(apiGrants)")
            let status = try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url])
            #expect(status.standardOutput.contains("Up to date."))
        }
    }
}
