import PostgresClient
import TestSupport
import Testing

@Suite("Rows decoded by column name, with errors that name the column and the query")
struct RowDecodingTests {
    @Test("every supported type decodes by name, whatever the column order")
    func decodes() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let row = try database.connect().query("""
                SELECT true AS yes, 'héllo' AS text, 42 AS small, 9000000000 AS big, 2.5 AS ratio, NULL::int AS missing
                """).rows[0]
            #expect(try row.decode(Int64.self, "big") == 9_000_000_000)
            #expect(try row.decode(Bool.self, "yes"))
            #expect(try row.decode(String.self, "text") == "héllo")
            #expect(try row.decode(Int.self, "small") == 42)
            #expect(try row.decode(Double.self, "ratio") == 2.5)
            #expect(try row.decode(Int?.self, "missing") == nil)
            #expect(try row.decode(Int?.self, "small") == 42)
        }
    }

    @Test("NULL where a value is required is an error naming the column and the query, never a silent zero")
    func nullIsAnError() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let row = try database.connect().query("SELECT NULL::bigint AS run_id").rows[0]
            let error = #expect(throws: PostgresError.self) { try row.decode(Int64.self, "run_id") }
            #expect(error?.code == .unexpectedResult)
            #expect(error?.message.contains("NULL in column \"run_id\"") == true, "\(String(describing: error))")
            #expect(error?.message.contains("SELECT NULL::bigint AS run_id") == true)
        }
    }

    @Test("a column the result lacks is an error listing the columns it has")
    func missingColumn() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let row = try database.connect().query("SELECT 1 AS inserted, 2 AS updated").rows[0]
            let error = #expect(throws: PostgresError.self) { try row.decode(Int.self, "rejected") }
            #expect(error?.message.contains("no column \"rejected\" (its columns: inserted, updated)") == true,
                    "\(String(describing: error))")
        }
    }

    @Test("a value of another type is an error that names the column but not the value (it may be personal data)")
    func wrongType() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let row = try database.connect().query("SELECT \(bind: "ann@example.com")::text AS total").rows[0]
            let error = #expect(throws: PostgresError.self) { try row.decode(Int.self, "total") }
            #expect(error?.message.contains("column \"total\" that is not a Int") == true, "\(String(describing: error))")
            #expect(error?.message.contains("ann@example.com") == false)
            #expect(throws: PostgresError.self) { try row.decode(Bool.self, "total") }
        }
    }

    @Test("scalar: the one value, NULL for no row only where optional, and more than one column refused")
    func scalar() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            #expect(try connection.query("SELECT count(*) FROM generate_series(1, 3)").scalar(Int.self) == 3)
            #expect(try connection.query("SELECT 1 WHERE false").scalar(Int?.self) == nil)
            #expect(throws: PostgresError.self) { try connection.query("SELECT 1 AS n WHERE false").scalar(Int.self) }
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT 1 AS a, 2 AS b").scalar(Int.self) }
            #expect(error?.message.contains("expected one column, got 2") == true)
        }
    }

    @Test("bound values round-trip through the server unchanged, NULL included")
    func boundValuesRoundTrip() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let hostile = "a'b\"c\\d; DROP TABLE x; -- é 🙂"
            let nothing: String? = nil
            let row = try database.connect().query("""
                SELECT \(bind: hostile)::text AS text, \(bind: 7)::int AS n, \(bind: true)::bool AS flag,
                       \(bind: nothing)::text IS NULL AS was_null
                """).rows[0]
            #expect(try row.decode(String.self, "text") == hostile)
            #expect(try row.decode(Int.self, "n") == 7)
            #expect(try row.decode(Bool.self, "flag"))
            #expect(try row.decode(Bool.self, "was_null"))
        }
    }
}
