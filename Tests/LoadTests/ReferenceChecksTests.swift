import CRMSchema
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Validate
import Testing

@Suite("ReferenceChecks: unknown users, unknown job requests, credits")
struct ReferenceChecksTests {
    @Test("children of unknown or rejected users and recordings of unknown job requests are rejected with their file and line; a staged user's stay")
    func references() throws {
        try TestDatabase.withFresh { database in
            try database.connect().query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('known@example.com')"#)
            let rejects = RejectFile()
            let tally = try StagedRows.inTransaction(database) { rows in
                try rows.stage(.jobRequests, line: 2, ["email": "known@example.com", "external_id": "J1", "job_title": "Nurse"])
                try rows.stage(.jobRequests, line: 3, ["email": "nobody@example.com", "external_id": "J1", "job_title": "Nurse"])
                try rows.stage(.jobRequests, line: 4, ["email": "refused@example.com", "external_id": "J1", "job_title": "Nurse"])
                // A new user staged beside their child: neither stored nor rejected, and their child stays.
                try rows.stage(.users, line: 2, ["email": "fresh@example.com"])
                try rows.stage(.jobRequests, line: 5, ["email": "fresh@example.com", "external_id": "J1", "job_title": "Nurse"])
                try rows.stage(.recordings, file: 1, line: 2, ["email": "known@example.com", "external_id": "R1",
                                                               "job_request_external_id": "J1", "video_url": "https://v.example.com/1"])
                try rows.stage(.recordings, file: 1, line: 3, ["email": "known@example.com", "external_id": "R2",
                                                               "job_request_external_id": "J9", "video_url": "https://v.example.com/2"])
                try rows.connection.query("INSERT INTO \(SQLName.rejectedUsers) VALUES ('refused@example.com')")
                _ = try rows.deduplicate()
                let tally = try ReferenceChecks(connection: rows.connection).run(credits: .skip, rejects: rejects.writer, lockParents: true, scope: .whole, narrowed: true) { "f\($0).csv" }
                let left = try rows.connection.query("SELECT count(*) FROM \(SQLName.deduplicated(.jobRequests))").scalar(Int.self)
                #expect(left == 2)
                return .rollback(tally)
            }
            #expect(tally.rejectsByReason == ["unknown_user": 2, "unknown_job_request": 1])
            #expect(tally.counts[.jobRequests]?.rejected == 2)
            #expect(tally.counts[.recordings]?.rejected == 1)
            #expect(try rejects.lines().sorted() == [
                "unknown_job_request f1.csv:3 J9",
                "unknown_user f0.csv:3 nobody@example.com",
                "unknown_user f0.csv:4 refused@example.com",
            ])
        }
    }

    @Test("with --credits charge a new user's fifth charged recording is refused, unless a payment came before it")
    func credits() throws {
        try TestDatabase.withFresh { database in
            let rejects = RejectFile()
            let tally = try StagedRows.inTransaction(database) { rows in
                for email in ["poor@example.com", "payer@example.com"] {
                    try rows.stage(.users, line: 2, ["email": email])
                    try Self.stageChargedRecordings(&rows, email: email, days: 1...5, lineBeforeFirst: 10)
                }
                try rows.stage(.payments, line: 2, ["email": "payer@example.com", "external_id": "P1", "amount_cents": "900",
                                                    "currency": "EUR", "paid_at": "2024-05-02T00:00:00Z"])
                _ = try rows.deduplicate()
                return .rollback(try ReferenceChecks(connection: rows.connection).run(credits: .charge, rejects: rejects.writer, lockParents: false, scope: .whole, narrowed: true) { _ in "r.csv" })
            }
            #expect(tally.rejectsByReason == ["insufficient_credits": 1])
            #expect(try rejects.lines() == ["insufficient_credits r.csv:15 true"])
        }
    }

    @Test("the credit walk starts from an existing user's balance: charges already stored are not counted again, and only the charge past the balance is refused")
    func creditsOfExistingUser() throws {
        try TestDatabase.withFresh { database in
            let app = try database.connect()
            try app.query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('spent@example.com'), ('rich@example.com')"#)
            // Three charges through the app's triggers: spent@ has 1 credit left, rich@ keeps its 4.
            try app.query("""
                INSERT INTO crm_recordings (email, external_id, video_url, credit_charged, created_at)
                SELECT 'spent@example.com', 'R' || n, 'https://v.example.com/' || n, true, timestamptz '2024-04-01' + n * interval '1 day'
                FROM generate_series(1, 3) n
                """)
            let rejects = RejectFile()
            let tally = try StagedRows.inTransaction(database) { rows in
                // R1–R3 stored and charged already; R4 takes the last credit, R5 has none.
                try Self.stageChargedRecordings(&rows, email: "spent@example.com", days: 1...5, lineBeforeFirst: 10)
                // Exactly rich@'s 4 credits: nothing refused.
                try Self.stageChargedRecordings(&rows, email: "rich@example.com", days: 1...4, lineBeforeFirst: 20)
                _ = try rows.deduplicate()
                return .rollback(try ReferenceChecks(connection: rows.connection).run(credits: .charge, rejects: rejects.writer, lockParents: false, scope: .whole, narrowed: true) { _ in "r.csv" })
            }
            #expect(tally.rejectsByReason == ["insufficient_credits": 1])
            #expect(try rejects.lines() == ["insufficient_credits r.csv:15 true"])
        }
    }

    /// Stages charged recordings `R<day>` of `email`, one per day of May 2024, at line `lineBeforeFirst + day`.
    private static func stageChargedRecordings(_ rows: inout StagedRows, email: String, days: ClosedRange<Int>, lineBeforeFirst: Int) throws {
        for day in days {
            try rows.stage(.recordings, line: lineBeforeFirst + day, [
                "email": email, "external_id": "R\(day)", "video_url": "https://v.example.com/\(day)",
                "credit_charged": "true", "created_at": "2024-05-0\(day)T10:00:00Z",
            ])
        }
    }
}
