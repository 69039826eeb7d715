import Logging
import Migrate
import PostgresClient
import Testing

extension CitusTests {
    @Test("a migration shipped after migrate --citus (triggers on a distributed table created and dropped, then a function, several statements) applies on the distributed schema, and its trigger runs on the shards")
    func migrationAfterDistribution() throws {
        let url = try CitusCluster.emptied()
        let later = try #require(Migration(fileName: "0099_after_citus.sql", sql: """
            -- DDL on the shards first, then function commands, as a migration that replaces a trigger and
            -- its function does (Citus refuses a function command after a parallel operation on a
            -- distributed table in the same transaction, unless the transaction is sequential).
            CREATE TRIGGER crm_test_replaced BEFORE UPDATE OF external_id ON crm_job_requests
                FOR EACH ROW EXECUTE FUNCTION crm_private.crm_check_owner();
            DROP TRIGGER crm_test_replaced ON crm_job_requests;
            -- A body with semicolons, as every real migration has.
            CREATE FUNCTION crm_test_mark() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.status := 'marked; by a trigger';
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER crm_test_mark BEFORE INSERT ON crm_job_requests FOR EACH ROW EXECUTE FUNCTION crm_test_mark();
            """))
        try PostgresConnection.withConnection(url: url) { connection in
            // The cluster's one database is shared by the tests that follow: leave it as migrate left it.
            // (In a transaction with the settings a migration gets.)
            defer {
                #expect(throws: Never.self) {
                    try connection.transaction { connection in
                        try connection.setLocal("citus.enable_unsafe_triggers", to: "on")
                        try connection.setLocal("citus.multi_shard_modify_mode", to: "sequential")
                        try connection.query("DROP TRIGGER IF EXISTS crm_test_mark ON crm_job_requests")
                        try connection.query("DROP FUNCTION IF EXISTS crm_test_mark()")
                        try connection.query("DELETE FROM crm_private.crm_schema_migrations WHERE version = 99")
                        return .commit(())
                    }
                }
            }
            let applied = try Migrator(migrations: MigrationCatalog.shipped() + [later], logger: Logger(label: "citus-tests"))
                .migrate(connection)
            #expect(applied.map(\.name) == ["0099_after_citus.sql"])
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('mark@example.com')"#)
            try connection.query("INSERT INTO crm_job_requests (email, job_title) VALUES ('mark@example.com', 'Tester')")
            #expect(try connection.query("SELECT status FROM crm_job_requests WHERE email = 'mark@example.com'").textScalar
                == "marked; by a trigger")
        }
    }
}
