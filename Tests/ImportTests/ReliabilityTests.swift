import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Reliability, through the binary")
struct ReliabilityTests {
    @Test("a reject file that cannot be created stops the import with 73 and commits nothing")
    func rejectFileUnwritable() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nok@example.com\nnot-an-email\n")
            // A path under a regular file cannot be created, even by root.
            let outcome = try CommandLineRunner.run(["import", harness.folder, "--database-url", database.url,
                                                     "--reject-file", harness.folder + "/users.csv/rejects.jsonl"])
            #expect(outcome.status == ExitStatus.cannotCreate.rawValue, "\(outcome.standardError)")
            #expect(outcome.standardError.contains("cannot create the reject file"))
            #expect(try harness.counts() == "0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT status FROM crm_private.crm_import_runs") == "failed")
        }
    }

    @Test("whole imports of mutated exports end in exit 0 or 65, and the data stays consistent")
    func fuzzedImports() throws {
        let count = Int(ProcessInfo.processInfo.environment["FUZZ_IMPORTS"] ?? "") ?? 8
        let original = Array(FileManager.default.contents(atPath: SharedFolder.projectRoot + "/samples/csv/recordings.csv") ?? Data())
        let users = try String(contentsOfFile: SharedFolder.projectRoot + "/samples/csv/users.csv", encoding: .utf8)
        try TestDatabase.withFresh { database throws in
            var state: UInt64 = 7
            for index in 0..<count {
                let harness = ImportHarness(database)
                harness.write("users.csv", users)
                var bytes = original
                for _ in 0..<3 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let at = Int((state >> 33) % UInt64(bytes.count))
                    switch (state >> 20) % 5 {
                    case 0: bytes[at] ^= 0x41
                    case 1: bytes.insert(UInt8(ascii: "\""), at: at)
                    case 2: bytes.insert(contentsOf: [0xFF, 0x00], at: at)
                    case 3: bytes.insert(0x00, at: at)  // valid UTF-8, but not storable in text
                    default: bytes = Array(bytes.prefix(at))
                    }
                }
                _ = FileManager.default.createFile(atPath: harness.folder + "/recordings.csv", contents: Data(bytes))
                let outcome = try harness.run(nil, ["--force"])
                // Never 70: every mutation is the data's fault, found and located by the reader.
                #expect([0, 65].contains(outcome.status), "case \(index): \(outcome.status) \(outcome.standardError)")
                if outcome.status == 65 { #expect(outcome.standardError.contains("recordings.csv"), "case \(index)") }
                #expect(try database.connect().invariantViolations().isEmpty, "case \(index)")
            }
        }
    }

    @Test("an import while the app inserts rows for the same users: no deadlock, stats and credits exact")
    func importWhileAppWrites() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let setup = try database.connect()
            try setup.query(#"INSERT INTO "digital_resume_by_CRM" (email) SELECT 'user' || n || '@example.com' FROM generate_series(1, 50) n"#)
            try setup.query("INSERT INTO crm_payments (email, amount_cents, paid_at) SELECT 'user' || n || '@example.com', 500, now() FROM generate_series(1, 50) n, generate_series(1, 20)")
            var rows = "email,external_id,video_url,credit_charged\n"
            for n in 1...50 { for k in 0..<40 { rows += "user\(n)@example.com,IMP\(k),https://v.example.com/\(n)/\(k),false\n" } }
            harness.write("recordings.csv", rows)
            let process = try CommandLineRunner.start(["import", harness.folder, "--database-url", database.url, "--reject-file", harness.rejectFile]).process
            let app = try database.connect()
            var appInserts = 0
            while process.isRunning || appInserts < 100 {
                let n = appInserts % 50 + 1
                try app.query("INSERT INTO crm_recordings (email, video_url) VALUES ($1, 'https://v.example.com/app')", ["user\(n)@example.com"])
                appInserts += 1
                if appInserts >= 1_000 { break }
            }
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(try setup.query("SELECT count(*) FROM crm_recordings").scalar(Int.self) == 2_000 + appInserts)
            let violations = try setup.invariantViolations()
            #expect(violations.isEmpty, "\(violations.prefix(5))")
        }
    }
}

@Suite("Killing a nightly import, through the binary", .serialized)
struct KillTests {
    /// Points of a nightly import, by the line its log shows on reaching them: right after each stage.
    /// (The last one, after the final writes, is left out: the kill would race the commit.)
    static let stageBoundaries = [
        "read, validate and stage done", "deduplicate done", "check references and credits done",
        "insert users done", "insert job_requests done", "insert recordings done", "insert resumes done", "insert payments done",
        "open new users' accounts done",
    ]

    @Test("kill -9 inside COPY and at every stage boundary of a nightly import: every table as before, the lock released, the next run succeeds and records the dead ones")
    func killNightlyAtEveryStage() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let connection = try database.connect()
            // Some data already there, which must survive untouched.
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('kept@example.com')"#)
            let before = try connection.contentFingerprint()
            try GeneratedExport.make("reliability", ["--users", "8000", "--seed", "5"], into: harness.folder)
            let watcher = try database.connect()
            let copying: SQLQuery = "SELECT count(*) > 0 FROM pg_stat_progress_copy WHERE datname = current_database()"
            let points: [(name: String, reached: (RunningCommand) throws -> Bool)] =
                [("inside the staging COPY", { command in
                    for _ in 0..<60_000 where command.process.isRunning {
                        if try watcher.query(copying).scalar(Bool.self) { return true }
                        usleep(1_000)
                    }
                    return false
                })] + Self.stageBoundaries.map { line in (line, { $0.waitForStandardError(containing: line) }) }
            for point in points {
                let command = try CommandLineRunner.start(["import", harness.folder, "--database-url", database.url, "--reject-file", harness.rejectFile])
                let reached = try point.reached(command)
                kill(command.process.processIdentifier, SIGKILL)
                command.waitUntilExit()
                #expect(reached, "the import never reached \(point.name): \(command.standardError)")
                #expect(command.process.terminationReason == .uncaughtSignal, "the import ended before the kill \(point.name)")
                try connection.waitUntilImportsGone()
                #expect(try connection.contentFingerprint() == before, "killed \(point.name)")
                #expect(try connection.query(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").scalar(Int.self) == 0)
            }
            let outcome = try harness.run()
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_import_runs WHERE status = 'running'").scalar(Int.self) == 0)
            #expect(try connection.query("SELECT count(*) FROM crm_private.crm_import_runs WHERE error LIKE 'interrupted:%'").scalar(Int.self)
                == points.count)
            #expect(try connection.invariantViolations().isEmpty)
        }
    }

    @Test("kill -9 while an import renames and removes users (after the moves, before and during the deletes): every table as before; the next run does it all")
    func killWhileRemoving() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let connection = try database.connect()
            let base = harness.folder + "/base", delta = harness.folder + "/delta"
            try GeneratedExport.make("mirror-base", ["--users", "3000", "--seed", "6", "--bad-rows", "0", "--duplicates", "0"], into: base)
            #expect(try harness.run([base]).status == 0)
            // A thousand users deleted in the CRM, fifty renamed.
            let emails = try connection.query(#"SELECT email, crm_user_id FROM "digital_resume_by_CRM" ORDER BY email LIMIT 1050"#).rows
                .map { (try $0.decode(String.self, "email"), try $0.decode(String?.self, "crm_user_id")) }
            try FileManager.default.createDirectory(atPath: delta, withIntermediateDirectories: true)
            try ("email,crm_user_id,deleted\n" + emails.enumerated().map { index, user in
                index < 1000 ? "\(user.0),,true\n" : "renamed.\(user.0),\(user.1 ?? ""),false\n"
            }.joined()).write(toFile: delta + "/users.csv", atomically: true, encoding: .utf8)
            let before = try connection.contentFingerprint()
            let watcher = try database.connect()
            // Inside the deletes, deterministically: another session holds a resume of a user the import removes, so
            // the import's delete of resumes waits on it, after the job requests and recordings went.
            let held = try connection.query("""
                SELECT x.email FROM crm_resumes x WHERE x.email = ANY (\(bind: emails.prefix(1000).map(\.0))::text[]) ORDER BY x.email LIMIT 1
                """).scalar(String.self)
            let deleting: SQLQuery = """
                SELECT count(*) > 0 AS waiting FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'crm-pipeline' AND wait_event_type = 'Lock'
                  AND query LIKE '%DELETE FROM "public"."crm_resumes"%'
                """
            let points: [(name: String, reached: (RunningCommand) throws -> Bool)] = [
                ("check references and credits done", { $0.waitForStandardError(containing: "check references and credits done") }),
                ("open new users' accounts done", { $0.waitForStandardError(containing: "open new users' accounts done") }),
                ("inside the deletes", { command in
                    for _ in 0..<3_000 where command.process.isRunning {
                        if try watcher.query(deleting).scalar(Bool.self) { return true }
                        usleep(10_000)
                    }
                    return false
                }),
            ]
            for point in points {
                let holder = try database.connect()
                if point.name == "inside the deletes" {
                    try holder.query("BEGIN")
                    try holder.query("SELECT count(*) AS n FROM (SELECT 1 FROM crm_resumes WHERE email = \(bind: held) FOR UPDATE) locked")
                }
                let command = try CommandLineRunner.start(
                    ["import", delta, "--database-url", database.url, "--reject-file", harness.rejectFile, "--max-delete-rate", "1"])
                let reached = try point.reached(command)
                kill(command.process.processIdentifier, SIGKILL)
                command.waitUntilExit()
                if point.name == "inside the deletes" { try holder.query("ROLLBACK") }
                #expect(reached, "the import never reached \(point.name): \(command.standardError)")
                try connection.waitUntilImportsGone()
                #expect(try connection.contentFingerprint() == before, "killed \(point.name)")
            }
            let outcome = try harness.run([delta], ["--max-delete-rate", "1"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try connection.query(#"SELECT count(*) FROM "digital_resume_by_CRM" WHERE email LIKE 'renamed.%'"#).scalar(Int.self) == 50)
            #expect(try connection.query(#"SELECT count(*) FROM "digital_resume_by_CRM""#).scalar(Int.self) == 2000)
            #expect(try connection.invariantViolations().isEmpty)
        }
    }

    @Test("sslmode=require is honoured: a server without SSL is refused (exit 69), not silently used",
          .enabled(if: TestPlatform.current == .plain, "needs TCP: the Supabase-shaped cluster listens on its socket only"))
    func sslRequired() throws {
        try TestDatabase.withFresh { database throws in
            // Over TCP: libpq ignores sslmode on a Unix socket.
            let settings = try ConnectionString(database.url).settings
            let url = "host=127.0.0.1 port=\(settings["port"] ?? "5432") dbname=\(database.name) user=postgres sslmode=require"
            let plain = try CommandLineRunner.run(["migrate", "--status", "--database-url", url.replacingOccurrences(of: "require", with: "disable")])
            #expect(plain.status == 0, "\(plain.standardError)")
            let outcome = try CommandLineRunner.run(["migrate", "--status", "--database-url", url])
            #expect(outcome.status == ExitStatus.unavailable.rawValue)
            #expect(outcome.standardError.lowercased().contains("ssl"), "\(outcome.standardError)")
        }
    }
}

@Suite("Hostile values and names, through the binary")
struct InjectionTests {
    static let hostile = #"'); DROP TABLE crm_recordings; -- "quoted" \back\slash"#

    @Test("SQL in every field and in mapped column names is data, never SQL")
    func hostileValuesAndColumns() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let column = #"Name"); DROP TABLE profiles; --"#
            let mapping = harness.write("m.yml", "users:\n  columns:\n    first_name: '\(column)'\n    last_name: \"\\\"\"\n")
            let quoted = { (text: String) in "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            harness.write("users.csv", "email,\(quoted(column)),\(quoted("\""))\nann@example.com,\(quoted(Self.hostile)),\(quoted(Self.hostile))\n")
            harness.write("job_requests.csv", "email,external_id,job_title,company_name,status\nann@example.com,\(quoted(Self.hostile)),\(quoted(Self.hostile)),\(quoted(Self.hostile)),\(quoted(Self.hostile))\n")
            let outcome = try harness.run(nil, ["--mapping", mapping])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.scalar(#"SELECT first_name FROM "digital_resume_by_CRM""#) == Self.hostile)
            #expect(try harness.scalar(#"SELECT last_name FROM "digital_resume_by_CRM""#) == Self.hostile)
            #expect(try harness.scalar("SELECT external_id || '|' || job_title || '|' || company_name FROM crm_job_requests")
                == [Self.hostile, Self.hostile, Self.hostile].joined(separator: "|"))
            #expect(try harness.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('crm_recordings', 'profiles')") == "2")
            #expect(try harness.invariantViolations().isEmpty)
        }
    }
}
