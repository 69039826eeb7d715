import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// Faults outside the importer: the server restarting under it, the reject file's disk filling up.
@Suite("Faults around the importer, through the binary", .serialized)
struct ServerFaultTests {
    /// Runs `scripts/pg-cluster.sh COMMAND fault-restart` (a private cluster: restarting the shared test
    /// cluster would break the tests running beside this one) and returns its output.
    @discardableResult
    static func cluster(_ command: String, environment: [String: String?] = [:]) throws -> String {
        let outcome = try CommandLineRunner.run(
            executable: SharedFolder.projectRoot + "/scripts/pg-cluster.sh", [command, "fault-restart", "--ephemeral"], environment: environment)
        guard outcome.status == 0 else { throw TestSupportError("pg-cluster.sh \(command) failed: \(outcome.standardError)") }
        return outcome.standardOutput.trimmingWhitespace()
    }

    @Test("pg_ctl restart -m fast mid-run: exit 69 with a clear message, nothing loaded, the run recorded as failed, the next run succeeds",
          .enabled(if: TestPlatform.current == .plain, "restarts a private plain cluster of its own: run in the plain pass"))
    func serverRestartedMidRun() throws {
        let url = try Self.cluster("start")
        defer { _ = try? Self.cluster("stop") }
        #expect(try CommandLineRunner.run(["migrate", "--database-url", url]).status == 0)
        let folder = try GeneratedExport.make("restart", ["--users", "8000", "--seed", "3"])
        try PostgresConnection.withConnection(url: url) { connection in
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('kept@example.com')"#)
        }
        let before = try PostgresConnection.withConnection(url: url) { try $0.contentFingerprint() }
        for point in ["read: ", "insert users done"] {
            let command = try CommandLineRunner.start(["import", folder, "--database-url", url, "--reject-file", folder + "/rejects.jsonl"])
            #expect(command.waitForStandardError(containing: point), "\(command.standardError)")
            try Self.cluster("restart")
            command.waitUntilExit()
            #expect(command.process.terminationStatus == ExitStatus.unavailable.rawValue, "restarted after \(point): \(command.standardError)")
            #expect(command.standardError.contains("lost the connection to PostgreSQL"), "\(command.standardError)")
            #expect(command.standardError.contains("nothing was committed"))
            try PostgresConnection.withConnection(url: url) { connection throws in
                #expect(try connection.contentFingerprint() == before, "restarted after \(point)")
                let run = try connection.query("SELECT status, error FROM crm_private.crm_import_runs ORDER BY id DESC LIMIT 1").rows.first
                let (status, error) = (try run?.decode(String.self, "status"), try run?.decode(String?.self, "error") ?? nil)
                #expect(status == "failed")
                #expect(error?.contains("lost the connection") == true, "status \(String(describing: status)), error \(String(describing: error))")
            }
        }
        let outcome = try CommandLineRunner.run(["import", folder, "--database-url", url, "--reject-file", folder + "/rejects.jsonl"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        try PostgresConnection.withConnection(url: url) { connection throws in
            #expect(try connection.invariantViolations().isEmpty)
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_import_runs WHERE status = 'succeeded'").scalar(Int.self) == 1)
        }
    }

    @Test("a server crash (pg_ctl restart -m immediate) after some backfill chunks: exit 69, the re-run re-stages the emptied UNLOGGED staging and ends like a nightly import",
          .enabled(if: TestPlatform.current == .plain, "restarts a private plain cluster of its own: run in the plain pass"))
    func serverCrashedMidBackfill() throws {
        let expected = try BackfillTests.nightlyFingerprint()
        let url = try Self.cluster("start")
        defer { _ = try? Self.cluster("stop") }
        #expect(try CommandLineRunner.run(["migrate", "--database-url", url]).status == 0)
        let arguments = ["import", BackfillTests.export, "--mode", "backfill", "--chunk-rows", "150", "--database-url", url,
                         "--reject-file", NSTemporaryDirectory() + "bf-crash-\(UUID().uuidString).jsonl"]
        let command = try CommandLineRunner.start(arguments)
        var doneAtCrash = 0
        try PostgresConnection.withConnection(url: url) { watcher in
            for _ in 0..<1_500 where command.process.isRunning && doneAtCrash < 3 {
                usleep(10_000)
                doneAtCrash = try watcher.query("SELECT coalesce(max(array_length(done, 1)), 0) FROM crm_private.crm_backfill_state").scalar(Int?.self) ?? 0
            }
        }
        try Self.cluster("restart", environment: ["PG_RESTART_MODE": "immediate"])
        command.waitUntilExit()
        #expect(doneAtCrash >= 3, "the backfill ended before the crash")
        #expect(command.process.terminationStatus == ExitStatus.unavailable.rawValue, "\(command.standardError)")
        #expect(command.standardError.contains("run the same command again to resume"), "\(command.standardError)")
        let resumed = try CommandLineRunner.run(arguments)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        // Crash recovery empties UNLOGGED tables: the re-run must notice and stage again, not resume.
        #expect(!resumed.standardError.contains("resuming a backfill"), "\(resumed.standardError)")
        try PostgresConnection.withConnection(url: url) { connection throws in
            #expect(try connection.contentFingerprint() == expected)
            #expect(try connection.invariantViolations().isEmpty)
        }
    }

    /// Whether this process may mount a small tmpfs (root, with the capability), to fill a disk for real.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "crm-tmpfs-probe-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? CommandLineRunner.run(executable: "mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]))?.status == 0 else {
            return false
        }
        _ = try? CommandLineRunner.run(executable: "umount", [probe])
        return true
    }()

    @Test("a full disk under the reject file stops the import with 74 and commits nothing", .enabled(if: canMountTmpfs, "needs root and permission to mount a tmpfs"))
    func rejectFileDiskFull() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nok@example.com\nnot-an-email\n")
            let disk = harness.folder + "/full"
            try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
            #expect(try CommandLineRunner.run(executable: "mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk]).status == 0)
            defer { _ = try? CommandLineRunner.run(executable: "umount", [disk]) }
            // Fill it: dd stops at "No space left on device".
            _ = try CommandLineRunner.run(executable: "dd", ["if=/dev/zero", "of=\(disk)/filler", "bs=4k"])
            let outcome = try CommandLineRunner.run(["import", harness.folder + "/users.csv", "--database-url", database.url,
                                                     "--reject-file", disk + "/rejects.jsonl"])
            #expect(outcome.status == ExitStatus.ioError.rawValue, "\(outcome.standardError)")
            #expect(outcome.standardError.contains("cannot write to the reject file"))
            #expect(outcome.standardError.contains("No space left on device"))
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "failed")
        }
    }
}
