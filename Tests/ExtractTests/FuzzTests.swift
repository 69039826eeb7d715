import ArchiveStream
import Extract
import Foundation
import PipelineCore
import TestSupport
import Testing
import XMLStream

/// Deterministic mutations of valid exports: byte flips, truncation, stray quotes, NULs, huge fields,
/// invalid UTF-8, mixed line endings, deep XML nesting. Every mutated file must end in records (with
/// row problems at worst) or a located file error — never a crash, a hang or unbounded memory.
/// `FUZZ_COUNT` sets the cases per format (`make fuzz` runs many more).
@Suite("Fuzzing the readers")
struct FuzzTests {
    static let count = Int(ProcessInfo.processInfo.environment["FUZZ_COUNT"] ?? "") ?? 150

    struct Mutator {
        var random: UInt64

        mutating func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(max(bound, 1)))
        }

        mutating func mutate(_ input: [UInt8], xml: Bool) -> [UInt8] {
            var bytes = input
            for _ in 0...next(4) {
                let at = next(bytes.count + 1)
                switch next(9) {
                case 0: if !bytes.isEmpty { bytes[min(at, bytes.count - 1)] ^= UInt8(1 << next(8)) }
                case 1: bytes = Array(bytes.prefix(at))
                case 2: bytes.insert(UInt8(ascii: "\""), at: at)
                case 3: bytes.insert(0, at: at)
                case 4: bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "x"), count: 70_000 + next(200_000)), at: at)
                case 5: bytes.insert(contentsOf: [0xC3, 0x28, 0xFF, 0xE2, 0x82], at: at)
                case 6: bytes.insert(contentsOf: Array("\r\n\r\n\r".utf8), at: at)
                case 7: if xml { bytes.insert(contentsOf: Array((String(repeating: "<a>", count: 300 + next(3_000))).utf8), at: at) }
                default: bytes.insert(contentsOf: Array((xml ? "&lt;<![CDATA[" : ",,\"\",").utf8), at: at)
                }
            }
            return bytes
        }
    }

    static func sample(_ path: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: SharedFolder.projectRoot + "/" + path) ?? Data())
    }

    /// Reads every record; returns the error if the file as a whole was refused.
    static func readAll(_ path: String, xml: Bool) -> (any Error)? {
        do {
            let source: any RecordSource = xml
                ? try XMLRecordSource(path: path, mapping: nil)
                : try CSVRecordSource(path: path, entity: .recordings, mapping: nil, options: CSVOptions(maxFieldBytes: 100_000, maxRecordBytes: 400_000))
            while try source.next() != nil {}
            return nil
        } catch {
            return error
        }
    }

    /// Mutates `sample` `count` times, reads each result, and hands any file-level error to `check`.
    static func fuzz(sample: String, name: String, xml: Bool, seed: UInt64, check: (any Error, String, Int) throws -> Void) throws {
        var mutator = Mutator(random: seed)
        let original = Self.sample(sample)
        for index in 0..<Self.count {
            let path = TestFiles.write(mutator.mutate(original, xml: xml), name: name)
            let started = Date()
            if let error = Self.readAll(path, xml: xml) { try check(error, path, index) }
            #expect(Date().timeIntervalSince(started) < 5, "case \(index) took too long")
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("mutated CSV exports end in records or a located data error")
    func csv() throws {
        try Self.fuzz(sample: "samples/csv/recordings.csv", name: "recordings.csv", xml: false, seed: 20_261_125) { error, path, index in
            let extract = try #require(error as? ExtractError, "case \(index): \(error)")
            #expect([ExitStatus.dataError, .noInput].contains(extract.exitStatus), "case \(index): \(extract)")
            #expect(extract.description.hasPrefix(path), "case \(index): \(extract)")
        }
    }

    @Test("mutated XML exports end in records or a located data error")
    func xml() throws {
        try Self.fuzz(sample: "samples/xml/crm-export-2024-06.xml", name: "export.xml", xml: true, seed: 42) { error, path, index in
            if let xml = error as? XMLError {
                #expect(xml.exitStatus == .dataError, "case \(index): \(xml)")
                #expect(xml.description.hasPrefix(path + ":"), "case \(index): \(xml)")
            } else {
                let extract = try #require(error as? ExtractError, "case \(index): \(error)")
                #expect([ExitStatus.dataError, .usage].contains(extract.exitStatus), "case \(index): \(extract)")
            }
        }
    }

    /// Valid packed exports to mutate: a zip of the CSV and XML samples, a gzip CSV, a tar.gz and a workbook.
    static func packedOriginals() throws -> [(name: String, bytes: [UInt8])] {
        let csv = sample("samples/csv/recordings.csv"), users = sample("samples/csv/users.csv"), xml = sample("samples/xml/crm-export-2024-06.xml")
        let paths = [
            try Packs.archive("export.zip", .zip(), [("users.csv", users), ("recordings.csv", csv), ("export.xml", xml)]),
            try Packs.archive("recordings.csv.gz", .single(.gzip), [("recordings.csv", csv)]),
            try Packs.archive("export.tar.gz", .tar(.gzip), [("crm/users.csv", users), ("crm/recordings.csv", csv)]),
            try Workbook.make([("users", """
                <row r="1"><c t="inlineStr"><is><t>email</t></is></c><c t="inlineStr"><is><t>created_at</t></is></c></row>
                <row r="2"><c t="inlineStr"><is><t>a@x.io</t></is></c><c s="1"><v>45306.5</v></c></row>
                """)]),
        ]
        return try paths.map { ((($0 as NSString).lastPathComponent), [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0)))) }
    }

    @Test("mutated archives, compressed files and workbooks end in records or a refusal naming the file, never an internal error")
    func packed() throws {
        var mutator = Mutator(random: 7)
        for original in try Self.packedOriginals() {
            for index in 0..<max(Self.count / 3, 10) {
                let path = TestFiles.write(mutator.mutate(original.bytes, xml: false), name: original.name)
                do {
                    for file in try InputFile.collect([path], format: nil, mapping: nil) {
                        let source = try file.open(mapping: nil, options: CSVOptions(maxFieldBytes: 100_000, maxRecordBytes: 400_000))
                        while try source.next() != nil {}
                    }
                } catch let error as any UserFacingError {
                    #expect([ExitStatus.dataError, .usage, .noInput].contains(error.exitStatus), "\(original.name) case \(index): \(error)")
                    #expect(error.description.hasPrefix(path), "\(original.name) case \(index): \(error)")
                } catch {
                    Issue.record("\(original.name) case \(index) ended in an error that is not the user's: \(error)")
                }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
