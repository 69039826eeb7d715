import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite("Dedupe and re-imports, through the binary")
struct DedupeAndReimportTests {
    @Test("users merge by normalized email: the later non-empty value wins, an empty one never erases")
    func mergeRules() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users_a.csv", "email,first_name,last_name,phone\nAnn@Example.com,Ann,Old,+1 555\n")
            harness.write("users_b.csv", "email,first_name,last_name,phone\n  ann@example.com ,,New,\nbob@example.com,Bob,,\n")
            let outcome = try harness.run()
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.scalar(#"SELECT first_name || '|' || last_name || '|' || phone FROM "digital_resume_by_CRM" WHERE email = 'ann@example.com'"#) == "Ann|New|+1 555")
            #expect(try harness.counts() == "2/0/0/0/0/2")
            #expect(outcome.standardOutput.contains("Duplicates merged (1):"))
            #expect(outcome.standardOutput.contains("users_a.csv:2 merged into"))
            // A later import with empty fields does not erase either.
            harness.write("users_a.csv", "email,first_name,last_name,phone\nann@example.com,,,\n")
            try FileManager.default.removeItem(atPath: harness.folder + "/users_b.csv")
            #expect(try harness.run().status == 0)
            #expect(try harness.scalar(#"SELECT first_name FROM "digital_resume_by_CRM" WHERE email = 'ann@example.com'"#) == "Ann")
        }
    }

    @Test("child rows merge by (email, external id); rows without one get a content hash, so a copy merges too")
    func childDuplicates() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nann@example.com\n")
            harness.write("resumes.csv", """
                email,external_id,file_url,file_name
                ann@example.com,CV1,https://f.io/1.pdf,first
                ann@example.com,CV1,https://f.io/1.pdf,second
                ann@example.com,,https://f.io/2.pdf,
                ANN@example.com,,https://f.io/2.pdf,

                """)
            let outcome = try harness.run()
            #expect(outcome.status == 0)
            #expect(try harness.scalar("SELECT count(*) FROM crm_resumes") == "2")
            #expect(try harness.scalar("SELECT file_name FROM crm_resumes WHERE external_id = 'CV1'") == "second")
            #expect(try harness.scalar("SELECT total_resumes FROM crm_dashboard_stats") == "2")
            #expect(outcome.standardOutput.contains("Duplicates merged (2):"))
        }
    }

    @Test("re-importing the same files skips them; --force finds nothing to change; a changed field updates one row")
    func reimport() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n")
            harness.write("job_requests.csv", "email,external_id,job_title\nann@example.com,J1,Nurse\nbob@example.com,J1,Cook\n")
            #expect(try harness.run().status == 0)
            let before = try harness.counts()

            let skipped = try harness.run()
            #expect(skipped.status == 0)
            #expect(skipped.standardOutput.contains("Skipped, already imported"))

            let forced = try harness.run(nil, ["--force"])
            #expect(forced.status == 0)
            #expect(forced.standardOutput.contains("users            2         0        0          2"))
            #expect(try harness.counts() == before)

            harness.write("job_requests.csv", "email,external_id,job_title\nann@example.com,J1,Head Nurse\nbob@example.com,J1,Cook\n")
            let changed = try harness.run()
            #expect(changed.status == 0)
            #expect(changed.standardOutput.contains("job_requests     2         0        1          1"))
            #expect(try harness.counts() == before)
            #expect(try harness.invariantViolations().isEmpty)
        }
    }
}
