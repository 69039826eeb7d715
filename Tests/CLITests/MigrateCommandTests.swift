import Foundation
import Logging
import Migrate
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("crm-pipeline migrate, through the binary")
struct MigrateCommandTests {
    @Test("migrate applies everything once, then reports the database up to date")
    func migrateTwice() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let first = try CommandLineRunner.run(["migrate", "--database-url", database.url])
            #expect(first.status == 0, "\(first.standardError)")
            #expect(first.standardOutput.contains("Applied \(try MigrationCatalog.shipped().count) migration(s)"))
            let second = try CommandLineRunner.run(["migrate"], environment: ["DATABASE_URL": database.url])
            #expect(second.status == 0)
            #expect(second.standardOutput.contains("up to date"))
        }
    }

    @Test("migrate while a transaction holds a table a pending migration alters: it tries again, then exits 75 naming the holder")
    func lockedTable() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            // Every migration but 0018, which alters the import runs table, that an open transaction then reads.
            let shipped = try MigrationCatalog.shipped()
            let before = try #require(shipped.firstIndex { $0.name == "0018_import_run_strategy.sql" })
            try Migrator(migrations: Array(shipped[..<before]), logger: Logger(label: "test")).migrate(try database.connect())
            let holder = try PostgresConnection(url: database.url, applicationName: "reporting job")
            try holder.query("BEGIN")
            try holder.query("SELECT count(*) FROM crm_private.crm_import_runs")
            let pid = try holder.query("SELECT pg_backend_pid() AS pid").scalar(Int.self)

            let outcome = try CommandLineRunner.run(["migrate", "--database-url", database.url, "--lock-timeout", "0.2", "--lock-attempts", "2"])
            #expect(outcome.status == ExitStatus.temporaryFailure.rawValue, "\(outcome.standardError)")
            #expect(outcome.standardError.contains("migration 0018_import_run_strategy.sql was not applied"))
            #expect(outcome.standardError.contains(#"application "reporting job""#))
            #expect(outcome.standardError.contains("SELECT pg_terminate_backend(\(pid));"))
            #expect(outcome.standardError.contains("a table the migration needs is locked: trying again"), "the first attempt's notice")
            try holder.query("COMMIT")
            let status = try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url])
            #expect(status.standardOutput.contains("0018_import_run_strategy.sql           pending"), "\(status.standardOutput)")
            #expect(try CommandLineRunner.run(["migrate", "--database-url", database.url]).status == 0, "applied once the holder is gone")
        }
    }

    @Test("migrate --status lists every migration with its state")
    func status() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let pending = try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url])
            #expect(pending.status == 0)
            #expect(pending.standardOutput.contains("0002_add_digital_resume_crm_table.sql  pending"))
            _ = try CommandLineRunner.run(["migrate", "--database-url", database.url])
            let applied = try CommandLineRunner.run(["migrate", "--status", "--database-url", database.url])
            #expect(applied.standardOutput.contains("0003_add_crm_separate_tables.sql       applied"))
            #expect(applied.standardOutput.contains("Up to date."))
        }
    }

    @Test("the SQL of migrate --print applies cleanly with psql, and migrate then has nothing to do")
    func printedSQLAppliesWithPsql() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let printed = try CommandLineRunner.run(["migrate", "--print", "--database-url", database.url])
            #expect(printed.status == 0)
            #expect(printed.standardOutput.contains("CREATE TABLE \"digital_resume_by_CRM\""))
            let psql = try CommandLineRunner.run(
                executable: "psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database.url],
                standardInput: printed.standardOutput)
            #expect(psql.status == 0, "\(psql.standardError)")
            let after = try CommandLineRunner.run(["migrate", "--database-url", database.url])
            #expect(after.status == 0)
            #expect(after.standardOutput.contains("up to date"))
            // And the schema works: a CRM user gets an account.
            let connection = try database.connect()
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('psql@example.com')"#)
            #expect(try connection.query("SELECT credits FROM profiles").scalar(Int.self) == 4)
        }
    }

    @Test("migrate --print --all needs no database")
    func printAllOffline() throws {
        let outcome = try CommandLineRunner.run(
            ["migrate", "--print", "--all"], environment: ["DATABASE_URL": "host=/nonexistent port=1"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.contains("0001_supabase_shim.sql"))
        #expect(outcome.standardOutput.contains("COMMIT;"))
    }

    @Test("an edited applied migration stops migrate with its name")
    func editedMigration() throws {
        try TestDatabase.withFresh { database in
            try database.connect().query(
                "UPDATE crm_private.crm_schema_migrations SET checksum = 'deadbeef' WHERE name = '0004_credits_and_payments.sql'")
            let outcome = try CommandLineRunner.run(["migrate", "--database-url", database.url])
            #expect(outcome.status == ExitStatus.software.rawValue)
            #expect(outcome.standardError.contains("0004_credits_and_payments.sql"))
            #expect(outcome.standardError.contains("changed after it was applied"))
        }
    }
}
