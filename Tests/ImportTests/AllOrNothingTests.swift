import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Nightly imports are all or nothing, through the binary")
struct AllOrNothingTests {
    static let goodUsers = "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n"

    @Test("a malformed second file refuses the whole run: exit 65, nothing loaded, the run recorded as failed")
    func malformedSecondFile() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.goodUsers)
            harness.write("users_z.csv", "email,first_name\ncyd@example.com,\"never closed\n")
            let outcome = try harness.run()
            #expect(outcome.status == ExitStatus.dataError.rawValue)
            #expect(outcome.standardError.contains("users_z.csv:2: error: a quoted field starts here and is never closed"))
            // One `error:` on the line, in the compilers' form: the file first.
            let errorLine = try #require(outcome.standardError.split(separator: "\n").first { $0.contains("never closed") })
            #expect(errorLine.hasPrefix(harness.folder + "/users_z.csv:2: error: "), "\(errorLine)")
            #expect(errorLine.components(separatedBy: "error:").count == 2, "\(errorLine)")
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "failed")
            #expect(try harness.scalar("SELECT error FROM crm_private.crm_import_runs")?.contains("never closed") == true)
        }
    }

    @Test("a file malformed after megabytes of its rows were streamed into the staging: exit 65 naming the line (not the COPY left open), nothing loaded")
    func malformedAfterStreaming() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let rows = 40_000
            let valid = (0..<rows).map { "user\($0)@example.com,First\($0)\n" }.joined()
            harness.write("users.csv", "email,first_name\n" + valid + "late@example.com,\"never closed\n")
            let outcome = try harness.run()
            #expect(outcome.status == ExitStatus.dataError.rawValue, "\(outcome.standardError)")
            #expect(outcome.standardError.contains("users.csv:\(rows + 2): error: a quoted field starts here and is never closed"))
            #expect(!outcome.standardError.contains("COPY"), "the reading's error, not the aborted COPY's: \(outcome.standardError)")
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "failed")
        }
    }

    @Test("rejects over --max-errors or --max-error-rate: exit 65, nothing committed", arguments: [
        ["--max-errors", "1"], ["--max-error-rate", "0.3"],
    ])
    func thresholds(arguments: [String]) throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.goodUsers + "bad-1,X\nbad-2,Y\n")
            let outcome = try harness.run(nil, arguments)
            #expect(outcome.status == ExitStatus.dataError.rawValue)
            #expect(outcome.standardError.contains("2 of 4 rows were rejected"))
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.rejects().count == 2)
            let underLimit = try harness.run(nil, ["--max-errors", "2", "--force"])
            #expect(underLimit.status == 0)
            #expect(try harness.counts() == "2/0/0/0/0/2")
        }
    }

    @Test("--dry-run checks everything and changes nothing")
    func dryRun() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.goodUsers + "bad,Z\n")
            let outcome = try harness.run(nil, ["--dry-run"])
            #expect(outcome.status == 0)
            #expect(outcome.standardOutput.contains("dry run"))
            #expect(outcome.standardOutput.contains("users            3         2"))
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "dry_run")
            // A dry run does not count as imported: the real run reads the files.
            #expect(try harness.run().standardOutput.contains("users            3         2"))
        }
    }

    @Test("a second import while one holds the lock exits 75 at once and loads nothing; a whole-database catch-up does nothing meanwhile")
    func concurrentImport() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.goodUsers)
            let holder = try database.connect()
            try holder.query("SELECT pg_advisory_lock($1)", [Int64(0x4352_4D5F_494D_5054)])
            let start = Date()
            let outcome = try harness.run()
            #expect(outcome.status == ExitStatus.temporaryFailure.rawValue)
            #expect(Date().timeIntervalSince(start) < 10)
            #expect(outcome.standardError.contains("another import is running"))
            #expect(try harness.counts() == "0/0/0/0/0/0")

            // Meanwhile a whole-database catch-up (cron's, on Citus) does nothing, rather than wait for the
            // import or deadlock with it; once the lock is free it does its work.
            let cron = try database.connect()
            try cron.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('lag@example.com')"#)
            try cron.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                try connection.query("UPDATE profiles SET credits = 9 WHERE email = 'lag@example.com'")
                return .commit(())
            }
            #expect(try cron.query("SELECT count(*) FROM crm_private.crm_profiles_catch_up()").scalar(Int.self) == 0)
            try holder.query("SELECT pg_advisory_unlock($1)", [Int64(0x4352_4D5F_494D_5054)])
            #expect(try cron.query("SELECT change FROM crm_private.crm_profiles_catch_up()").scalar(String.self) == "profile credits 9 -> 4, the balance")
        }
    }

    @Test("a connection killed mid-load leaves every table as it was, exits 69, and the run says so")
    func connectionKilled() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.goodUsers)
            var rows = "email,external_id,video_url,credit_charged\n"
            for n in 0..<150_000 { rows += "ann@example.com,R\(n),https://cdn.example.com/videos/\(n).mp4,false\n" }
            harness.write("recordings.csv", rows)
            let process = try CommandLineRunner.start(["import", harness.folder, "--database-url", database.url, "--reject-file", harness.rejectFile]).process
            let killer = try database.connect()
            var killed = false
            for _ in 0..<400 where !killed {
                usleep(50_000)
                killed = try killer.query("""
                    SELECT count(pg_terminate_backend(pid)) > 0 FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'crm-pipeline' AND state <> 'idle'
                      AND pid <> pg_backend_pid()
                    """).scalar(Bool.self)
            }
            process.waitUntilExit()
            #expect(killed, "the import finished before it could be killed")
            #expect(process.terminationStatus == ExitStatus.unavailable.rawValue)
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "failed")
        }
    }
}
