import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// Users the CRM deleted (issue 25): a tombstone in the export removes the user with every row of theirs.
@Suite("Users the CRM deleted, through the binary")
struct RemovalTests {
    /// The rows of `email` in every CRM table, as `users/job requests/recordings/resumes/payments/ledger/stats`.
    static func rows(of email: String, _ harness: ImportHarness) throws -> String {
        try harness.scalar("""
            SELECT (SELECT count(*) FROM "digital_resume_by_CRM" WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_job_requests WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_recordings WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_resumes WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_payments WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_credit_ledger WHERE email = \(bind: email)) || '/'
                || (SELECT count(*) FROM crm_dashboard_stats WHERE email = \(bind: email))
            """) ?? ""
    }

    @Test("a user the export marks deleted goes with every row of theirs, their profile stays, their rows in the same export are rejected",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func tombstone(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            let outcome = try IdentityTests.importDelta([
                "users.csv": "email,deleted\nANN@example.com,true\nbob@example.com,false\n",
                "job_requests.csv": "email,external_id,job_title\nann@example.com,JR9,Welder\n",
            ], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try Self.rows(of: "bob@example.com", harness) == "1/1/0/0/0/1/1", "a user marked not deleted stays as it was")
            #expect(try harness.scalar("SELECT credits FROM profiles WHERE email = 'ann@example.com'") == "6", "the app's account stays: 4 + 3 - 1")
            #expect(try harness.rejectSummary() == ["unknown_user@2"])
            #expect(try harness.rejects().first?["message"] as? String == "the user is removed by this import (deleted in the export)")
            #expect(outcome.standardOutput.contains("DELETED"))
            let users = outcome.standardOutput.split(separator: "\n").first { $0.hasPrefix("users ") }.map(String.init) ?? ""
            #expect(users.split(separator: " ").last == "1", "\(outcome.standardOutput)")
            #expect(try harness.scalar("SELECT counts->'recordings'->>'deleted' FROM crm_private.crm_import_runs ORDER BY id DESC LIMIT 1") == "1")
            let report = try CommandLineRunner.run(["report", "imports", "--format", "csv", "--database-url", database.url])
            #expect(report.standardOutput.split(whereSeparator: \.isNewline).dropFirst().first?.contains(",5,0,0,0,") == true,
                    "the latest run's deleted, erased, renamed, merged: \(report.standardOutput)")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("a Salesforce Data Export taken with deleted records: the contact with IsDeleted true goes, through the shipped mapping")
    func salesforceIsDeleted() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            let outcome = try IdentityTests.importDelta([
                "Contact.csv": "Id,Email,FirstName,IsDeleted\n0035g00000AnnAAA,ann@example.com,Ann,true\n0035g00000BobAAA,bob@example.com,Bob,false\n",
            ], harness, ["--mapping", SharedFolder.projectRoot + "/pipelines/mappings/salesforce-contacts.yml"])

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try harness.scalar(#"SELECT crm_user_id FROM "digital_resume_by_CRM""#) == "0035g00000BobAAA")
        }
    }

    @Test("a later row of the same user wins: deleted then not deleted keeps the user; an unknown user marked deleted is nothing to remove")
    func laterRowWins() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            let outcome = try IdentityTests.importDelta(["users.csv": "email,deleted\nann@example.com,1\nann@example.com,0\nnobody@example.com,yes\n"], harness)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.rows(of: "ann@example.com", harness) == "1/1/1/1/1/3/1")
            #expect(try Self.rows(of: "nobody@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(!outcome.standardOutput.contains("DELETED"), "nothing was removed")
        }
    }

    @Test("more removals than --max-deletes or --max-delete-rate allow: exit 65, nothing removed; a higher limit lets them through",
          arguments: [["--mode", "nightly"], ["--mode", "backfill"]])
    func guards(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            let emails = (1...12).map { "user\($0)@example.com" }
            harness.write("users.csv", "email\n" + emails.joined(separator: "\n") + "\n")
            #expect(try harness.run().status == 0)
            let delta = harness.folder + "/delta"
            try FileManager.default.createDirectory(atPath: delta, withIntermediateDirectories: true)
            harness.write("delta/users.csv", "email,deleted\n" + emails.prefix(11).map { "\($0),true" }.joined(separator: "\n") + "\n")

            let byRate = try harness.run([delta], mode)
            #expect(byRate.status == ExitStatus.dataError.rawValue)
            #expect(byRate.standardError.contains("would remove 11 of the 12 stored users, over the limit (--max-delete-rate 0.1)"), "\(byRate.standardError)")
            let byCount = try harness.run([delta], mode + ["--max-delete-rate", "1", "--max-deletes", "10"])
            #expect(byCount.status == ExitStatus.dataError.rawValue)
            #expect(byCount.standardError.contains("(--max-deletes 10)"))
            #expect(try harness.scalar(#"SELECT count(*) FROM "digital_resume_by_CRM""#) == "12")

            let allowed = try harness.run([delta], mode + ["--max-delete-rate", "1"])
            #expect(allowed.status == 0, "\(allowed.standardError)")
            #expect(try harness.scalar(#"SELECT count(*) FROM "digital_resume_by_CRM""#) == "1")
        }
    }
}
