import CRMSchema
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// The credit rule and the import lock are written once for SQL (migration 0021) and once for Swift
/// (``CreditRule``, ``AdvisoryLockKey``): these tests hold the two equal.
@Suite("The domain's rules, in SQL and in Swift")
struct DomainRuleTests {
    @Test("migrations 0021 and 0024's functions return CreditRule's numbers and the lock keys")
    func sqlAgreesWithSwift() throws {
        try TestDatabase.withFresh { database in
            let row = try database.connect().query("""
                SELECT \(CreditSQL.opening) AS opening, \(CreditSQL.perPayment) AS per_payment,
                       \(CreditSQL.perRecording) AS per_recording, \(SQLName.importLockKey)() AS import_lock,
                       \(SQLName.rollupLockKey)() AS rollup_lock
                """).singleRow()
            #expect(try row.decode(Int.self, "opening") == CreditRule.openingCredits)
            #expect(try row.decode(Int.self, "per_payment") == CreditRule.creditsPerPayment)
            #expect(try row.decode(Int.self, "per_recording") == CreditRule.creditsPerRecording)
            #expect(try row.decode(Int64.self, "import_lock") == AdvisoryLockKey.importer)
            #expect(try row.decode(Int64.self, "rollup_lock") == AdvisoryLockKey.activityRollup)
        }
    }
}
