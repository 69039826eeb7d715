import CRMSchema
import Foundation
import PostgresClient
import Report
import TestSupport
import Testing

@Suite("ReportBuilder and Verifier, through their API: values, not text")
struct ReportBuilderTests {
    static let may = ReportPeriod.month("2024-05")!

    static func build(_ kind: ReportKind, _ database: TestDatabase, top: Int? = nil) throws -> Report {
        try ReportBuilder(connection: database.connect(), period: may, periodGiven: true, top: top).build(kind)
    }

    /// The row of `section` whose column `key` holds `value`, as cells by column key.
    static func row(_ section: ReportSection, where key: String, is value: ReportValue) throws -> [String: ReportValue] {
        let index = try #require(section.cells(key).firstIndex(of: value))
        return Dictionary(uniqueKeysWithValues: zip(section.columns.map(\.key), section.rows[index]))
    }

    static func totals(_ report: Report) -> [String: ReportValue] {
        Dictionary(uniqueKeysWithValues: report.totals.map { ($0.key, $0.value) })
    }

    @Test("users: each user's figures, and totals that sum every numeric column of the period")
    func users() throws {
        try TestDatabase.withFresh { database in
            try ReportDataSet.load(into: database.connect())
            let report = try Self.build(.users, database)
            let ann = try Self.row(report.main, where: "email", is: .text("ann@example.com"))
            #expect(ann["total_applications"] == .integer(2))
            #expect(ann["applications_in_period"] == .integer(1))
            #expect(ann["recordings_in_period"] == .integer(2))
            #expect(ann["credits_bought"] == .integer(3))
            #expect(ann["last_activity"] == .text("2024-06-01T00:00:00Z"))
            let totals = Self.totals(report)
            #expect(totals["users"] == .integer(3))
            #expect(totals["applications_in_period"] == .integer(2))
            #expect(totals["recordings_in_period"] == .integer(3))
            #expect(totals["resumes_in_period"] == .integer(0))
            #expect(totals["total_recordings"] == .integer(4))
        }
    }

    @Test("summary: the month series feeds the charts, and the top users keep their period columns")
    func summary() throws {
        try TestDatabase.withFresh { database in
            try ReportDataSet.load(into: database.connect())
            let report = try Self.build(.summary, database)
            let may = try Self.row(report.main, where: "month", is: .text("2024-05"))
            #expect(may["recordings"] == .integer(3))
            #expect(may["applications"] == .integer(2))
            let activity = try #require(report.charts.first { $0.title == "Activity per month" })
            #expect(activity.labels == report.main.cells("month").map(\.text))
            #expect(activity.series.first { $0.name == "Recordings" }?.values.last == 3)
            let top = try #require(report.sections.first { $0.key == "top_users" })
            #expect(top.columns.map(\.key) == ["email", "name", "applications_in_period", "recordings_in_period", "resumes_in_period"])
            #expect(top.cells("email").first == .text("ann@example.com"))
            #expect(Self.totals(report)["recordings_per_active_user"] == .decimal(1.5))
        }
    }

    @Test("top users: most active first, a tie broken by email, the inactive last; a top of 1 keeps the most active only")
    func topUsersOrder() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            // In May: ann 3 rows, yamada 2, mal none. bob gets 2 as well, and sorts before yamada by email.
            try connection.executeScript("""
                INSERT INTO "digital_resume_by_CRM" (email, first_name, last_name, created_at) VALUES
                    ('bob@example.com', 'Bob', 'Ray', '2024-05-03T00:00:00Z');
                INSERT INTO crm_resumes (email, external_id, file_url, created_at) VALUES
                    ('bob@example.com', 'CV1', 'https://f.io/2', '2024-05-04T00:00:00Z'),
                    ('bob@example.com', 'CV2', 'https://f.io/3', '2024-05-05T00:00:00Z');
                """)
            let ranked: [ReportValue] = ["ann@example.com", "bob@example.com", "yamada@example.jp", "mal@example.com"].map { .text($0) }
            #expect(try Self.build(.users, database, top: 10).main.cells("email") == ranked)
            #expect(try Self.build(.users, database, top: 3).main.cells("email") == Array(ranked.prefix(3)))
            #expect(try Self.build(.users, database, top: 2).main.cells("email") == Array(ranked.prefix(2)))
            #expect(try Self.build(.users, database, top: 1).main.cells("email") == [ranked[0]])
            func topUsers(_ top: Int) throws -> [ReportValue] {
                try #require(try Self.build(.summary, database, top: top).sections.first { $0.key == "top_users" }).cells("email")
            }
            #expect(try topUsers(10) == ranked)
            #expect(try topUsers(1) == [ranked[0]])
            #expect(try topUsers(2) == Array(ranked.prefix(2)))
        }
    }

    @Test("credits: balances and ledger sums agree, and a drifted balance is flagged")
    func credits() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            #expect(Self.totals(try Self.build(.credits, database))["users_flagged"] == .integer(0))
            try connection.query("ALTER TABLE \(SQLName.dashboardStats) DISABLE TRIGGER USER")
            try connection.query("UPDATE \(SQLName.profiles) SET credits = credits + 5 WHERE email = 'ann@example.com'")
            let report = try Self.build(.credits, database)
            let ann = try Self.row(report.main, where: "email", is: .text("ann@example.com"))
            #expect(ann["disagrees"] == .flag(true))
            #expect(Self.totals(report)["users_flagged"] == .integer(1))
        }
    }

    @Test("tables: every measured table with its rows; the second snapshot shows the growth since the first")
    func tables() throws {
        try TestDatabase.withFresh { database in
            let first = try Self.build(.tables, database)
            #expect(first.isSnapshot)
            #expect(first.main.cells("rows_growth").allSatisfy { $0 == .empty })
            try ReportDataSet.load(into: database.connect())
            let second = try Self.build(.tables, database)
            let recordings = try Self.row(second.main, where: "table", is: .text("crm_recordings"))
            #expect(recordings["rows"] == .integer(4))
            #expect(recordings["rows_growth"] == .integer(4))
        }
    }

    @Test("imports: runs with their status and rows, failed runs counted")
    func imports() throws {
        try TestDatabase.withFresh { database in
            try database.connect().query("""
                INSERT INTO \(SQLName.importRuns) (mode, status, started_at, finished_at, counts)
                VALUES ('nightly', 'succeeded', '2024-05-03T01:00:00Z', '2024-05-03T01:00:10Z', '{"users": {"read": 100, "inserted": 90}}'),
                       ('nightly', 'failed', '2024-05-04T01:00:00Z', '2024-05-04T01:00:02Z', '{}')
                """)
            let report = try Self.build(.imports, database)
            #expect(report.main.cells("status") == [.text("failed"), .text("succeeded")])
            let succeeded = try Self.row(report.main, where: "status", is: .text("succeeded"))
            #expect(succeeded["rows_read"] == .integer(100))
            #expect(succeeded["rows_per_second"] == .integer(10))
            #expect(Self.totals(report)["failed"] == .integer(1))
        }
    }

    @Test("Verifier: consistent data has no violation; a drift is found with expected and found values, and fix repairs it")
    func verifier() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            #expect(try Verifier(connection: connection).check() == [])
            try connection.query("ALTER TABLE \(SQLName.dashboardStats) DISABLE TRIGGER USER")
            try connection.query("UPDATE \(SQLName.dashboardStats) SET total_recordings = 99 WHERE email = 'ann@example.com'")
            try connection.query("ALTER TABLE \(SQLName.dashboardStats) ENABLE TRIGGER USER")
            let violations = try Verifier(connection: connection).check()
            #expect(violations.count == 1)
            #expect(violations.first?.email == "ann@example.com")
            #expect(violations.first?.expected == "2/3/0", "applications/recordings/resumes")
            #expect(violations.first?.found == "2/99/0")
            #expect(try Verifier(connection: connection).fix().isEmpty == false)
            #expect(try Verifier(connection: connection).check() == [])
        }
    }
}
