import CRMSchema
@testable import Load
import PostgresClient
import TestSupport
import Testing

/// How an import adds the rows it counted itself to the report rollup (migration 0026).
@Suite("The rollup counts of an import's plain inserts")
struct RollupCountingTests {
    /// Adds one counted row (an application of `email` in June 2025) as a nightly does, in a transaction rolled back;
    /// returns where it went: the deltas' and the folded rows' applications of `email`.
    static func addOne(_ email: String, on connection: PostgresConnection) throws -> (deltas: Int, folded: Int) {
        try connection.transaction { connection in
            try connection.query("""
                CREATE TEMPORARY TABLE \(SQLName.activityCounted) ON COMMIT DROP AS
                SELECT '2025-06-01'::date AS month, \(bind: email)::text AS email, 1 AS applications, 0 AS recordings,
                       0 AS resumes, 0 AS sign_ups, 0 AS payments, 0 AS charged
                """)
            try RollupCounting.add(on: connection)
            func applications(_ table: SQLName) throws -> Int {
                try connection.query("SELECT coalesce(sum(applications), 0)::int AS n FROM \(table) WHERE email = \(bind: email)").scalar(Int.self)
            }
            return .rollback((try applications(SQLName.activityDeltas), try applications(SQLName.activityMonths)))
        }
    }

    @Test("an import (a nightly or a backfill's chunk) adds its counts to the folded rows; while verify --fix or a fold holds the folding's lock, it appends them as deltas instead of waiting")
    func neverWaitsForTheFoldingLock() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            #expect(try Self.addOne("free@example.com", on: connection) == (deltas: 0, folded: 1))

            let holder = try database.connect()
            try holder.query("SELECT pg_advisory_lock(\(bind: AdvisoryLockKey.activityRollup)) AS locked")
            #expect(try Self.addOne("held@example.com", on: connection) == (deltas: 1, folded: 0))
        }
    }
}
