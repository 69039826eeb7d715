import Foundation
import Logging
import Migrate
import PostgresClient
import TestSupport
import Testing

/// A cluster distributed by an earlier crm-pipeline (migrations up to 0012 and that release's
/// distribution), upgraded by a plain `crm-pipeline migrate`: the path of a team that scaled out before
/// migration 0013. In its own database on the same two nodes, dropped afterwards.
extension CitusTests {
    /// What `migrate --citus` did at 0012: the same statements as today's distribute.sql but for the
    /// triggers it did not know about yet.
    static let distributionAt0012 = """
        SET citus.enable_unsafe_triggers = on;
        DROP TRIGGER IF EXISTS crm_dashboard_stats_profiles_follow ON public.crm_dashboard_stats;
        SELECT create_reference_table('public.profiles');
        SELECT create_reference_table('auth.users');
        SELECT create_distributed_table('public."digital_resume_by_CRM"', 'email');
        SELECT create_distributed_table('public.crm_job_requests', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        SELECT create_distributed_table('public.crm_recordings', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        SELECT create_distributed_table('public.crm_resumes', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        SELECT create_distributed_table('public.crm_dashboard_stats', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        SELECT create_distributed_table('public.crm_payments', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        SELECT create_distributed_table('public.crm_credit_ledger', 'email', colocate_with => 'public."digital_resume_by_CRM"');
        ALTER DATABASE crm_upgrade SET citus.propagate_set_commands = 'local';
        """

    @Test("a cluster distributed at migration 0012 upgrades with a plain migrate (0013 and 0014 applied on distributed tables, the distribution redone), and then takes imports and the app's own writes")
    func upgradeFrom0012() throws {
        let coordinator = try #require(CitusCluster.url), worker = try #require(CitusCluster.workerURL)
        let upgraded = coordinator.replacingOccurrences(of: "/crm?", with: "/crm_upgrade?")
        let upgradedWorker = worker.replacingOccurrences(of: "/crm?", with: "/crm_upgrade?")
        func port(_ url: String) -> String { url.components(separatedBy: "port=").last ?? "" }
        func resetDatabase() throws {
            for url in [coordinator, worker] {
                try PostgresConnection.withConnection(url: url) { try $0.query("DROP DATABASE IF EXISTS crm_upgrade WITH (FORCE)") }
            }
        }
        try resetDatabase()
        defer { #expect(throws: Never.self) { try resetDatabase() } }
        for url in [coordinator, worker] {
            try PostgresConnection.withConnection(url: url) { try $0.query("CREATE DATABASE crm_upgrade") }
        }
        try PostgresConnection.withConnection(url: upgradedWorker) { try $0.query("CREATE EXTENSION citus") }
        try PostgresConnection.withConnection(url: upgraded) { connection in
            try connection.query("CREATE EXTENSION citus")
            try connection.query("SELECT citus_set_coordinator_host('127.0.0.1', $1::int)", [port(coordinator)])
            try connection.query("SELECT citus_add_node('127.0.0.1', $1::int)", [port(worker)])
            try connection.query("SELECT citus_set_node_property('127.0.0.1', $1::int, 'shouldhaveshards', true)", [port(coordinator)])
            let shipped = try MigrationCatalog.shipped()
            let at0012 = Array(shipped.prefix { $0.version <= 12 })
            #expect(at0012.count == 12)
            try Migrator(migrations: at0012, logger: Logger(label: "citus-tests")).migrate(connection)
            try connection.executeScript(Self.distributionAt0012)
        }

        let migrated = try CommandLineRunner.run(["migrate", "--database-url", upgraded])
        #expect(migrated.status == 0, "\(migrated.standardError)")
        #expect(migrated.standardOutput.contains("0013_profiles_catch_up.sql, 0014_table_sizes.sql"), "\(migrated.standardOutput)")
        #expect(migrated.standardOutput.contains("Citus: "), "the distribution is redone: \(migrated.standardOutput)")

        try CitusCluster.importSamples(into: upgraded, then: nil)
        try PostgresConnection.withConnection(url: upgraded) { connection in
            for statement in Self.appWrites { try connection.query(statement) }
            #expect(try connection.query("SELECT count(*) > 0 FROM crm_private.crm_profiles_catch_up()").textScalar == "t")
        }
        let verified = try CommandLineRunner.run(["verify", "--database-url", upgraded])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}
