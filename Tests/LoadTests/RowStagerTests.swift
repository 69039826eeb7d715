import Foundation
@testable import Load
import Extract
import PipelineCore
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
}
