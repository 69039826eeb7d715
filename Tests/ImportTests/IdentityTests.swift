import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// Renames and merges (issue 25): a contact whose email changed in the CRM, and one merged into another.
@Suite("Renamed and merged users, through the binary")
struct IdentityTests {
    /// Ann (CRM id C-ANN: a job request, a charged recording, a resume, a payment; 6 credits) and Bob (C-BOB: a
    /// job request; 4 credits), imported.
    static func annAndBob(_ harness: ImportHarness) throws {
        let base = harness.folder + "/base"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        harness.write("base/users.csv", "email,crm_user_id,first_name\nann@example.com,C-ANN,Ann\nbob@example.com,C-BOB,Bob\n")
        harness.write("base/job_requests.csv", "email,external_id,job_title\nann@example.com,JR1,Nurse\nbob@example.com,JR1,Pilot\n")
        harness.write("base/recordings.csv", "email,external_id,job_request_external_id,video_url,credit_charged\nann@example.com,R1,JR1,https://v.example.com/1.mp4,true\n")
        harness.write("base/resumes.csv", "email,external_id,file_url\nann@example.com,CV1,https://f.example.com/1.pdf\n")
        harness.write("base/payments.csv", "email,external_id,amount_cents,currency,paid_at\nann@example.com,P1,900,EUR,2025-05-01T10:00:00Z\n")
        let outcome = try harness.run([base])
        guard outcome.status == 0 else { throw TestSupportError("the base import exited \(outcome.status): \(outcome.standardError)") }
    }

    /// Writes `files` (name → CSV) into a fresh folder of the harness and imports it with `arguments`.
    static func importDelta(_ files: [String: String], _ harness: ImportHarness, _ arguments: [String] = []) throws -> CommandLineRunner.Outcome {
        let folder = harness.folder + "/" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return try harness.run([folder], arguments)
    }

    /// `applications/recordings/resumes credits` of `email`'s stats and the profile's credits.
    static func account(_ email: String, _ harness: ImportHarness) throws -> String {
        try harness.scalar("""
            SELECT s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes || ' ' || s.credits || ' ' || p.credits
            FROM crm_dashboard_stats s JOIN profiles p ON p.email = s.email WHERE s.email = \(bind: email)
            """) ?? "none"
    }

    /// Every stats row as `email:applications/recordings:credits`, in email order.
    static func stats(_ harness: ImportHarness) throws -> String? {
        try harness.scalar("""
            SELECT string_agg(email || ':' || total_applications || '/' || total_recordings || ':' || credits, ',' ORDER BY email) FROM crm_dashboard_stats
            """)
    }

    @Test("a contact whose email changed (same crm_user_id) is renamed: every row follows, credits unchanged, the new email's account linked",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func rename(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try database.signUp("ann@example.com")
            try Self.annAndBob(harness)
            let account = try database.signUp("anne.new@example.com")
            let outcome = try Self.importDelta([
                "users.csv": "email,crm_user_id,first_name\nanne.new@example.com,C-ANN,Anne\n",
                "job_requests.csv": "email,external_id,job_title\nanne.new@example.com,JR2,Welder\n",
            ], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try RemovalTests.rows(of: "anne.new@example.com", harness) == "1/2/1/1/1/3/1")
            #expect(try Self.account("anne.new@example.com", harness) == "2/1/1 6 6", "the base's 4 + 3 - 1, untouched")
            #expect(try harness.scalar(#"SELECT first_name || ' ' || user_id FROM "digital_resume_by_CRM" WHERE email = 'anne.new@example.com'"#)
                    == "Anne \(account)")
            #expect(try harness.scalar("""
                SELECT count(*) FROM (
                    SELECT user_id FROM crm_job_requests WHERE email = 'anne.new@example.com'
                    UNION ALL SELECT user_id FROM crm_recordings WHERE email = 'anne.new@example.com'
                    UNION ALL SELECT user_id FROM crm_resumes WHERE email = 'anne.new@example.com'
                    UNION ALL SELECT user_id FROM crm_payments WHERE email = 'anne.new@example.com'
                    UNION ALL SELECT user_id FROM crm_credit_ledger WHERE email = 'anne.new@example.com'
                    UNION ALL SELECT user_id FROM crm_dashboard_stats WHERE email = 'anne.new@example.com') r
                WHERE r.user_id IS DISTINCT FROM \(bind: account)::uuid
                """) == "0", "every row carries the new email's account")
            #expect(try harness.scalar("SELECT user_id FROM profiles WHERE email = 'anne.new@example.com'") == account)
            #expect(outcome.standardOutput.contains("RENAMED"), "\(outcome.standardOutput)")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("a rename onto an email another stored user has is rejected (identity_conflict): both users stay as they were",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func renameConflict(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let outcome = try Self.importDelta([
                "users.csv": "email,crm_user_id\nbob@example.com,C-ANN\n",
                "job_requests.csv": "email,external_id,job_title\nbob@example.com,JR7,Welder\n",
            ], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.rejectSummary() == ["identity_conflict@2", "unknown_user@2"])
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "1/1/1/1/1/3/1")
            #expect(try RemovalTests.rows(of: "bob@example.com", harness) == "1/1/0/0/0/1/1")
        }
    }

    /// With `--chunk-rows 1`, ann's old email and the new one fall in two chunks (bob's bound lies between them).
    @Test("in a snapshot, a renamed user's old email is named by its CRM id: the rename carries its rows; a refused rename removes neither user",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func renameInSnapshot(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let snapshot = ["--users-snapshot", "--max-delete-rate", "1"] + mode
            let renamed = try Self.importDelta(["users.csv": "email,crm_user_id\nzoe@example.com,C-ANN\nbob@example.com,C-BOB\n"], harness, snapshot)
            #expect(renamed.status == 0, "\(renamed.standardError)")
            #expect(try RemovalTests.rows(of: "zoe@example.com", harness) == "1/1/1/1/1/3/1", "ann's rows, under her new email")
            #expect(try Self.account("zoe@example.com", harness) == "1/1/1 6 6")

            let refused = try Self.importDelta(["users.csv": "email,crm_user_id\nbob@example.com,C-ANN\n"], harness, snapshot)
            #expect(refused.status == 0, "\(refused.standardError)")
            #expect(try RemovalTests.rows(of: "zoe@example.com", harness) == "1/1/1/1/1/3/1", "C-ANN is named: zoe is not absent")
            #expect(try RemovalTests.rows(of: "bob@example.com", harness) == "1/1/0/0/0/1/1")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("a contact merged into another (deleted, merged_into by CRM id or email): its rows move, the app's too, stats and credits add up, its account keeps 0",
          arguments: ["C-BOB", "bob@example.com"], [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func merge(into winner: String, mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            // A job request Ann made in the app: no external id.
            try database.connect().query("INSERT INTO crm_job_requests (email, job_title) VALUES ('ann@example.com', 'Made in the app')")
            let outcome = try Self.importDelta([
                "users.csv": "email,crm_user_id,deleted,merged_into\nann@example.com,C-ANN,true,\(winner)\n",
                "resumes.csv": "email,external_id,file_url\nann@example.com,CV2,https://f.example.com/2.pdf\n",
            ], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            // Bob's JR1 and Ann's JR1 share an external id: Ann's keeps its own under a suffix.
            #expect(try RemovalTests.rows(of: "bob@example.com", harness) == "1/3/1/2/1/4/1")
            #expect(try harness.scalar("SELECT count(*) FROM crm_job_requests WHERE email = 'bob@example.com' AND job_title = 'Made in the app'") == "1")
            #expect(try Self.account("bob@example.com", harness) == "3/1/2 10 10", "Bob's 4 and Ann's 6")
            #expect(try harness.scalar("SELECT credits FROM profiles WHERE email = 'ann@example.com'") == "0")
            #expect(try harness.scalar("SELECT count(*) FROM crm_job_requests WHERE email = 'bob@example.com' AND external_id LIKE 'JR1~%'") == "1")
            #expect(outcome.standardOutput.contains("MERGED"))
            #expect(try harness.invariantViolations() == [])
        }
    }

    /// With `--chunk-rows 1`, every user of the delta is a chunk of its own: the backfill must still see both emails
    /// of a rename and of a merge at once (BackfillChunk.identities).
    @Test("a contact merged into a user new in the same import, and a rename with a row under the old email, end as a nightly's in any chunking",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"], ["--mode", "backfill", "--jobs", "1", "--chunk-rows", "1"]])
    func identitiesAcrossChunks(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let outcome = try Self.importDelta([
                "users.csv": "email,crm_user_id,deleted,merged_into\nann@example.com,C-ANN,true,C-ZED\nzed@example.com,C-ZED,false,\nrobert@example.com,C-BOB,false,\n",
                "job_requests.csv": "email,external_id,job_title\nbob@example.com,JR9,Welder\nzed@example.com,JR5,Cook\n",
            ], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.rejectSummary() == [])
            #expect(try Self.stats(harness) == "robert@example.com:2/0:4,zed@example.com:2/1:6", "zed has Ann's rows and balance, robert Bob's and JR9")
            #expect(try harness.invariantViolations() == [])
        }
    }

    /// What a chunk's deduplication makes of several users rows of one email decides, not any single row.
    @Test("a merge whose deleted and merged_into come from two rows of the email, and a snapshot tombstone carrying a stored user's CRM id, end as a nightly's",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func identitiesFromMergedRows(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let merged = try Self.importDelta([
                "users.csv": "email,crm_user_id,deleted,merged_into\nann@example.com,C-ANN,true,\nann@example.com,C-ANN,,zed@example.com\nzed@example.com,C-ZED,,\n",
            ], harness, mode)
            #expect(merged.status == 0, "\(merged.standardError)")
            #expect(try harness.rejectSummary() == [])
            #expect(try Self.stats(harness) == "bob@example.com:1/0:4,zed@example.com:1/1:6", "ann merged into zed")
        }
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let snapshot = try Self.importDelta(["users.csv": "email,crm_user_id,deleted\nzoe@example.com,C-ANN,true\nbob@example.com,C-BOB,\n"],
                                                harness, ["--users-snapshot", "--max-delete-rate", "1"] + mode)
            #expect(snapshot.status == 0, "\(snapshot.standardError)")
            #expect(try Self.stats(harness) == "bob@example.com:1/0:4", "a tombstone names nobody: ann is absent, and removed")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try harness.invariantViolations() == [])
        }
    }

    @Test("a merge into a record that is nowhere is rejected (unknown_user): the contact stays as it was")
    func mergeIntoNobody() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let outcome = try Self.importDelta(["users.csv": "email,deleted,merged_into\nann@example.com,1,C-NOBODY\n"], harness)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.rejectSummary() == ["unknown_user@2"])
            #expect(try harness.rejects().first?["message"] as? String == "merged into C-NOBODY, which is no user of the database or of this import")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "1/1/1/1/1/3/1")
        }
    }

    @Test("Salesforce: a contact merged away (IsDeleted, MasterRecordId) moves into its master, through the shipped mapping")
    func salesforceMerge() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try Self.annAndBob(harness)
            let outcome = try Self.importDelta([
                "Contact.csv": "Id,Email,IsDeleted,MasterRecordId\nC-ANN,ann@example.com,true,C-BOB\nC-BOB,bob@example.com,false,\n",
            ], harness, ["--mapping", SharedFolder.projectRoot + "/pipelines/mappings/salesforce-contacts.yml"])

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try Self.account("bob@example.com", harness) == "2/1/1 10 10")
            #expect(try harness.invariantViolations() == [])
        }
    }
}
