import CRMSchema
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// Upkeep on its own: the stand-aside switch, the catch-up, and the upkeep functions' moves (the path Citus
/// takes), checked against the credit rule.
@Suite("Upkeep")
struct UpkeepTests {
    @Test("the operator is a bulk loader, the switch makes the triggers stand aside, and plain PostgreSQL has nothing to catch up")
    func standAside() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let upkeep = Upkeep(connection: connection)
            #expect(try upkeep.isBulkLoader())
            #expect(try Upkeep.catchUpEveryProfile(on: connection) == 0)
            let stoodAside = try connection.transaction { connection in .rollback(try Upkeep(connection: connection).standAside()) }
            #expect(stoodAside)
        }
    }

    @Test("moveThroughFunctions moves an existing user's stats, books one ledger row per kind, and moves the balance by the rule")
    func movesThroughFunctions() throws {
        try TestDatabase.withFresh { database in
            let setup = try database.connect()
            try setup.query("INSERT INTO \(SQLName.crmUsers) (email) VALUES ('up@example.com')")
            try StagedRows.inTransaction(database) { rows in
                #expect(try Upkeep(connection: rows.connection).standAside())
                _ = try rows.deduplicate()
                try rows.connection.query("""
                    INSERT INTO \(SQLName.touched) (email, applications, recordings, payments, charged)
                    VALUES ('up@example.com', 2, 1, 2, 1)
                    """)
                try Upkeep(connection: rows.connection).moveThroughFunctions(runID: 77)
                return .commit(())
            }
            let stats = try setup.query("""
                SELECT total_applications AS applications, total_recordings AS recordings, credits
                FROM \(SQLName.dashboardStats) WHERE email = 'up@example.com'
                """).singleRow()
            #expect(try stats.decode(Int.self, "applications") == 2 && stats.decode(Int.self, "recordings") == 1)
            #expect(try stats.decode(Int.self, "credits") == CreditRule.balance(payments: 2, chargedRecordings: 1))
            let booked = try setup.query("""
                SELECT reason, sum(delta)::integer AS delta FROM \(SQLName.creditLedger)
                WHERE email = 'up@example.com' AND ref = 'import:77' GROUP BY reason ORDER BY reason
                """).rows.map { "\(try $0.decode(String.self, "reason")) \(try $0.decode(Int.self, "delta"))" }
            #expect(booked == ["payment \(2 * CreditRule.creditsPerPayment)", "recording -\(CreditRule.creditsPerRecording)"])
        }
    }
}
