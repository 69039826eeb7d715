import Foundation
import PostgresClient
import TestSupport
import Testing

/// An import beside the live app on Citus (issue 24): the balance that decides whether an imported charge
/// fits is the one locked when the import writes, on the shards too.
extension CitusTests {
    @Test("on Citus, nightly and backfill: the app spends a user's credit while the import waits for it; the charge that no longer fits is rejected, the run succeeds, verify is clean",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2"]])
    func appSpendsWhileTheImportWaits(mode: [String]) throws {
        let citus = try CitusCluster.emptied()
        // On the coordinator's shard, so that the import's own backend waits on the app's row lock (on the
        // worker, a Citus connection would wait for it).
        let email = try CitusCluster.email(onCoordinator: true, url: citus)
        let folder = NSTemporaryDirectory() + "citus-live-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (folder + "/" + name as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        func recordings(_ ids: ClosedRange<Int>) -> String {
            "email,external_id,video_url,credit_charged,created_at\n"
                + ids.map { "\(email),R\($0),https://v.example.com/\($0).mp4,true,2025-05-0\($0)T10:00:00Z\n" }.joined()
        }
        // Two charges: 2 credits left. The delta charges two more; the app spends one first.
        try write("base/users.csv", "email,first_name\n\(email),Held\n")
        try write("base/recordings.csv", recordings(1...2))
        try write("delta/recordings.csv", recordings(3...4))
        let rejects = folder + "/rejects.jsonl"
        let base = try CommandLineRunner.run(["import", folder + "/base", "--database-url", citus, "--reject-file", rejects])
        #expect(base.status == 0, "\(base.standardError)")

        let app = try PostgresConnection(url: citus, applicationName: "app")
        try app.query("BEGIN")
        try app.query("""
            INSERT INTO crm_recordings (email, video_url, credit_charged) VALUES (\(bind: email), 'https://v.example.com/app.mp4', true)
            """)
        let running = try CommandLineRunner.start(
            ["import", folder + "/delta", "--database-url", citus, "--reject-file", rejects] + mode)
        try PostgresConnection(url: citus).waitUntilImportWaitsOnLock()
        try app.query("COMMIT")
        running.waitUntilExit()

        #expect(running.process.terminationStatus == 0, "\(running.standardError)")
        let reasons = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(reasons.count == 1 && reasons[0].contains(#""reason":"insufficient_credits""#) && reasons[0].contains(#""line":3"#),
                "\(reasons)")
        let balance = try PostgresConnection(url: citus).query("SELECT credits FROM crm_dashboard_stats WHERE email = \(bind: email)")
        #expect(try balance.scalar(Int.self) == 0)
        let verified = try CommandLineRunner.run(["verify", "--fix", "--database-url", citus])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
    }
}
