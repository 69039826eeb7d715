import CRMSchema
import Extract
import Foundation
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("A parent deleted from another connection while children are loaded")
struct ParentLockTests {
    @Test("the parents the staged children name stay locked to commit: a concurrent delete waits, and no child is left orphaned")
    func concurrentDelete() throws {
        try TestDatabase.withFresh { database in
            _ = try ImporterTests.importer(database).run(files: try ImporterTests.samples())
            let folder = NSTemporaryDirectory() + "crm-parent-lock-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let ana = "ana.garcia@example.com"
            let kenji = "kenji.yamada@example.jp"
            try "email,external_id,amount_cents,currency,paid_at\n\(ana),PAY-LOCK,900,EUR,2024-07-01T00:00:00Z\n\(kenji),PAY-HELD,900,EUR,2024-07-01T00:00:00Z\n"
                .write(toFile: "\(folder)/payments.csv", atomically: true, encoding: .utf8)
            try "email,external_id,job_request_external_id,video_url,duration_seconds,credit_charged,created_at\n\(ana),REC-LOCK,JR-1,https://v.example.com/l.mp4,30,true,2024-07-02T00:00:00Z\n"
                .write(toFile: "\(folder)/recordings.csv", atomically: true, encoding: .utf8)
            let chloe = "chloe.dubois@example.fr"
            try "email,external_id,file_url,file_name,created_at\n\(chloe),CV-LOCK,https://cdn.example.com/cv/l.pdf,l.pdf,2024-07-03T00:00:00Z\n"
                .write(toFile: "\(folder)/resumes.csv", atomically: true, encoding: .utf8)
            // The fast strategy: only its parent locks hold the parents (the FK triggers take the same locks otherwise).
            var importer = ImporterTests.importer(database)
            importer.strategy = MergePlan(keys: .checkedSetBased)
            let files = try InputFile.collect([folder], format: nil, mapping: nil)

            // Another transaction inserts the payment of Kenji's this import holds: the import waits for it in its
            // payments merge, after the checks and Ana's recording, before any upkeep of hers. Only its
            // parent locks keep Ana and her job request there now (no trigger checked the recording's keys).
            let holder = try database.connect()
            try holder.query("BEGIN")
            try holder.query("""
                INSERT INTO \(SQLName.payments) (email, external_id, amount_cents, currency, paid_at)
                VALUES (\(bind: kenji), 'PAY-HELD', 900, 'EUR', '2024-07-01T00:00:00Z')
                """)
            let running = BackgroundImport(importer, files: files)
            try database.connect().waitUntilImportWaitsOnLock()

            let deleter = try database.connect()
            try deleter.query("SET lock_timeout = '300ms'")
            // Chloe has no row a cascade would wait for: only the lock on her user row holds her delete.
            for delete: SQLQuery in ["DELETE FROM \(SQLName.crmUsers) WHERE email = \(bind: chloe)",
                                     "DELETE FROM \(SQLName.crmUsers) WHERE email = \(bind: ana)",
                                     "DELETE FROM \(SQLName.jobRequests) WHERE email = \(bind: ana) AND external_id = 'JR-1'"] {
                do {
                    try deleter.query(delete)
                    Issue.record("deleted while the import holds it: \(delete)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == .lockNotAvailable, "lock_not_available: \(error)")
                }
            }
            try holder.query("ROLLBACK")
            let summary = try running.summary()
            #expect(summary.counts[.payments]?.inserted == 2)
            #expect(summary.counts[.recordings]?.inserted == 1)
            #expect(summary.counts[.resumes]?.inserted == 1)

            let connection = try database.connect()
            #expect(try connection.invariantViolations() == [])
            #expect(try connection.query("""
                SELECT r.job_request_id = j.id AS linked FROM \(SQLName.recordings) r JOIN \(SQLName.jobRequests) j ON j.email = r.email
                WHERE r.external_id = 'REC-LOCK' AND j.external_id = 'JR-1'
                """).scalar(Bool.self))
            // Deleted now, the user takes every row of theirs along: nothing orphaned.
            try deleter.query("RESET lock_timeout")
            try deleter.query("DELETE FROM \(SQLName.crmUsers) WHERE email = \(bind: ana)")
            for table in [SQLName.jobRequests, .recordings, .payments, .dashboardStats, .creditLedger] {
                #expect(try connection.query("SELECT count(*) AS n FROM \(table) WHERE email = \(bind: ana)").scalar(Int.self) == 0)
            }
        }
    }

}
