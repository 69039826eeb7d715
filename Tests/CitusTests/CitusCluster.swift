import Foundation
import PostgresClient
import TestSupport
import Testing

/// The two-node Citus cluster that `make test-citus` starts (`CITUS_URL`, `CITUS_WORKER_URL`). The
/// tests share its one database, so they run one after the other and each starts from empty tables.
enum CitusCluster {
    static let url = ProcessInfo.processInfo.environment["CITUS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let workerURL = ProcessInfo.processInfo.environment["CITUS_WORKER_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isAvailable = url != nil && workerURL != nil

    /// The coordinator's database, migrated with `--citus`, with every CRM table empty.
    static func emptied() throws -> String {
        let url = try #require(url)
        let migrated = try CommandLineRunner.run(["migrate", "--citus", "--database-url", url])
        #expect(migrated.status == 0, "\(migrated.standardError)")
        try PostgresConnection.withConnection(url: url) { connection in
            try connection.query(#"""
                TRUNCATE "digital_resume_by_CRM", profiles, auth.users, crm_private.crm_import_runs, crm_private.crm_table_snapshots,
                         crm_private.crm_erasures, crm_private.crm_user_sources CASCADE
                """#)
        }
        return url
    }

    /// The shipped samples, imported as `make run` does, then `generated` (a folder) if given.
    static func importSamples(into url: String, then generated: String?, _ options: [String] = []) throws {
        let root = SharedFolder.projectRoot
        let runs: [[String]] = [
            [root + "/samples/csv"], [root + "/samples/xml"],
            [root + "/samples/hubspot", "--mapping", root + "/pipelines/mappings/hubspot-contacts.yml"],
            [root + "/samples/salesforce", "--mapping", root + "/pipelines/mappings/salesforce-contacts.yml"],
        ] + (generated.map { [[$0] + options] } ?? [])
        for arguments in runs {
            let outcome = try CommandLineRunner.run(
                ["import"] + arguments + ["--database-url", url, "--reject-file", NSTemporaryDirectory() + "citus-\(UUID().uuidString).jsonl"])
            #expect(outcome.status == 0, "import \(arguments.joined(separator: " ")): \(outcome.standardError)")
        }
    }

    /// An email (of nobody) whose shard is on the coordinator, or on the worker.
    static func email(onCoordinator: Bool, url: String) throws -> String {
        try PostgresConnection.withConnection(url: url) { connection in
            try #require(try connection.query("""
                SELECT 'probe-' || n || '@example.com' FROM generate_series(1, 100) AS n
                JOIN pg_dist_shard_placement p
                  ON p.shardid = get_shard_id_for_distribution_column('"digital_resume_by_CRM"', 'probe-' || n || '@example.com')
                WHERE (p.nodeport = current_setting('port')::int) = $1::boolean
                ORDER BY n LIMIT 1
                """, [onCoordinator ? "true" : "false"]).textScalar)
        }
    }

    /// What the reports say, as JSON, for the months that the samples and the generated set cover.
    static func reports(of url: String) throws -> [String: String] {
        var outputs: [String: String] = [:]
        let periods = [["--month", "2024-05"], ["--month", "2025-11"], ["--from", "2025-10-15", "--to", "2025-11-20"]]
        for report in [["users"], ["users", "--top", "5"], ["summary"], ["credits"]] {
            for period in periods {
                let arguments = ["report"] + report + period + ["--format", "json"]
                let outcome = try CommandLineRunner.run(arguments + ["--database-url", url])
                let name = arguments.joined(separator: " ")
                #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
                // Everything but the moment it was made.
                outputs[name] = outcome.standardOutput.split(separator: "\n")
                    .filter { !$0.contains("\"generated_at\"") }.joined(separator: "\n")
            }
        }
        return outputs
    }
}
