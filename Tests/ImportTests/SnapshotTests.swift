import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// `--users-snapshot` (issue 25): an import's users are its source's complete list, and the stored users of
/// that source it no longer names are removed.
@Suite("Snapshots of a source's users, through the binary")
struct SnapshotTests {
    /// Imports `users` (emails) as a users file of their own, with `arguments`; returns the outcome.
    @discardableResult
    static func importUsers(_ users: [String], _ harness: ImportHarness, _ arguments: [String] = []) throws -> CommandLineRunner.Outcome {
        let folder = harness.folder + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ("email\n" + users.map { $0 + "\n" }.joined()).write(toFile: folder + "/users.csv", atomically: true, encoding: .utf8)
        return try harness.run([folder], arguments)
    }

    static func stored(_ harness: ImportHarness) throws -> String {
        try harness.scalar(#"SELECT string_agg(split_part(email, '@', 1), ',' ORDER BY email) FROM "digital_resume_by_CRM""#) ?? ""
    }

    @Test("a snapshot removes the stored users it does not name, with their rows; a user the app created (no source) stays",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func absentUsersGo(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.importUsers(["ann@example.com", "bob@example.com", "cy@example.com"], harness)
            harness.write("job_requests.csv", "email,external_id,job_title\ncy@example.com,JR1,Nurse\n")
            #expect(try harness.run([harness.folder + "/job_requests.csv"]).status == 0)
            try database.connect().query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('app.made@example.com')"#)

            let outcome = try Self.importUsers(["ann@example.com", "bob@example.com"], harness, ["--users-snapshot"] + mode)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.stored(harness) == "ann,app.made,bob")
            #expect(try harness.scalar("SELECT count(*) FROM crm_job_requests") == "0", "cy's job request went with cy")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("two sources never remove each other's users: a user both have goes when the last one drops it",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func twoSources(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.importUsers(["ann@example.com", "bob@example.com"], harness, ["--source", "crm-a"])
            try Self.importUsers(["bob@example.com", "dan@example.com"], harness, ["--source", "crm-b"])

            #expect(try Self.importUsers(["ann@example.com"], harness, ["--source", "crm-a", "--users-snapshot"] + mode).status == 0)
            #expect(try Self.stored(harness) == "ann,bob,dan", "crm-b still has bob")
            #expect(try Self.importUsers(["dan@example.com"], harness, ["--source", "crm-b", "--users-snapshot"] + mode).status == 0)
            #expect(try Self.stored(harness) == "ann,dan", "no source has bob any more")
        }
    }

    @Test("--dry-run lists the users a snapshot would remove in the reject file (reason removed) and removes none")
    func dryRunLists() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.importUsers(["ann@example.com", "bob@example.com", "cy@example.com"], harness)
            let outcome = try Self.importUsers(["ann@example.com"], harness, ["--users-snapshot", "--dry-run"])

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.stored(harness) == "ann,bob,cy")
            let listed = try harness.rejects().filter { $0["reason"] as? String == "removed" }
            #expect(listed.map { $0["value"] as? String } == ["bob@example.com", "cy@example.com"])
            #expect(listed.first?["message"] as? String == "would be removed with all its rows: absent from the snapshot of source default")
            #expect(outcome.standardOutput.contains("DELETED"))
        }
    }

    @Test("a snapshot with a users row whose email cannot be read, or naming too few users, removes nobody: exit 65")
    func refusals() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            let users = (1...12).map { "user\($0)@example.com" }
            try Self.importUsers(users, harness)

            let unreadable = try Self.importUsers(["user1@example.com", "not an email"], harness, ["--users-snapshot", "--max-delete-rate", "1"])
            #expect(unreadable.status == ExitStatus.dataError.rawValue)
            #expect(unreadable.standardError.contains("1 users row(s) of this snapshot were rejected without a readable email"), "\(unreadable.standardError)")
            let truncated = try Self.importUsers(["user1@example.com"], harness, ["--users-snapshot"])
            #expect(truncated.status == ExitStatus.dataError.rawValue)
            #expect(truncated.standardError.contains("would remove 11 of the 12 stored users"), "\(truncated.standardError)")
            #expect(try harness.scalar(#"SELECT count(*) FROM "digital_resume_by_CRM""#) == "12")
        }
    }

    @Test("the same snapshot file again is skipped as imported before, and removes nobody")
    func skippedSnapshot() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.importUsers(["ann@example.com", "bob@example.com"], harness)
            harness.write("users.csv", "email\nann@example.com\n")
            #expect(try harness.run([harness.folder + "/users.csv"], ["--users-snapshot"]).status == 0)
            #expect(try Self.stored(harness) == "ann")
            try Self.importUsers(["bob@example.com"], harness)
            let again = try harness.run([harness.folder + "/users.csv"], ["--users-snapshot"])
            #expect(again.status == 0)
            #expect(again.standardError.contains("no user is removed as absent this run"))
            #expect(try Self.stored(harness) == "ann,bob")
        }
    }
}
