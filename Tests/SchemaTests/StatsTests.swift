import PostgresClient
import TestSupport
import Testing

@Suite("Dashboard stats follow the rows")
struct StatsTests {
    /// A child table, the SQL that inserts `$2` rows of it for email `$1`, and its position in the stats row.
    struct Child: Sendable, CustomStringConvertible {
        let table: String
        let insertMany: StaticString
        let statsIndex: Int
        var description: String { table }
    }

    static let children = [
        Child(
            table: "crm_job_requests",
            insertMany: "INSERT INTO crm_job_requests (email, job_title) SELECT $1, 'Job ' || n FROM generate_series(1, $2) n",
            statsIndex: 0),
        Child(
            table: "crm_recordings",
            insertMany: "INSERT INTO crm_recordings (email, video_url, credit_charged) SELECT $1, 'https://v.example.com/' || n, false FROM generate_series(1, $2) n",
            statsIndex: 1),
        Child(
            table: "crm_resumes",
            insertMany: "INSERT INTO crm_resumes (email, file_url) SELECT $1, 'https://f.example.com/' || n FROM generate_series(1, $2) n",
            statsIndex: 2),
    ]

    @Test("single-row inserts and deletes move the stats by one", arguments: children)
    func singleRows(child: Child) throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("ivy@example.com")
            try fixture.connection.query(child.insertMany, ["ivy@example.com", 1])
            try fixture.connection.query(child.insertMany, ["ivy@example.com", 1])
            #expect(try fixture.stats("ivy@example.com")[child.statsIndex] == "2")
            try fixture.connection.query(
                "DELETE FROM \(ident: child.table) WHERE ctid IN (SELECT ctid FROM \(ident: child.table) LIMIT 1)")
            #expect(try fixture.stats("ivy@example.com")[child.statsIndex] == "1")
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("multi-row statements move the stats by exactly the rows inserted and deleted", arguments: children)
    func multiRow(child: Child) throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("jay@example.com")
            try fixture.crmUser("kim@example.com")
            try fixture.connection.query(child.insertMany, ["jay@example.com", 1_000])
            try fixture.connection.query(child.insertMany, ["kim@example.com", 3])
            #expect(try fixture.stats("jay@example.com")[child.statsIndex] == "1000")
            try fixture.connection.query(
                "DELETE FROM \(ident: child.table) WHERE ctid IN (SELECT ctid FROM \(ident: child.table) WHERE email = \(bind: "jay@example.com") LIMIT 400)")
            #expect(try fixture.stats("jay@example.com")[child.statsIndex] == "600")
            #expect(try fixture.stats("kim@example.com")[child.statsIndex] == "3")
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("a rolled-back insert leaves the stats as they were")
    func rollback() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("lou@example.com")
            struct Abort: Error {}
            _ = try? fixture.connection.transaction { connection -> TransactionEnd<Void> in
                try Fixture(connection: connection).jobRequest("lou@example.com")
                throw Abort()
            }
            #expect(try fixture.stats("lou@example.com") == ["0", "0", "0"])
        }
    }
}
