import ArchiveStream
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The same generated export imported loose, zipped, gzipped and tarred ends in the same tables.
@Suite("Compressed and archived inputs, through the binary")
struct PackedInputTests {
    static let entities = ["users", "job_requests", "recordings", "resumes", "payments"]

    /// A generated export (with duplicates and bad rows) in `folder`.
    static func generate(into folder: String) throws {
        try GeneratedExport.make("packed", ["--users", "300", "--seed", "11"], into: folder)
    }

    /// Packs the five files of `source` as `form` into a new folder; returns the folder.
    static func pack(_ source: String, as form: String) throws -> String {
        let folder = source + "-" + form
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func bytes(_ entity: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(source)/\(entity).csv"))) }
        switch form {
        case "gz":
            for entity in entities {
                let writer = try ArchiveWriter(path: "\(folder)/\(entity).csv.gz", format: .single(.gzip))
                try writer.add(name: "\(entity).csv", data: try bytes(entity))
                try writer.close()
            }
        default:
            let writer = try ArchiveWriter(path: "\(folder)/export.\(form)", format: form == "zip" ? .zip() : .tar(.gzip))
            for entity in entities { try writer.add(name: "export/\(entity).csv", data: try bytes(entity)) }
            try writer.close()
        }
        return folder
    }

    /// Imports `folder` into a fresh database: the tables' fingerprint and the rejects as `file:line reason`.
    static func load(_ folder: String) throws -> (fingerprint: String, rejects: [String]) {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            let outcome = try harness.run([folder])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let rejects = try harness.rejects().map { "\(($0["file"] as? String ?? "?").split(separator: "/").last ?? ""):\($0["line"] ?? "?") \($0["reason"] ?? "?")" }
            return (try database.connect().contentFingerprint(), rejects.sorted())
        }
    }

    @Test("loose CSV, gzip files, one zip, one tar.gz and an XLSX workbook end in identical tables and the same rejects, named by member or sheet")
    func sameTables() throws {
        let source = NSTemporaryDirectory() + "crm-packed-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: source) }
        try Self.generate(into: source)
        let loose = try Self.load(source)
        let workbook = try CommandLineRunner.run(["generate", "--users", "300", "--seed", "11", "--format", "xlsx", "--out", source + "-xlsx"])
        #expect(workbook.status == 0, "\(workbook.standardError)")
        let sheets = try Self.load(source + "-xlsx")
        #expect(sheets.fingerprint == loose.fingerprint, "xlsx")
        #expect(sheets.rejects == loose.rejects.map { $0.replacingOccurrences(of: ".csv:", with: ":") }.sorted(), "xlsx")
        #expect(!loose.rejects.isEmpty, "the export has bad rows")
        for form in ["gz", "zip", "tar.gz"] {
            let packed = try Self.load(try Self.pack(source, as: form))
            #expect(packed.fingerprint == loose.fingerprint, "\(form)")
            let expected = loose.rejects.map { form == "gz" ? $0.replacingOccurrences(of: ".csv:", with: ".csv.gz:") : $0 }
            #expect(packed.rejects == expected.sorted(), "\(form)")
        }
    }

    @Test("an archive is fingerprinted as a whole: imported once, skipped the next time; the reject file names archive!/member:line")
    func archiveSkippedAsAWhole() throws {
        let source = NSTemporaryDirectory() + "crm-packed-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: source) }
        try Self.generate(into: source)
        let zip = try Self.pack(source, as: "zip") + "/export.zip"
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            #expect(try harness.run([zip]).status == 0)
            let first = try harness.rejects().first?["file"] as? String
            #expect(first?.hasPrefix("\(zip)!/export/") == true, "\(String(describing: first))")
            let again = try harness.run([zip])
            #expect(again.status == 0)
            #expect(again.standardError.contains("skipping a file already imported"), "\(again.standardError)")
            #expect(try harness.scalar("SELECT count(*) FROM crm_private.crm_import_files") == "2", "one row per run, not per member")
        }
    }
}
