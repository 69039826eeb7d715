import CRMSchema
import Extract
import Foundation
@testable import Load
import Logging
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// A vacuum that runs while an import's transaction fills a table counts none of its rows: the planner then
/// takes the table for empty. `PlannerStatistics` analyzes such a table inside the transaction.
@Suite("Planner statistics inside an import's transaction")
struct PlannerStatisticsTests {
    static let users = 4000

    /// The planner's row estimate for `query` (its plan's top node), as `connection` sees it.
    static func estimatedRows(_ query: SQLQuery, _ connection: PostgresConnection) throws -> Int {
        let plan = try #require(try connection.query("EXPLAIN \(query)").textScalar)
        let rows = try #require(plan.range(of: "rows=")).upperBound
        return try #require(Int(plan[rows...].prefix { $0.isNumber }))
    }

    /// The planner's row estimate for a scan of the users table.
    static func estimatedUsers(_ connection: PostgresConnection) throws -> Int {
        try estimatedRows("SELECT * FROM \(SQLName.crmUsers)", connection)
    }

    static func statistics(_ connection: PostgresConnection) -> PlannerStatistics {
        PlannerStatistics(connection: connection, logger: Logger(label: "crm-pipeline.tests") { _ in SwiftLogNoOpLogHandler() })
    }

    static func insertUsers(_ connection: PostgresConnection, prefix: String) throws {
        try connection.query("""
            INSERT INTO \(SQLName.crmUsers) (email) SELECT \(bind: prefix) || i || '@example.com' FROM generate_series(1, \(literal: users)) i
            """)
    }

    @Test("a vacuum beside the transaction hides its rows; refresh analyzes the table and the estimate counts them again")
    func vacuumBeside() throws {
        try TestDatabase.withFresh { database in
            let vacuum = try database.connect()
            try database.connect().transaction { connection in
                var statistics = Self.statistics(connection)
                try Self.insertUsers(connection, prefix: "in-progress-")
                #expect(try statistics.refresh() == [], "a table never vacuumed has honest statistics")
                try vacuum.query("VACUUM \(SQLName.crmUsers)")
                #expect(try Self.estimatedUsers(connection) < 10, "the vacuum counted none of the transaction's rows")
                #expect(try statistics.refresh() == [.crmUsers])
                #expect(try Self.estimatedUsers(connection) > Self.users / 2)
                #expect(try statistics.refresh() == [], "analyzed once, honest since")
                return .rollback(())
            }
        }
    }

    @Test("a table another session holds is skipped, never waited for")
    func skipsLocked() throws {
        try TestDatabase.withFresh { database in
            let vacuum = try database.connect()
            let holder = try database.connect()
            try database.connect().transaction { connection in
                try connection.setLocal("statement_timeout", to: "10s")
                try Self.insertUsers(connection, prefix: "in-progress-")
                try vacuum.query("VACUUM \(SQLName.crmUsers)")
                try holder.query("BEGIN")
                try holder.query("LOCK TABLE \(SQLName.crmUsers) IN SHARE UPDATE EXCLUSIVE MODE")
                var statistics = Self.statistics(connection)
                #expect(try statistics.refresh() == [.crmUsers])
                #expect(try Self.estimatedUsers(connection) < 10, "left as it was")
                try holder.query("ROLLBACK")
                #expect(try statistics.refresh() == [.crmUsers], "tried again once the other session let go")
                #expect(try Self.estimatedUsers(connection) > Self.users / 2)
                return .rollback(())
            }
        }
    }

    @Test("an import after one that a vacuum met and that rolled back: its statements see the rows it wrote")
    func importAfterRolledBackOne() throws {
        try TestDatabase.withFresh { database in
            // The state a vacuum leaves when it runs beside an import that then fails: pages, and no rows counted.
            // Made here, not by autovacuum: its vacuum of the dead rows, had it ended during the import below, would
            // count the import's rows (not committed yet) as none, over the import's own count (failed once so).
            let vacuum = try database.connect()
            try vacuum.query("ALTER TABLE \(SQLName.crmUsers) SET (autovacuum_enabled = false)")
            try database.connect().transaction { connection in
                try Self.insertUsers(connection, prefix: "failed-")
                try vacuum.query("VACUUM \(SQLName.crmUsers)")
                return .rollback(())
            }
            let counted = try vacuum.query("""
                SELECT reltuples::bigint AS n FROM pg_class WHERE oid = \(bind: SQLName.crmUsers.sql)::regclass
                """).scalar(Int.self)
            #expect(counted == 0)

            let folder = NSTemporaryDirectory() + "crm-planner-statistics-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let rows = (1...Self.users).map { "user\($0)@example.com,C-\($0)" }
            try (["email,crm_user_id"] + rows).joined(separator: "\n").write(toFile: folder + "/users.csv", atomically: true, encoding: .utf8)
            let summary = try ImporterTests.importer(database).run(files: try InputFile.collect([folder], format: nil, mapping: nil))
            #expect(summary.counts[.users]?.inserted == Self.users)
            // The import analyzed the users table after inserting into it (in place: the count stays after the commit).
            let after = try vacuum.query("""
                SELECT reltuples::bigint AS n FROM pg_class WHERE oid = \(bind: SQLName.crmUsers.sql)::regclass
                """).scalar(Int.self)
            #expect(after >= Self.users)
        }
    }

    /// Analyzed again once it grew: "an import after one that a vacuum met and that rolled back", above.
    @Test("a table with fewer rows than pages once analyzed (most of its rows deleted) is analyzed once, not before every step")
    func bloatedTableOnce() throws {
        try TestDatabase.withFresh { database in
            try database.connect().query("ALTER TABLE \(SQLName.crmUsers) SET (autovacuum_enabled = false)")
            try Self.insertUsers(database.connect(), prefix: "deleted-")
            // Four rows left, one of them in the last page (a vacuum cuts off empty pages at the end only).
            try database.connect().query("DELETE FROM \(SQLName.crmUsers) WHERE email NOT LIKE '%000@%'")
            try database.connect().query("VACUUM \(SQLName.crmUsers)")
            try database.connect().transaction { connection throws in
                var statistics = Self.statistics(connection)
                #expect(try statistics.refresh() == [.crmUsers], "4 rows in the pages of 4,000")
                #expect(try statistics.refresh() == [], "counted: its rows are few, not missed")
                return .rollback(())
            }
        }
    }

    @Test("a temporary table sampled: its join on two columns with a stored table is estimated at its rows; the statistics target is kept")
    func sampledTemporaryTable() throws {
        try TestDatabase.withFresh { database in
            try database.connect().transaction { connection in
                // Shaped like the recordings: 2,000 users with 10 rows each, keyed by (email, external id).
                let rows: SQLQuery = "SELECT 'u' || (i % 2000) || '@example.com' AS email, 'r' || (i / 2000) AS external_id FROM generate_series(1, 20000) i"
                try connection.query("CREATE TABLE stored AS \(rows)")
                try connection.query("ANALYZE stored")
                try connection.query("CREATE TEMP TABLE staged ON COMMIT DROP AS \(rows)")
                try connection.setLocal("default_statistics_target", to: "250")
                let join: SQLQuery = "SELECT * FROM staged s JOIN stored t ON t.email = s.email AND t.external_id = s.external_id"
                #expect(try Self.estimatedRows(join, connection) < 5000, "unanalyzed, the 20,000 matches look like a few hundred")
                try PlannerStatistics.sample([SQLName("staged")], on: connection)
                let estimate = try Self.estimatedRows(join, connection)
                #expect(estimate > 10000 && estimate < 40000, "estimated \(estimate) rows")
                #expect(try connection.query("SELECT current_setting('default_statistics_target') AS target").scalar(String.self) == "250")
                return .rollback(())
            }
        }
    }
}
