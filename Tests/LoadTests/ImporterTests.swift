import CRMSchema
import Extract
import Foundation
@testable import Load
import Logging
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Importer and RunRecord, through their API")
struct ImporterTests {
    /// The CSV samples, or a skip when the tests do not run from a checkout.
    static func samples() throws -> [InputFile] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples/csv").standardized.path
        return try InputFile.collect([folder], format: nil, mapping: nil)
    }

    static func importer(_ database: TestDatabase, _ configure: (inout ImportOptions) -> Void = { _ in }) -> Importer {
        var options = ImportOptions()
        options.rejectFile = NSTemporaryDirectory() + "crm-importer-tests-" + UUID().uuidString + ".jsonl"
        configure(&options)
        return Importer(url: database.url, options: options, logger: Logger(label: "crm-pipeline.tests") { _ in SwiftLogNoOpLogHandler() })
    }

    static func status(of run: Int64, _ database: TestDatabase) throws -> String {
        try database.connect().query("SELECT status FROM \(SQLName.importRuns) WHERE id = \(bind: run)").scalar(String.self)
    }

    @Test("a nightly import returns its summary, records the run as succeeded, and skips the same files the next time")
    func nightly() throws {
        try TestDatabase.withFresh { database in
            let files = try Self.samples()
            let summary = try Self.importer(database).run(files: files)
            let users = try #require(summary.counts[.users])
            #expect(users.read == 8)
            #expect(users.inserted + users.duplicates + users.rejected == users.read)
            #expect(try database.connect().query("SELECT count(*) FROM \(SQLName.crmUsers)").scalar(Int.self) == users.inserted)
            #expect(summary.totalRead == 40)
            // A superuser may set session_replication_role, and so may Supabase's postgres (supautils).
            #expect(summary.strategy == MergePlan(keys: .checkedSetBased).name)
            #expect(try database.connect().query("SELECT strategy FROM \(SQLName.importRuns) WHERE id = \(bind: summary.runID)")
                .scalar(String.self) == summary.strategy, "the run record names it")
            #expect(try Self.status(of: summary.runID, database) == RunStatus.succeeded.rawValue)
            #expect(try database.connect().invariantViolations() == [])

            let again = try Self.importer(database).run(files: files)
            #expect(again.skippedFiles.count == files.count)
            #expect(again.totalRead == 0)
            #expect(again.runID > summary.runID)
        }
    }

    @Test("a dry run counts what it would do, keeps nothing, and says so in its run record")
    func dryRun() throws {
        try TestDatabase.withFresh { database in
            let summary = try Self.importer(database) { $0.dryRun = true }.run(files: try Self.samples())
            #expect(summary.dryRun)
            let wouldBe = try TestDatabase.withFresh { try Self.importer($0).run(files: try Self.samples()) }
            #expect(summary.counts == wouldBe.counts)
            #expect(try database.connect().query("SELECT count(*) FROM \(SQLName.crmUsers)").scalar(Int.self) == 0)
            #expect(try Self.status(of: summary.runID, database) == RunStatus.dryRun.rawValue)
        }
    }

    @Test("a backfill in parallel chunks gives the nightly import's counts and leaves no staging behind")
    func backfillMatchesNightly() throws {
        let nightly = try TestDatabase.withFresh { try Self.importer($0).run(files: try Self.samples()) }
        try TestDatabase.withFresh { database in
            let backfill = try Self.importer(database) {
                $0.mode = .backfill
                $0.jobs = 2
                $0.chunkRows = 5
            }.run(files: try Self.samples())
            #expect(backfill.counts == nightly.counts)
            #expect(backfill.rejectsByReason == nightly.rejectsByReason)
            #expect(try BackfillStaging(connection: try database.connect()).rows() == 0)
            #expect(try database.connect().invariantViolations() == [])
        }
    }

    @Test("while another import holds the lock, an import refuses to start and its run record says failed")
    func locked() throws {
        try TestDatabase.withFresh { database in
            let holder = try database.connect()
            #expect(try holder.tryAdvisoryLock(AdvisoryLockKey.importer))
            #expect(throws: LoadError.self) { try Self.importer(database).run(files: try Self.samples()) }
            let statuses = try database.connect().query("SELECT status FROM \(SQLName.importRuns)").rows
            #expect(try statuses.map { try $0.decode(String.self, "status") } == [RunStatus.failed.rawValue])
        }
    }

    @Test("RunRecord: the lock holder closes runs left running, and only successful runs' files count as imported")
    func runRecord() throws {
        try TestDatabase.withFresh { database in
            let dead = try RunRecord(url: database.url, mode: .nightly)
            let failed = try RunRecord(url: database.url, mode: .nightly)
            try failed.finish(status: .failed, summary: ImportSummary(),
                              files: [RecordedFile(path: "a.csv", sha256: "aaa", bytes: 1)], error: "boom")
            let good = try RunRecord(url: database.url, mode: .nightly)
            try good.closeInterruptedRuns()
            try good.finish(status: .succeeded, summary: ImportSummary(),
                            files: [RecordedFile(path: "b.csv", sha256: "bbb", bytes: 1)], error: nil)
            #expect(try Self.status(of: dead.id, database) == RunStatus.failed.rawValue)
            let error = try database.connect().query("SELECT error FROM \(SQLName.importRuns) WHERE id = \(bind: dead.id)").scalar(String.self)
            #expect(error.hasPrefix("interrupted"))
            #expect(try good.alreadyImported(["aaa", "bbb", "ccc"]) == ["bbb"])
        }
    }
}
