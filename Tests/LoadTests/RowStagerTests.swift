import Foundation
@testable import Load
import CRMSchema
import Extract
import Logging
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("RowStager: records validated on worker threads, loaded and rejected in the order read")
struct RowStagerTests {
    @Test("many batches with bad rows: the reject file is the same every time, and in file and line order")
    func deterministicOrder() throws {
        let folder = try GeneratedExport.make("stager", ["--users", "4000", "--seed", "3", "--bad-rows", "0.1"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try InputFile.collect([folder], format: nil, mapping: nil)
        var texts: [String] = []
        var summaries: [ImportSummary] = []
        for _ in 0..<3 {
            try TestDatabase.withFresh { database in
                let importer = ImporterTests.importer(database) { $0.dryRun = true }
                summaries.append(try importer.run(files: files))
                texts.append(try String(contentsOfFile: try #require(summaries.last?.rejectFile), encoding: .utf8))
            }
        }
        #expect(summaries[0].totalRead > RecordBatch.size * 8, "enough records for many batches in flight")
        #expect(summaries.map(\.counts) == Array(repeating: summaries[0].counts, count: 3))
        #expect(Set(texts).count == 1)
        // The validation's rejects come first, in the order read: by file, then line.
        let order = files.map(\.name)
        let positions = try texts[0].split(separator: "\n").compactMap { line -> (Int, Int)? in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["reason"] as? String != RejectReason.unknownUser.rawValue,
                  object["reason"] as? String != RejectReason.unknownJobRequest.rawValue,
                  object["reason"] as? String != RejectReason.insufficientCredits.rawValue,
                  let file = object["file"] as? String, let line = object["line"] as? Int else { return nil }
            return (try #require(order.firstIndex(of: file)), line)
        }
        #expect(positions.count > 100)
        #expect(zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("an input that stalls longer than the statement_timeout (a pipe fed every 0.8 s, 0.5 s): every row is staged, no COPY waits for it")
    func slowInputUnderStatementTimeout() throws {
        let folder = NSTemporaryDirectory() + "crm-slow-input-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/users.csv"
        try #require(mkfifo(path, 0o600) == 0)
        let (pieces, rowsPerPiece) = (4, 15_000)
        // The writer: a header, then a piece of rows (more than one 2 MiB staging batch) every 0.8 s.
        let writer = Thread {
            guard let pipe = FileHandle(forWritingAtPath: path) else { return }
            pipe.write(Data("email,first_name\n".utf8))
            for piece in 0..<pieces {
                let rows = (0..<rowsPerPiece).map { "user\(piece * rowsPerPiece + $0)@example.com,Name\($0)\n" }.joined()
                pipe.write(Data(rows.utf8))
                Thread.sleep(forTimeInterval: 0.8)
            }
            try? pipe.close()
        }
        writer.start()
        let files = try InputFile.collect([path], format: nil, mapping: nil)
        let staged = try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows -> TransactionEnd<Int> in
                try rows.connection.setLocal("statement_timeout", to: "500ms")
                let stager = RowStager(connection: rows.connection, options: ImportOptions(), rejects: RejectFile().writer,
                                       logger: Logger(label: "crm-pipeline.tests") { _ in SwiftLogNoOpLogHandler() }, progress: { _ in })
                _ = try stager.stage(files, into: { SQLName.staged($0) }, rejectedUsers: .rejectedUsers)
                return .rollback(try rows.connection.query("SELECT count(*) FROM \(SQLName.staged(.users))").scalar(Int.self))
            }
        }
        #expect(staged == pieces * rowsPerPiece)
    }
}
