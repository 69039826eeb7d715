import Foundation
import PostgresClient
import TestSupport
import Testing

/// The CRM's other changes on Citus (issue 25): tombstones, renames (the distribution column cannot be
/// updated: the rows move), merges, erasures and a snapshot, nightly and backfill.
extension CitusTests {
    /// `--chunk-rows 1` puts every user in a chunk of its own: a rename's and a merge's two emails are then in two chunks.
    @Test("on Citus, nightly and backfill: a tombstone, a rename, a merge, an erasure and a snapshot end as on plain PostgreSQL; verify is clean",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func mirrorChanges(mode: [String]) throws {
        let citus = try CitusCluster.emptied()
        let folder = NSTemporaryDirectory() + "citus-mirror-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (folder + "/" + name as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        let people = ["ann", "bob", "cy", "dee", "eve", "fay"]
        try write("base/users.csv", "email,crm_user_id\n" + people.map { "\($0)@example.com,C-\($0)\n" }.joined())
        try write("base/job_requests.csv", "email,external_id,job_title\n" + people.map { "\($0)@example.com,JR1,Nurse\n" }.joined())
        try write("base/recordings.csv", "email,external_id,job_request_external_id,video_url,credit_charged\n"
            + people.map { "\($0)@example.com,R1,JR1,https://v.example.com/\($0).mp4,true\n" }.joined())
        // ann deleted, bob renamed, cy merged into dee, eve erased, fay left out of the snapshot.
        try write("delta/users.csv", """
            email,crm_user_id,deleted,merged_into
            ann@example.com,C-ann,true,
            robert@example.com,C-bob,false,
            cy@example.com,C-cy,true,C-dee
            dee@example.com,C-dee,false,

            """)
        try write("delta/erasures.csv", "email,requested_at,reference\neve@example.com,2025-11-01T00:00:00Z,T-1\n")
        let rejects = folder + "/rejects.jsonl"
        #expect(try CommandLineRunner.run(["import", folder + "/base", "--database-url", citus, "--reject-file", rejects]).status == 0)
        let outcome = try CommandLineRunner.run(
            ["import", folder + "/delta", "--database-url", citus, "--reject-file", rejects, "--users-snapshot", "--max-delete-rate", "1"] + mode)
        #expect(outcome.status == 0, "\(outcome.standardError)")

        let connection = try PostgresConnection(url: citus)
        #expect(try connection.query(#"SELECT string_agg(email, ',' ORDER BY email) FROM "digital_resume_by_CRM""#).textScalar
                == "dee@example.com,robert@example.com", "\(outcome.standardOutput)")
        #expect(try connection.query("""
            SELECT string_agg(email || ':' || total_applications || '/' || total_recordings || ':' || credits, ',' ORDER BY email)
            FROM crm_dashboard_stats
            """).textScalar == "dee@example.com:2/2:6,robert@example.com:1/1:3", "dee has cy's rows and credits; robert has bob's")
        #expect(try connection.query("SELECT count(*) FROM crm_private.crm_erasures").textScalar == "1")
        let verified = try CommandLineRunner.run(["verify", "--fix", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}
