import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Import rejects, through the binary")
struct RejectTests {
    static let users = """
        email,first_name,created_at
        ann@example.com,Ann,2024-01-01
        bob@example.com,Bob,2024-01-02

        """

    /// A file, its content after the users, and the reject expected at a line.
    @Test("one test per reject reason, with its exact line", arguments: [
        ("users2.csv", "email,first_name\nok@example.com,Ok\nnot-an-email,X\n", "invalid_email@3"),
        ("users2.csv", "email,first_name\n,Nobody\n", "missing_required@2"),
        ("users2.csv", "email,created_at\nc@example.com,2024-02-30\n", "invalid_date@2"),
        ("users2.csv", "email,created_at\nc@example.com,2999-01-01\n", "future_date@2"),
        ("recordings.csv", "email,video_url\nann@example.com,not a url\n", "invalid_url@2"),
        ("recordings.csv", "email,video_url,duration_seconds\nann@example.com,https://v.io/1,1.5\n", "invalid_number@2"),
        ("payments.csv", "email,amount_cents,paid_at\nann@example.com,-3,2024-01-01\n", "out_of_range@2"),
        ("resumes.csv", "email,file_url\nzed@example.com,https://f.io/cv.pdf\n", "unknown_user@2"),
        ("recordings.csv", "email,video_url,job_request_external_id\nann@example.com,https://v.io/1,NOPE\n", "unknown_job_request@2"),
        ("recordings.csv", "email,external_id,video_url,created_at\n"
            + (1...5).map { "ann@example.com,R\($0),https://v.io/\($0),2024-02-0\($0)" }.joined(separator: "\n") + "\n",
         "insufficient_credits@6"),
        ("resumes.csv", "email,file_url\nann@example.com,https://f.io/cv.pdf,extra\n", "malformed_row@2"),
        ("users2.csv", "email,first_name\nnul@example.com,N\u{0}ul\n", "invalid_byte@2"),
        ("resumes.csv", "email,file_url,file_name\nann@example.com,https://f.io/cv.pdf,\(String(repeating: "n", count: 1_100_000))\nbob@example.com,https://f.io/b.pdf,b\n", "too_large@2"),
    ])
    func reason(file: String, content: String, expected: String) throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.users)
            let path = harness.write(file, content)
            let outcome = try harness.run()
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let rejects = try harness.rejects()
            #expect(try harness.rejectSummary() == [expected])
            #expect(rejects.first?["file"] as? String == path)
            #expect(rejects.first?["entity"] as? String != nil)
            #expect(rejects.first?["message"] as? String != nil)
            // Every line has all seven keys, a missing value as null.
            #expect(Set(rejects.first?.keys.map { $0 } ?? []) == ["file", "line", "entity", "field", "value", "reason", "message"])
            #expect(outcome.standardOutput.contains(expected.split(separator: "@")[0]))
            #expect(try harness.invariantViolations().isEmpty)
        }
    }

    @Test("a NUL byte in a field or in the email, in UTF-8 or Latin-1, nightly or backfill: that row is rejected (invalid_byte, with field and offset) and the rest loads",
          arguments: [["--mode", "nightly"], ["--mode", "backfill"], ["--encoding", "latin1"]])
    func nulBytes(options: [String]) throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let users = "email,first_name\nann@example.com,A\u{0}nn\nz\u{0}ed@example.com,Zed\nbob@example.com,Bob\n"
            _ = FileManager.default.createFile(
                atPath: harness.folder + "/users.csv",
                contents: options.contains("latin1") ? users.data(using: .isoLatin1) : Data(users.utf8))
            harness.write("resumes.csv", "email,file_url\nz\u{0}ed@example.com,https://f.io/z.pdf\nbob@example.com,https://f.io/b.pdf\n")
            let outcome = try harness.run(nil, options)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.rejectSummary().sorted() == ["invalid_byte@2", "invalid_byte@2", "invalid_byte@3"])
            let first = try #require(try harness.rejects().first {
                ($0["file"] as? String)?.hasSuffix("/users.csv") == true && $0["line"] as? Int == 2
            })
            #expect(first["field"] as? String == "first_name")
            #expect((first["message"] as? String)?.contains("byte offset 1") == true, "\(first)")
            #expect(try harness.counts() == "1/0/0/1/0/1")
            #expect(try harness.invariantViolations().isEmpty)
        }
    }

    @Test("a rejected user's children are rejected too, and a job request of another user is unknown")
    func rejectedUserAndForeignJobRequest() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", Self.users + "bad-email,Bad,2024-01-03\ncyd@example.com,Cyd,2024-13-01\n")
            harness.write("job_requests.csv", "email,external_id,job_title\nann@example.com,J1,Nurse\nbob@example.com,J2,Cook\n")
            harness.write("resumes.csv", "email,file_url\ncyd@example.com,https://f.io/cyd.pdf\n")
            harness.write("recordings.csv", """
                email,external_id,job_request_external_id,video_url
                ann@example.com,R1,J1,https://v.io/1
                ann@example.com,R2,J2,https://v.io/2
                bob@example.com,R1,J2,https://v.io/3

                """)
            #expect(try harness.run().status == 0)
            let byReason = Dictionary(grouping: try harness.rejects()) { $0["reason"] as? String ?? "" }
            #expect(byReason["unknown_user"]?.first?["message"] as? String == "the user's own record in this import was rejected")
            #expect(byReason["unknown_job_request"]?.map { $0["line"] as? Int } == [3])
            #expect(try harness.counts() == "2/2/2/0/0/4")
            // External ids are per user: R1 exists for Ann and for Bob.
            #expect(try harness.scalar("SELECT count(*) FROM crm_recordings WHERE external_id = 'R1'") == "2")
        }
    }

    @Test("credits are spent in time order of the UTC instant, across time zones")
    func creditsInTimeOrder() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nann@example.com\n")
            // The payment at 12:00Z comes before the 08:30-05:00 (13:30Z) recording, though its text sorts later.
            harness.write("payments.csv", "email,external_id,amount_cents,paid_at\nann@example.com,P1,500,2024-03-14T12:00:00Z\n")
            harness.write("recordings.csv", """
                email,external_id,video_url,created_at
                ann@example.com,R1,https://v.io/1,2024-03-14T01:00:00Z
                ann@example.com,R2,https://v.io/2,2024-03-14T02:00:00Z
                ann@example.com,R3,https://v.io/3,2024-03-14T03:00:00Z
                ann@example.com,R4,https://v.io/4,2024-03-14T04:00:00Z
                ann@example.com,R5,https://v.io/5,2024-03-14T11:00:00Z
                ann@example.com,R6,https://v.io/6,2024-03-14T08:30:00-05:00

                """)
            #expect(try harness.run().status == 0)
            // 4 credits for R1–R4; R5 at 11:00Z finds none; the payment at 12:00Z pays for R6 at 13:30Z.
            #expect(try harness.rejectSummary() == ["insufficient_credits@6"])
            #expect(try harness.scalar("SELECT credits FROM profiles") == "2")
            #expect(try harness.invariantViolations().isEmpty)
        }
    }

    @Test("--credits skip loads every recording uncharged")
    func creditsSkip() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nann@example.com\n")
            harness.write("recordings.csv", "email,video_url\n" + (1...9).map { "ann@example.com,https://v.io/\($0)" }.joined(separator: "\n"))
            #expect(try harness.run(nil, ["--credits", "skip"]).status == 0)
            #expect(try harness.rejects().isEmpty)
            #expect(try harness.scalar("SELECT credits FROM profiles") == "4")
            #expect(try harness.scalar("SELECT count(*) FROM crm_recordings WHERE NOT credit_charged") == "9")
        }
    }

    @Test("the reject file is created 0600, even over a wider file and with umask 0")
    func rejectFileMode() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email\nnot-an-email\n")
            _ = FileManager.default.createFile(atPath: harness.rejectFile, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o666])
            let outcome = try CommandLineRunner.run(
                executable: "/bin/sh",
                ["-c", "umask 0 && exec \"$0\" \"$@\"", CommandLineRunner.binaryPath, "import", harness.folder,
                 "--database-url", database.url, "--reject-file", harness.rejectFile])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let mode = try FileManager.default.attributesOfItem(atPath: harness.rejectFile)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try harness.rejectSummary() == ["invalid_email@2"])
        }
    }
}
