import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Backfill mode, through the binary")
struct BackfillTests {
    /// A generated export shared by the tests of this suite (same seed, same bytes).
    static let export: String = {
        let folder = NSTemporaryDirectory() + "crm-backfill-export-\(ProcessInfo.processInfo.processIdentifier)"
        if !FileManager.default.fileExists(atPath: folder + "/users.csv") {
            _ = try? GeneratedExport.make("backfill", ["--users", "1500", "--seed", "11"], into: folder)
        }
        return folder
    }()

    static func importInto(_ database: TestDatabase, _ options: [String]) throws -> CommandLineRunner.Outcome {
        try CommandLineRunner.run(["import", export, "--database-url", database.url,
                                   "--reject-file", NSTemporaryDirectory() + "bf-\(UUID().uuidString).jsonl"] + options)
    }

    /// The fingerprint after a nightly import of the export.
    static func nightlyFingerprint() throws -> String {
        try TestDatabase.withFresh { database throws in
            #expect(try importInto(database, []).status == 0)
            return try database.connect().contentFingerprint()
        }
    }

    @Test("backfill in chunks, with one or two connections, ends exactly like a nightly import", arguments: [["--jobs", "1"], ["--jobs", "2"]])
    func sameAsNightly(jobs: [String]) throws {
        let expected = try Self.nightlyFingerprint()
        try TestDatabase.withFresh { database throws in
            let outcome = try Self.importInto(database, ["--mode", "backfill", "--chunk-rows", "700"] + jobs)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let connection = try database.connect()
            #expect(try connection.contentFingerprint() == expected)
            #expect(try connection.invariantViolations().isEmpty)
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_backfill_state").scalar(Int.self) == 0)
            #expect(try connection.query("SELECT to_regclass('crm_private.crm_backfill_s_users') IS NULL").scalar(Bool.self))
        }
    }

    @Test("a backfill killed with -9 before its staging commits, right after it and after some chunks resumes on the next run and ends like an uninterrupted one")
    func resumeAfterKill() throws {
        let expected = try Self.nightlyFingerprint()
        try TestDatabase.withFresh { database throws in
            let watcher = try database.connect()
            func killBackfill(after boundary: String) throws {
                let command = try CommandLineRunner.start(["import", Self.export, "--mode", "backfill", "--chunk-rows", "150",
                                                           "--database-url", database.url, "--reject-file", NSTemporaryDirectory() + "bf-kill-\(UUID().uuidString).jsonl"])
                #expect(command.waitForStandardError(containing: boundary), "\(command.standardError)")
                kill(command.process.processIdentifier, SIGKILL)
                command.waitUntilExit()
                #expect(command.process.terminationReason == .uncaughtSignal, "the backfill ended before the kill after \"\(boundary)\"")
                try watcher.waitUntilImportsGone()
                #expect(try watcher.query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).scalar(Int.self) == 0)
            }
            // Reading done, staging not committed yet: only a few milliseconds remain, and on a busy machine
            // the kill can land after the commit. Then that attempt did not test this case: again, from scratch.
            var stagingCommitted = true
            for _ in 0..<5 where stagingCommitted {
                try watcher.query("DELETE FROM crm_private.crm_backfill_state")
                try killBackfill(after: "read: ")
                stagingCommitted = try watcher.query("SELECT count(*) FROM crm_private.crm_backfill_state").scalar(Int.self) != 0
            }
            #expect(!stagingCommitted, "in 5 attempts the kill always landed after the staging commit")
            try killBackfill(after: "read, validate and stage done")
            let process = try CommandLineRunner.start(["import", Self.export, "--mode", "backfill", "--chunk-rows", "150", "--database-url", database.url,
                                 "--reject-file", NSTemporaryDirectory() + "bf-kill-\(UUID().uuidString).jsonl"]).process
            var doneAtKill = 0
            for _ in 0..<600 where process.isRunning {
                usleep(20_000)
                let done = try? watcher.query("SELECT coalesce(array_length(done, 1), 0) FROM crm_private.crm_backfill_state").scalar(Int?.self)
                if let count = done ?? nil, count >= 3 {
                    doneAtKill = count
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
            }
            process.waitUntilExit()
            #expect(doneAtKill >= 3, "the backfill ended before it could be killed")
            #expect(process.terminationReason == .uncaughtSignal)
            let total = try watcher.query("SELECT chunks FROM crm_private.crm_backfill_state").scalar(Int?.self) ?? 0
            #expect(total > doneAtKill)
            let resumed = try Self.importInto(database, ["--mode", "backfill", "--chunk-rows", "150"])
            #expect(resumed.status == 0, "\(resumed.standardError)")
            #expect(resumed.standardError.contains("resuming a backfill"))
            #expect(try watcher.contentFingerprint() == expected)
            #expect(try watcher.invariantViolations().isEmpty)
        }
    }

    @Test("--jobs needs backfill mode")
    func jobsNeedBackfill() throws {
        let outcome = try CommandLineRunner.run(["import", Self.export, "--jobs", "2", "--database-url", "host=/nonexistent"])
        #expect(outcome.status == ExitStatus.usage.rawValue)
        #expect(outcome.standardError.contains("--jobs needs --mode backfill"))
    }
}
