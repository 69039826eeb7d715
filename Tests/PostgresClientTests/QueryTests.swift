import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Queries and parameters")
struct QueryTests {
    @Test("values travel as parameters, never as SQL", arguments: [
        "'); DROP TABLE victims; --",
        "\"double\" and 'single' quotes",
        "山田 太郎 🚀 Ünïcødé",
        "back\\slash and $1 and %s",
        "",
    ])
    func parameterRoundTrip(value: String) throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE victims (value text)")
            try connection.query("INSERT INTO victims (value) VALUES ($1)", [value])
            #expect(try connection.query("SELECT value FROM victims").scalar(String.self) == value)
            #expect(try connection.query("SELECT count(*) FROM victims WHERE value = $1", [value]).scalar(Int.self) == 1)
        }
    }

    @Test("NULL and typed values bind")
    func nullsAndTypes() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let result = try connection.query(
                "SELECT $1::text IS NULL AS is_null, $2::int + 1 AS next, $3::bool AS flag, $4::bigint AS big",
                [nil, 41, true, Int64(1) << 40])
            let row = try result.singleRow()
            #expect(try row.decode(Bool.self, "is_null") == true)
            #expect(try row.decode(Int.self, "next") == 42)
            #expect(try row.decode(Bool.self, "flag") == true)
            #expect(try row.decode(Int64.self, "big") == 1_099_511_627_776)
            #expect(result.columns.count == 4)
        }
    }

    @Test("a NUL byte in a text value is refused with a clear error before sending")
    func nulByteRefused() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let error = try #require(throws: PostgresError.self) {
                try connection.query("SELECT $1::text", ["a\u{0}b"])
            }
            #expect(error.code == .invalidParameter)
            #expect(try connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }

    @Test("server errors keep SQLSTATE, message, detail and constraint")
    func serverErrorFields() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE people (email text CONSTRAINT people_email_key UNIQUE)")
            try connection.query("INSERT INTO people VALUES ($1)", ["a@example.com"])
            let duplicate = try #require(throws: PostgresError.self) {
                try connection.query("INSERT INTO people VALUES ($1)", ["a@example.com"])
            }
            #expect(duplicate.code == .server)
            #expect(duplicate.sqlState == .uniqueViolation)
            #expect(duplicate.constraint == "people_email_key")
            #expect(duplicate.detail?.contains("already exists") == true)
            // The detail quotes the row's value, so it stays out of the printed message.
            #expect(!duplicate.description.contains("a@example.com"))
            #expect(duplicate.exitStatus == .software)

            let syntax = try #require(throws: PostgresError.self) { try connection.query("SELEC 1") }
            #expect(syntax.sqlState == .syntaxError)
        }
    }

    @Test("affected rows are reported")
    func affectedRows() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            #expect(try connection.query("INSERT INTO t SELECT generate_series(1, 7)").affectedRows == 7)
            #expect(try connection.query("UPDATE t SET n = n + 1 WHERE n > $1", [4]).affectedRows == 3)
        }
    }

    @Test("identifiers with quotes and mixed case are quoted by one helper")
    func identifierQuoting() throws {
        #expect(quoteIdentifier("digital_resume_by_CRM") == "\"digital_resume_by_CRM\"")
        #expect(quoteIdentifier("a\"b") == "\"a\"\"b\"")
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let hostile = "x\"; DROP TABLE keep; --"
            try connection.query("CREATE TABLE keep (n int)")
            try connection.query("CREATE TABLE \(ident: hostile) (n int)")
            #expect(try connection.query("SELECT count(*) FROM pg_class WHERE relname IN ('keep', $1)", [hostile]).scalar(Int.self) == 2)
        }
    }

    @Test("a terminated backend is a lost connection that exits 69")
    func terminatedBackend() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let victim = try database.connect()
            let pid = try victim.query("SELECT pg_backend_pid()").scalar(Int.self)
            let killer = try database.connect()
            try killer.query("SELECT pg_terminate_backend($1::int)", [pid])
            let error = try #require(throws: PostgresError.self) { try victim.query("SELECT 1") }
            #expect(error.isConnectionProblem)
            #expect(error.exitStatus == .unavailable)
            // A transaction begun on it afterwards says the same, not that one is open already (a backfill worker
            // whose fold lost the connection went on to its next chunk and exited 70 with that).
            let next = try #require(throws: PostgresError.self) { try victim.transaction { _ in TransactionEnd<Void>.commit(()) } }
            #expect(next.code == .connectionLost, "\(next)")
            #expect(next.exitStatus == .unavailable)
        }
    }
}
