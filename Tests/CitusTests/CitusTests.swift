import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Citus: the same product on a two-node cluster (make test-citus)", .serialized, .enabled(if: CitusCluster.isAvailable, "needs CITUS_URL: run make test-citus"))
struct CitusTests {
    /// A generated export (1,500 users, with duplicates and bad rows), made once.
    static let generated: String = {
        let folder = NSTemporaryDirectory() + "crm-citus-export-\(ProcessInfo.processInfo.processIdentifier)"
        if !FileManager.default.fileExists(atPath: folder + "/users.csv") {
            _ = try? CommandLineRunner.run(["generate", "--users", "1500", "--seed", "21", "--duplicates", "0.02",
                                            "--bad-rows", "0.01", "--out", folder])
        }
        return folder
    }()

    @Test("migrate --citus distributes every CRM table by email, co-located, with profiles and auth.users as reference tables and every shard on the worker; a second run changes nothing")
    func distribution() throws {
        let url = try CitusCluster.emptied()
        let again = try CommandLineRunner.run(["migrate", "--citus", "--database-url", url])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("up to date"))
        try PostgresConnection.withConnection(url: url) { connection throws in
            let layout = try connection.query("""
                SELECT logicalrelid::regclass::text, partmethod, colocationid FROM pg_dist_partition ORDER BY 1
                """).rows.map { $0.compactMap { $0 } }
            let distributed = layout.filter { $0[1] == "h" }
            #expect(Set(distributed.map { $0[0] }) == [#""digital_resume_by_CRM""#, "crm_job_requests", "crm_recordings",
                                                       "crm_resumes", "crm_dashboard_stats", "crm_payments", "crm_credit_ledger"])
            #expect(Set(distributed.map { $0[2] }).count == 1, "one colocation group: \(layout)")
            #expect(Set(layout.filter { $0[1] == "n" }.map { $0[0] }) == ["profiles", "auth.users"])
            let workerPort = try #require(CitusCluster.workerURL?.split(separator: "=").last.map(String.init))
            #expect(try connection.query("""
                SELECT count(*) FROM pg_dist_shard_placement p JOIN pg_dist_shard s USING (shardid)
                JOIN pg_dist_partition d USING (logicalrelid) WHERE d.partmethod = 'h' AND p.nodeport <> $1::int
                """, [workerPort]).scalar == "0")
            #expect(try connection.query("SELECT current_setting('citus.propagate_set_commands')").scalar == "local")
        }
    }

    @Test("the samples and a generated set, imported nightly, give identical tables, stats, credits and reports on Citus and on plain PostgreSQL; verify is clean on both")
    func nightlyIdentical() throws {
        let citus = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: citus, then: Self.generated)
        try TestDatabase.withFresh { plain throws in
            try CitusCluster.importSamples(into: plain.url, then: Self.generated)
            let plainFingerprint = try plain.connect().contentFingerprint()
            let citusFingerprint = try PostgresConnection.withConnection(url: citus) { try $0.contentFingerprint() }
            #expect(citusFingerprint == plainFingerprint)
            let plainReports = try CitusCluster.reports(of: plain.url)
            let citusReports = try CitusCluster.reports(of: citus)
            for (name, report) in plainReports {
                #expect(citusReports[name] == report, "report \(name) differs")
            }
            #expect(try plain.connect().query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).scalar.flatMap { Int($0) } ?? 0 > 1_400)
        }
        let verified = try CommandLineRunner.run(["verify", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }

    @Test("backfill --jobs 2 on Citus ends identical to a nightly import on plain PostgreSQL, and verify is clean")
    func backfillIdentical() throws {
        let citus = try CitusCluster.emptied()
        try CitusCluster.importSamples(into: citus, then: Self.generated, ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "2000"])
        try TestDatabase.withFresh { plain throws in
            try CitusCluster.importSamples(into: plain.url, then: Self.generated)
            let citusFingerprint = try PostgresConnection.withConnection(url: citus) { try $0.contentFingerprint() }
            #expect(citusFingerprint == (try plain.connect().contentFingerprint()))
        }
        let verified = try CommandLineRunner.run(["verify", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}
