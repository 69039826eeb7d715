import PostgresClient
import TestSupport
import Testing

@Suite("COPY FROM STDIN")
struct CopyInTests {
    struct ReaderFailed: Error {}

    @Test("100,000 rows arrive in 64 KiB chunks")
    func copiesManyRows() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int, email text)")
            let copied = try connection.copyIn("COPY t (n, email) FROM STDIN (FORMAT csv)") { writer in
                for n in 0..<100_000 {
                    try writer.write("\(n),user\(n)@example.com\n")
                }
            }
            #expect(copied == 100_000)
            let totals = try connection.query("SELECT count(*) AS row_count, sum(n) AS total, count(DISTINCT email) AS emails FROM t").singleRow()
            #expect(try totals.decode(Int.self, "row_count") == 100_000)
            #expect(try totals.decode(Int64.self, "total") == 4_999_950_000)
            #expect(try totals.decode(Int.self, "emails") == 100_000)
        }
    }

    @Test("a throwing closure aborts the COPY: nothing is kept and the connection stays usable")
    func abortedByClosure() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            #expect(throws: ReaderFailed.self) {
                try connection.copyIn("COPY t FROM STDIN") { writer in
                    for n in 0..<50_000 { try writer.write("\(n)\n") }
                    throw ReaderFailed()
                }
            }
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("data the server rejects is a server error with its SQLSTATE, and nothing is kept")
    func rejectedData() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let error = try #require(throws: PostgresError.self) {
                try connection.copyIn("COPY t FROM STDIN") { writer in
                    try writer.write("1\n2\nnot-a-number\n")
                }
            }
            #expect(error.sqlState == .invalidTextRepresentation)
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("a statement that is not a COPY FROM STDIN is refused")
    func notACopy() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let error = try #require(throws: PostgresError.self) {
                try connection.copyIn("COPY missing_table FROM STDIN") { _ in }
            }
            #expect(error.sqlState == .undefinedTable)
            #expect(try connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}
