import PostgresClient
import Testing

@Suite("SQLQuery: values bound as parameters, identifiers quoted")
struct SQLQueryTests {
    @Test("each bound value becomes the next $n, in order, also across spliced fragments")
    func numbering() {
        let filter: SQLQuery = "status = \(bind: "failed") AND mode = \(bind: "nightly")"
        let query: SQLQuery = "SELECT id FROM runs WHERE id > \(bind: 7) AND \(filter) LIMIT \(bind: 20)"
        #expect(query.rendered.sql == "SELECT id FROM runs WHERE id > $1 AND status = $2 AND mode = $3 LIMIT $4")
        #expect(query.rendered.parameters == ["7", "failed", "nightly", "20"])
    }

    @Test("a value is never spliced into the text, however hostile; NULL is a parameter too")
    func hostileValues() {
        let hostile = "x'); DROP TABLE \"digital_resume_by_CRM\"; --"
        let email: String? = nil
        let query: SQLQuery = "INSERT INTO t (a, b) VALUES (\(bind: hostile), \(bind: email))"
        #expect(query.rendered.sql == "INSERT INTO t (a, b) VALUES ($1, $2)")
        #expect(query.rendered.parameters == [hostile, nil])
        // The description (what logs and errors show) has the placeholders, never the values.
        #expect(!query.description.contains("DROP"))
    }

    @Test("an integer literal is written into the text (for DDL and index expressions), never a parameter")
    func integerLiteral() {
        let query: SQLQuery = "CREATE INDEX ON t ((mod(abs(hashtext(email)), \(literal: 12)))) WHERE n > \(bind: 3)"
        #expect(query.rendered.sql == "CREATE INDEX ON t ((mod(abs(hashtext(email)), 12))) WHERE n > $1")
        #expect(query.rendered.parameters == ["3"])
        #expect(("x = \(literal: -5)" as SQLQuery).rendered.sql == "x = -5")
    }

    @Test("identifiers and names are quoted, with inner quotes doubled")
    func identifiers() {
        let query: SQLQuery = "SELECT \(ident: "odd\"name") FROM \(SQLName(schema: "crm_private", "crm_import_runs")), \(SQLName("d_users"))"
        #expect(query.rendered.sql == #"SELECT "odd""name" FROM "crm_private"."crm_import_runs", "d_users""#)
        #expect(query.rendered.parameters.isEmpty)
        #expect(SQLName(schema: "crm_private", "crm_import_runs").description == "crm_private.crm_import_runs")
    }

    @Test("joined keeps every fragment's values and numbers them in order")
    func joined() {
        let parts: [SQLQuery] = ["a = \(bind: 1)", "b = \(bind: true)", "c IS NULL"]
        let query: SQLQuery = "WHERE \(SQLQuery.joined(parts, separator: " AND ")) AND d = \(bind: 2.5)"
        #expect(query.rendered.sql == "WHERE a = $1 AND b = $2 AND c IS NULL AND d = $3")
        #expect(query.rendered.parameters == ["1", "true", "2.5"])
        #expect(SQLQuery.joined([], separator: ", ").rendered.sql == "")
    }

    @Test("a query is a value: equal text and values are equal queries")
    func equality() {
        let a: SQLQuery = "SELECT \(bind: "x")"
        #expect(a == "SELECT \(bind: "x")")
        #expect(a != "SELECT \(bind: "y")")
    }
}
