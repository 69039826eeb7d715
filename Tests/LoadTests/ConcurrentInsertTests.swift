import CRMSchema
import Extract
import Foundation
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// A first import of a table inserts its rows plainly (``MergePlan``'s `insertAll`); these are the two ways
/// the world can change between the statement that found none of them stored and that insert.
@Suite("Rows that none of which existed a statement ago, when the app writes meanwhile")
struct ConcurrentInsertTests {
    static let ana = "ana.garcia@example.com"
    static let kenji = "kenji.yamada@example.jp"
    static let chloe = "chloe.dubois@example.fr"

    /// The samples imported, and `files` (name → CSV) written to a folder of their own, ready to import.
    static func prepare(_ database: TestDatabase, _ files: [String: String]) throws -> (folder: String, files: [InputFile]) {
        _ = try ImporterTests.importer(database).run(files: try ImporterTests.samples())
        let folder = NSTemporaryDirectory() + "crm-concurrent-insert-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8) }
        return (folder, try InputFile.collect([folder], format: nil, mapping: nil))
    }

    @Test("the app inserts one of the keys: the plain insert meets it, goes back to its savepoint, and the guarded one skips it",
          arguments: [MergePlan.Keys.checkedSetBased, .triggersRowByRow])
    func appInsertsTheSameKey(keys: MergePlan.Keys) throws {
        try TestDatabase.withFresh { database in
            let (folder, files) = try Self.prepare(database, ["payments.csv": """
                email,external_id,amount_cents,currency,paid_at
                \(Self.ana),PAY-RACE,900,EUR,2024-07-01T00:00:00Z
                \(Self.kenji),PAY-HELD,900,EUR,2024-07-01T00:00:00Z

                """])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var importer = ImporterTests.importer(database)
            importer.strategy = MergePlan(keys: keys, rollupTriggersFire: true)
            // The app's payment, not yet committed: the import finds no stored key, then waits on it in its insert.
            let app = try database.connect()
            try app.query("BEGIN")
            try app.query("""
                INSERT INTO \(SQLName.payments) (email, external_id, amount_cents, currency, paid_at)
                VALUES (\(bind: Self.kenji), 'PAY-HELD', 900, 'EUR', '2024-07-01T00:00:00Z')
                """)
            let running = BackgroundImport(importer, files: files)
            try database.connect().waitUntilImportWaitsOnLock()
            try app.query("COMMIT")

            let summary = try running.summary()
            #expect(summary.counts[.payments]?.inserted == 1, "Ana's; Kenji's was the app's")
            let connection = try database.connect()
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.payments) WHERE external_id IN ('PAY-RACE', 'PAY-HELD')")
                .scalar(Int.self) == 2)
            #expect(try connection.invariantViolations() == [], "each payment booked once: the app's by its trigger, Ana's by the import")
        }
    }

    @Test("a user deleted after the checks (no parent lock with the FK triggers): fewer rows inserted than staged, so the guarded insert counts what it inserted")
    func userDeletedAfterTheChecks() throws {
        try TestDatabase.withFresh { database in
            let (folder, files) = try Self.prepare(database, [
                "job_requests.csv": "email,external_id,job_title\n\(Self.ana),JR-RACE,Nurse\n",
                "payments.csv": "email,external_id,amount_cents,currency,paid_at\n\(Self.chloe),PAY-GONE,900,EUR,2024-07-01T00:00:00Z\n",
            ])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var importer = ImporterTests.importer(database)
            importer.strategy = MergePlan(keys: .triggersRowByRow, rollupTriggersFire: true)
            // Holds the import in its job requests merge, after the checks, before the payments merge.
            let app = try database.connect()
            try app.query("BEGIN")
            try app.query("INSERT INTO \(SQLName.jobRequests) (email, external_id, job_title) VALUES (\(bind: Self.ana), 'JR-RACE', 'Nurse')")
            let running = BackgroundImport(importer, files: files)
            try database.connect().waitUntilImportWaitsOnLock()
            try database.connect().query("DELETE FROM \(SQLName.crmUsers) WHERE email = \(bind: Self.chloe)")
            try app.query("ROLLBACK")

            let summary = try running.summary()
            #expect(summary.counts[.jobRequests]?.inserted == 1)
            #expect(summary.counts[.payments]?.inserted == 0, "Chloe is gone, and so is her payment")
            let connection = try database.connect()
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.creditLedger) WHERE email = \(bind: Self.chloe)").scalar(Int.self) == 0)
            #expect(try connection.invariantViolations() == [])
        }
    }
}
