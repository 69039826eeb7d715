import Foundation
import Logging
import Migrate
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    let logger = Logger(label: "migrate-tests")

    @Test("the shipped migrations keep the seed's names in order")
    func shippedOrder() throws {
        let names = try MigrationCatalog.shipped().map(\.name)
        #expect(names.first == "0001_supabase_shim.sql")
        #expect(names.dropFirst().first == "0002_add_digital_resume_crm_table.sql")
        #expect(names.dropFirst(2).first == "0003_add_crm_separate_tables.sql")
        #expect(names.count >= 7)
    }

    @Test("a fresh database gets every migration, and a second run is a no-op")
    func freshThenNoOp() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let migrations = try MigrationCatalog.shipped()
            let migrator = Migrator(migrations: migrations, logger: logger)
            #expect(try migrator.migrate(connection) == migrations)
            #expect(try migrator.migrate(connection).isEmpty)
            let states = try migrator.status(on: connection).map(\.state)
            #expect(states.allSatisfy { if case .applied = $0 { true } else { false } })
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_schema_migrations").scalar(Int.self) == migrations.count)
        }
    }

    @Test("an applied migration whose file changed is an error naming it")
    func editedMigration() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let shipped = try MigrationCatalog.shipped()
            try Migrator(migrations: shipped, logger: logger).migrate(connection)
            var edited = shipped
            let changed = try #require(Migration(fileName: shipped[1].name, sql: shipped[1].sql + "\n-- edited\n"))
            edited[1] = changed
            let error = try #require(throws: MigrationError.self) {
                try Migrator(migrations: edited, logger: logger).migrate(connection)
            }
            guard case .edited(let name, _, _) = error else {
                Issue.record("expected .edited, got \(error)")
                return
            }
            #expect(name == "0002_add_digital_resume_crm_table.sql")
            #expect(error.description.contains("0002_add_digital_resume_crm_table.sql"))
            #expect(error.exitStatus == .software)
        }
    }

    @Test("a migration applied by a newer build is reported, not ignored")
    func unknownApplied() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try connection.query(
                "INSERT INTO crm_private.crm_schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')")
            let error = try #require(throws: MigrationError.self) {
                try Migrator(migrations: try MigrationCatalog.shipped(), logger: logger).status(on: connection)
            }
            #expect(error.description.contains("9999_future.sql"))
        }
    }

    @Test("a failing migration applies nothing of itself and keeps the ones before it")
    func failingMigrationIsAtomic() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let good = try #require(Migration(fileName: "0001_good.sql", sql: "CREATE TABLE good (n int);"))
            let bad = try #require(Migration(
                fileName: "0002_bad.sql", sql: "CREATE TABLE half_done (n int);\nSELECT 1 / 0;"))
            let error = try #require(throws: MigrationError.self) {
                try Migrator(migrations: [good, bad], logger: logger).migrate(connection)
            }
            guard case .failed(let name, let cause) = error else {
                Issue.record("expected .failed, got \(error)")
                return
            }
            #expect(name == "0002_bad.sql")
            #expect(cause.sqlState == .divisionByZero)
            let tables = try connection.query(
                "SELECT to_regclass('good') IS NOT NULL AS good_exists, to_regclass('half_done') IS NULL AS half_done_absent").singleRow()
            #expect(try tables.decode(Bool.self, "good_exists"))
            #expect(try tables.decode(Bool.self, "half_done_absent"))
            #expect(try connection.query("SELECT name FROM crm_private.crm_schema_migrations").rows
                .map { try $0.decode(String.self, "name") } == ["0001_good.sql"])
        }
    }

    @Test("the Supabase shim leaves an existing auth schema alone",
          .enabled(if: TestPlatform.current == .plain, "builds its own auth schema in an empty plain database"))
    func shimSkipsExistingAuth() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            // What a Supabase project already has: a richer auth.users and its own auth.uid().
            try connection.executeScript("""
                CREATE SCHEMA auth;
                CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, instance_id uuid, raw_user_meta_data jsonb);
                CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
                    AS $$ SELECT '00000000-0000-0000-0000-00000000cafe'::uuid $$;
                """)
            try Migrator(migrations: try MigrationCatalog.shipped(), logger: logger).migrate(connection)
            let columns = try connection.query("""
                SELECT count(*) FROM information_schema.columns
                WHERE table_schema = 'auth' AND table_name = 'users' AND column_name IN ('instance_id', 'raw_user_meta_data')
                """).scalar(Int.self)
            #expect(columns == 2)
            #expect(try connection.query("SELECT auth.uid()").scalar(String.self) == "00000000-0000-0000-0000-00000000cafe")
            // The sign-up trigger is still installed on the existing table.
            #expect(try connection.query(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'auth.users'::regclass AND NOT tgisinternal").scalar(Int.self) == 1)
        }
    }

    @Test("a fresh plain PostgreSQL gets the shim: auth.users, auth.uid(), the three roles, pgcrypto",
          .enabled(if: TestPlatform.current == .plain, "the shim's own work; Supabase has these already"))
    func shimCreatesWhatIsMissing() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            #expect(try connection.query("SELECT to_regclass('auth.users') IS NOT NULL").scalar(Bool.self))
            #expect(try connection.query(
                "SELECT count(*) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')").scalar(Int.self) == 3)
            #expect(try connection.query("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'").scalar(Bool.self))
            #expect(try connection.query("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").scalar(Int.self) == 1)
            let uid = try connection.transaction { connection in
                try connection.setLocal("request.jwt.claims", to: #"{"sub":"11111111-2222-3333-4444-555555555555"}"#)
                return .commit(try connection.query("SELECT auth.uid()").scalar(String?.self))
            }
            #expect(uid == "11111111-2222-3333-4444-555555555555")
            #expect(try connection.query("SELECT auth.uid() IS NULL").scalar(Bool.self))
        }
    }

    @Test("the printed script records the same names and checksums as migrate does")
    func scriptRecordsMigrations() throws {
        let migrations = try MigrationCatalog.shipped()
        let script = Migrator.script(for: migrations)
        for migration in migrations {
            #expect(script.contains("'\(migration.name)', '\(migration.checksum)'"))
        }
        #expect(script.components(separatedBy: "\nBEGIN;\n").count == migrations.count + 1)
    }
}
