import CRMSchema
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("StagingArea: staging tables and deduplication")
struct StagingAreaTests {
    @Test("rows with the same key merge into one: the latest non-empty value of each field wins, and each merge is counted and located")
    func deduplicates() throws {
        try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows in
                try rows.stage(.users, line: 2, ["email": "ann@example.com", "first_name": "Ann", "last_name": "Old", "phone": "+1 555"])
                try rows.stage(.users, line: 3, ["email": "bob@example.com", "first_name": "Bob"])
                try rows.stage(.users, file: 1, line: 2, ["email": "ann@example.com", "first_name": nil, "last_name": "New"])
                try rows.stage(.jobRequests, line: 2, ["email": "ann@example.com", "external_id": "J1", "job_title": "Nurse"])
                try rows.stage(.jobRequests, line: 3, ["email": "ann@example.com", "external_id": "J2", "job_title": "Doctor"])
                let tally = try rows.deduplicate()
                #expect(tally.counts[.users]?.duplicates == 1)
                #expect(tally.counts[.jobRequests]?.duplicates ?? 0 == 0)
                #expect(tally.mergedRows == ["users: f0.csv:2 merged into f1.csv:2"])

                let ann = try rows.connection.query("""
                    SELECT first_name, last_name, phone, file, line, copies FROM \(SQLName.deduplicated(.users)) WHERE email = 'ann@example.com'
                    """).rows
                #expect(ann.count == 1)
                #expect(try ann[0].decode(String.self, "first_name") == "Ann", "an empty value never erases")
                #expect(try ann[0].decode(String.self, "last_name") == "New", "the later value wins")
                #expect(try ann[0].decode(String.self, "phone") == "+1 555")
                #expect(try ann[0].decode(Int.self, "file") == 1)
                #expect(try ann[0].decode(Int.self, "copies") == 2)
                #expect(try rows.connection.query("SELECT count(*) FROM \(SQLName.deduplicated(.users))").scalar(Int.self) == 2)
                #expect(try rows.connection.query("SELECT count(*) FROM \(SQLName.deduplicated(.jobRequests))").scalar(Int.self) == 2)
                return .rollback(())
            }
        }
    }

    @Test("children are the same record only with the same email and external id")
    func childKey() throws {
        try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows in
                for (line, email) in [(2, "ann@example.com"), (3, "bob@example.com"), (4, "ann@example.com")] {
                    try rows.stage(.resumes, line: line, ["email": email, "external_id": "CV1", "file_url": "https://f.example.com/\(line)"])
                }
                let tally = try rows.deduplicate()
                #expect(tally.mergedRows == ["resumes: f0.csv:2 merged into f0.csv:4"])
                let kept = try rows.connection.query("""
                    SELECT file_url FROM \(SQLName.deduplicated(.resumes)) WHERE email = 'ann@example.com'
                    """).scalar(String.self)
                #expect(kept == "https://f.example.com/4")
                return .rollback(())
            }
        }
    }

    @Test("an entity the client proved to have distinct keys is kept as staged: no pass looks for repeats (one given here stays)")
    func provenDistinctKept() throws {
        try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows in
                try rows.stage(.users, line: 2, ["email": "ann@example.com", "first_name": "Ann"])
                try rows.stage(.users, line: 3, ["email": "ann@example.com", "first_name": "Anne"])
                try rows.stage(.jobRequests, line: 2, ["email": "ann@example.com", "external_id": "J1"])
                try rows.stage(.jobRequests, line: 3, ["email": "ann@example.com", "external_id": "J1"])
                let tally = try rows.deduplicate(provenDistinct: [.users])
                #expect(tally.mergedRows == ["job_requests: f0.csv:2 merged into f0.csv:3"])
                for (entity, expected) in [(Entity.users, 2), (.jobRequests, 1)] {
                    let kept = try rows.connection.query("""
                        SELECT count(*) AS rows, sum(copies) AS copies FROM \(SQLName.deduplicated(entity))
                        """).rows[0]
                    #expect(try kept.decode(Int.self, "rows") == expected && kept.decode(Int.self, "copies") == 2, "\(entity)")
                }
                return .rollback(())
            }
        }
    }

    @Test("a backfill's staging lives in crm_private, counts its rows, hands out chunks that cut the users into email ranges of about as many rows, and is dropped")
    func persistentStaging() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let staging = BackfillStaging(connection: connection)
            try staging.create()
            for index in 0..<40 {
                try connection.query("""
                    INSERT INTO \(SQLName.backfillStaging(.users)) (seq, file, line, email) VALUES (\(bind: index), 0, \(bind: index + 2), \(bind: "u\(index)@example.com"))
                    """)
            }
            #expect(try staging.rows() == 40)
            #expect(try staging.counts() == [.users: 40, .jobRequests: 0, .recordings: 0, .resumes: 0, .payments: 0, .erasures: 0])
            try staging.index()
            let bounds = try staging.bounds(at: BackfillStaging.cutFractions(chunks: 3, splittingLast: 0), staged: 40)
            #expect(bounds.count == 2 && bounds == bounds.sorted())
            var seen: [[String]] = []
            for chunk in BackfillChunk.cut(by: bounds) {
                seen.append(try connection.transaction { connection in
                    try BackfillStaging(connection: connection).createChunk(chunk)
                    let emails = try connection.query("SELECT email FROM \(SQLName.staged(.users)) ORDER BY email").rows
                    return .rollback(try emails.map { try $0.decode(String.self, "email") })
                })
            }
            #expect(seen.flatMap { $0 } == (0..<40).map { "u\($0)@example.com" }.sorted(), "every user in exactly one chunk, in email order")
            #expect(seen.allSatisfy { (12...15).contains($0.count) }, "about a third each: \(seen.map(\.count))")
            // A staging an earlier version made, without the client's ids: it holds rows, but none to resume from.
            try connection.query("ALTER TABLE \(SQLName.backfillStaging(.recordings)) DROP COLUMN id")
            #expect(try staging.rows() == 0)
            try staging.drop()
            #expect(try staging.rows() == 0)
        }
    }

    @Test("above the exact limit the bounds are percentiles of a sample: sorted, distinct, every chunk about its share of the rows")
    func sampledBounds() throws {
        let staged = 3 * BackfillStaging.exactRows
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let staging = BackfillStaging(connection: connection)
            try staging.create()
            try connection.query("""
                INSERT INTO \(SQLName.backfillStaging(.users)) (seq, file, line, email)
                SELECT g, 0, g, format('u%s@x.example', lpad(g::text, 7, '0')) FROM generate_series(1, \(bind: staged)) g
                """)
            try staging.index()
            let fractions = BackfillStaging.cutFractions(chunks: 10, splittingLast: 2)
            let bounds = try staging.bounds(at: fractions, staged: staged)
            #expect(bounds.count == fractions.count && bounds == bounds.sorted() && Set(bounds).count == bounds.count)
            let ends = fractions + [1]
            for (chunk, end) in zip(BackfillChunk.cut(by: bounds), ends) {
                let rows = try connection.query("""
                    SELECT count(*) AS n FROM \(SQLName.backfillStaging(.users)) WHERE \(chunk.contains("email"))
                    """).scalar(Int.self)
                let share = end - (chunk.index == 0 ? 0 : ends[chunk.index - 1])
                #expect(abs(Double(rows) / Double(staged) - share) < 0.02, "chunk \(chunk.index): \(rows) rows for a share of \(share)")
            }
        }
    }
}
