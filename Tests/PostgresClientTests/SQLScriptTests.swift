@testable import PostgresClient
import Testing

@Suite("SQLScript: a script split into statements, as psql splits it")
struct SQLScriptTests {
    @Test("splits at semicolons and leaves out blank and comment-only statements")
    func plainStatements() {
        #expect(SQLScript.statements(in: "SELECT 1; SELECT 2;\n\n;  -- the end\n") == ["SELECT 1", "SELECT 2"])
        #expect(SQLScript.statements(in: "SELECT 1") == ["SELECT 1"])
        #expect(SQLScript.statements(in: "") == [])
        #expect(SQLScript.statements(in: "-- only a comment; with a semicolon\n/* and; this */") == [])
    }

    @Test("a semicolon inside a string, a quoted identifier or a comment does not end the statement")
    func quotedSemicolons() {
        let script = """
            -- a comment; still a comment
            INSERT INTO "odd;name" VALUES ('it''s; fine', E'back\\\\slash\\'; too', /* a; /* nested; */ comment */ 1);
            SELECT 'x';
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 2, "\(statements)")
        #expect(statements.first?.hasSuffix("comment */ 1)") == true, "\(statements)")
        #expect(statements.last == "SELECT 'x'")
    }

    @Test("dollar-quoted bodies, tagged or not, keep their semicolons; $1 and a$b open no quote")
    func dollarQuotes() {
        let script = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; PERFORM '$$'; END $outer$;
            PREPARE p AS SELECT $1::int; SELECT a$b FROM t;
            """
        #expect(SQLScript.statements(in: script) == [
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
            "DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; PERFORM '$$'; END $outer$",
            "PREPARE p AS SELECT $1::int", "SELECT a$b FROM t",
        ])
    }

    @Test("a semicolon inside parentheses does not end the statement (a rule's several actions); $ inside a name opens no quote")
    func parenthesesAndNames() {
        #expect(SQLScript.statements(in: "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2")
            == ["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 2"])
        #expect(SQLScript.statements(in: "SELECT a$$b$ FROM t; SELECT 2") == ["SELECT a$$b$ FROM t", "SELECT 2"])
    }

    @Test("a typed literal whose type ends in e is not an escape string")
    func typedLiteral() {
        #expect(SQLScript.statements(in: #"SELECT date'2024-01-01', type'\'; SELECT 2"#)
            == [#"SELECT date'2024-01-01', type'\'"#, "SELECT 2"])
    }

    @Test("an unterminated string or body takes the rest of the script, for the server to refuse with its own message")
    func unterminated() {
        #expect(SQLScript.statements(in: "SELECT 'open; SELECT 2;") == ["SELECT 'open; SELECT 2;"])
        #expect(SQLScript.statements(in: "DO $x$ BEGIN; END; SELECT 1;") == ["DO $x$ BEGIN; END; SELECT 1;"])
    }
}
