import Extract
import PipelineCore
import Foundation
import TestSupport
import Testing

/// Reads a whole file with the reader: the header, then every row's fields.
func readAll(_ path: String, options: CSVOptions = CSVOptions()) throws -> (header: [String], rows: [CSVRow]) {
    let reader = try CSVReader(path: path, options: options)
    var rows: [CSVRow] = []
    var row = CSVRow()
    while try reader.next(into: &row) { rows.append(row) }
    return (reader.header, rows)
}

@Suite("CSV reader")
struct CSVReaderTests {
    static let spectrumCases = [
        "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "newlines", "newlines_crlf",
        "quotes_and_newlines", "simple", "simple_crlf", "utf8",
    ]

    @Test("every csv-spectrum case parses to its JSON",
          .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)), arguments: spectrumCases)
    func spectrum(name: String) throws {
        let folder = TestFiles.conformance + "/csv"
        let expectedData = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/json/\(name).json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [[String: String]])
        let (header, rows) = try readAll("\(folder)/csvs/\(name).csv")
        let parsed = rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(header, row.fields))
        }
        #expect(parsed == expected)
        #expect(rows.allSatisfy { $0.problem == nil && $0.count == header.count })
    }

    @Test("a UTF-8 byte-order mark is not part of the first column name")
    func byteOrderMark() throws {
        let (header, rows) = try readAll(TestFiles.write([0xEF, 0xBB, 0xBF] + Array("email,name\na@x.io,Ann\n".utf8)))
        #expect(header == ["email", "name"])
        #expect(rows.map(\.fields) == [["a@x.io", "Ann"]])
    }

    @Test("CRLF, LF and lone CR end records, mixed in one file; CRLF inside quotes is kept")
    func lineEndings() throws {
        let text = "a,b\r\n1,\"x\r\ny\"\n2,z\r3,w\r\n"
        let (_, rows) = try readAll(TestFiles.write(text))
        #expect(rows.map(\.fields) == [["1", "x\r\ny"], ["2", "z"], ["3", "w"]])
        #expect(rows.map(\.line) == [2, 4, 5])
    }

    @Test("blank lines are skipped and a last line without a line break is read")
    func blankLinesAndLastLine() throws {
        let (_, rows) = try readAll(TestFiles.write("a,b\n\n1,2\r\n\r\n\n3,4"))
        #expect(rows.map(\.fields) == [["1", "2"], ["3", "4"]])
        #expect(rows.map(\.line) == [3, 6])
    }

    @Test("records remember the line they start on, across quoted line breaks")
    func recordLines() throws {
        let (_, rows) = try readAll(TestFiles.write("id,note\n1,\"two\nlines\"\n2,\"three\n\nlines\"\n3,x\n"))
        #expect(rows.map(\.line) == [2, 4, 7])
    }

    @Test("other delimiters", arguments: [(";", "a;b\n1;\"x;y\"\n"), ("\t", "a\tb\n1\t\"x\ty\"\n"), ("|", "a|b\n1|\"x|y\"\n")])
    func delimiters(delimiter: String, text: String) throws {
        let options = CSVOptions(delimiter: UInt8(ascii: delimiter.unicodeScalars.first!))
        let (header, rows) = try readAll(TestFiles.write(text), options: options)
        #expect(header == ["a", "b"])
        #expect(rows.map(\.fields) == [["1", "x\(delimiter)y"]])
    }

    @Test("an unterminated quote at the end of the file is an error naming the line where the field starts")
    func unterminatedQuote() throws {
        let path = TestFiles.write("a,b\n1,2\n3,\"never\nclosed,4\n5,6\n")
        let error = try #require(throws: ExtractError.self) { try readAll(path) }
        #expect(error == .unterminatedQuote(file: path, line: 3))
        #expect(error.description.hasPrefix("\(path):3: error:"))
        #expect(error.exitStatus == .dataError)
    }

    @Test("a quote inside an unquoted field is kept; text after a closing quote marks the row")
    func strayQuotes() throws {
        let (_, rows) = try readAll(TestFiles.write("a,b\n5\" tall,x\n\"ok\"tail,y\n3,z\n"))
        #expect(rows[0].fields == ["5\" tall", "x"])
        #expect(rows[0].problem == nil)
        #expect(rows[1].problem == .textAfterClosingQuote(field: 0))
        #expect(rows[2].fields == ["3", "z"])
    }

    @Test("a field over the limit marks its row, memory stays bounded, and the next rows read normally")
    func fieldLimit() throws {
        let huge = String(repeating: "x", count: 5_000)
        let path = TestFiles.write("a,b\n1,\(huge)\n2,\"\(huge)\nmore\"\n3,ok\n")
        let (_, rows) = try readAll(path, options: CSVOptions(maxFieldBytes: 1_000, maxRecordBytes: 4_000))
        #expect(rows.count == 3)
        #expect(rows[0].problem == .fieldTooLarge(field: 1, limit: 1_000))
        #expect(rows[1].problem == .fieldTooLarge(field: 1, limit: 1_000))
        #expect(rows[2].fields == ["3", "ok"])
        #expect(rows[2].line == 5)
        #expect(rows[0].byteCount(at: 0) == 1)
    }

    @Test("a record over the limit marks its row")
    func recordLimit() throws {
        let field = String(repeating: "y", count: 900)
        let path = TestFiles.write("a,b,c,d,e\n\(field),\(field),\(field),\(field),\(field)\n1,2,3,4,5\n")
        let (_, rows) = try readAll(path, options: CSVOptions(maxFieldBytes: 1_000, maxRecordBytes: 4_000))
        #expect(rows[0].problem == .recordTooLarge(limit: 4_000))
        #expect(rows[1].fields == ["1", "2", "3", "4", "5"])
    }

    @Test("invalid UTF-8 is an error naming the file, the line and the byte offset")
    func invalidUTF8() throws {
        let bytes = Array("email,name\na@x.io,Zoë\nb@x.io,Bad".utf8) + [0xFF] + Array("x\n".utf8)
        let path = TestFiles.write(bytes)
        let error = try #require(throws: ExtractError.self) { try readAll(path) }
        #expect(error == .invalidUTF8(file: path, line: 3, byteOffset: bytes.firstIndex(of: 0xFF)!))
        #expect(error.description.contains("--encoding"))
    }

    @Test("invalid UTF-8 far into the file, after a block boundary, has its exact line and offset")
    func invalidUTF8AfterBlockBoundary() throws {
        var bytes = Array("a,b\n".utf8)
        var lines = 1
        while bytes.count < (1 << 20) + 100 {
            bytes += Array("ü\(lines),€\n".utf8)
            lines += 1
        }
        // A two-byte sequence cut by the block boundary is valid; an overlong one is not.
        let offset = bytes.count
        bytes += [0xC0, 0x80, 0x0A]
        let path = TestFiles.write(bytes)
        let error = try #require(throws: ExtractError.self) { try readAll(path) }
        #expect(error == .invalidUTF8(file: path, line: lines + 1, byteOffset: offset))
    }

    @Test("a multi-byte character cut off by the end of the file is invalid")
    func truncatedAtEnd() throws {
        let path = TestFiles.write(Array("a\nok\n".utf8) + [0xE2, 0x82])
        let error = try #require(throws: ExtractError.self) { try readAll(path) }
        #expect(error == .invalidUTF8(file: path, line: 3, byteOffset: 5))
    }

    @Test("latin1 and windows-1252 are converted, and differ in 0x80–0x9F")
    func singleByteEncodings() throws {
        let bytes: [UInt8] = Array("name\n".utf8) + [0x5A, 0x6F, 0xEB, 0x20, 0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x9D, 0x0A]
        let path = TestFiles.write(bytes)
        let latin1 = try readAll(path, options: CSVOptions(encoding: .latin1)).rows[0][0]
        let windows = try readAll(path, options: CSVOptions(encoding: .windows1252)).rows[0][0]
        #expect(latin1 == "Zoë \u{80} \u{93}q\u{94} \u{9D}")
        #expect(windows == "Zoë € “q” \u{9D}")
        #expect(throws: ExtractError.self) { try readAll(path) }
    }

    @Test("an empty file has no header and no rows")
    func emptyFile() throws {
        let (header, rows) = try readAll(TestFiles.write(""))
        #expect(header.isEmpty)
        #expect(rows.isEmpty)
    }

    @Test("a missing file is unreadable (exit 66)")
    func missingFile() throws {
        let error = try #require(throws: ExtractError.self) { try readAll("/nonexistent/users.csv") }
        #expect(error.exitStatus == .noInput)
        #expect(error.description.contains("/nonexistent/users.csv"))
    }
}
