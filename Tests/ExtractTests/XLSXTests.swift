import ArchiveStream
import Extract
import Foundation
import PipelineCore
import Testing
import XMLStream

/// Hand-written workbooks, part by part, to cover what Excel and others write.
enum Workbook {
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    /// A workbook of `sheets` (name, the `<sheetData>` content); style 1 is a date format, style 2 a number.
    static func make(_ sheets: [(String, String)], shared: String = "<sst/>", date1904: Bool = false, name: String = "book.xlsx",
                     extraParts: [(String, String)] = []) throws -> String {
        var parts: [(String, String)] = [
            ("xl/workbook.xml", """
                <workbook xmlns="\(main)" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
                <workbookPr\(date1904 ? " date1904=\"true\"" : "")/><sheets>\
                \(sheets.enumerated().map { "<sheet name=\"\($1.0)\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined())\
                </sheets></workbook>
                """),
            ("xl/_rels/workbook.xml.rels", """
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                \(sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Target=\"/xl/worksheets/s\($0 + 1).xml\"/>" }.joined())\
                </Relationships>
                """),
            ("xl/styles.xml", """
                <styleSheet xmlns="\(main)"><numFmts><numFmt numFmtId="165" formatCode="&quot;Day&quot;\\ 0.00"/></numFmts>\
                <cellXfs><xf numFmtId="0"/><xf numFmtId="22"/><xf numFmtId="165"/></cellXfs></styleSheet>
                """),
            ("xl/sharedStrings.xml", shared),
        ]
        parts += sheets.enumerated().map { ("xl/worksheets/s\($0 + 1).xml", "<worksheet xmlns=\"\(main)\"><sheetData>\($1.1)</sheetData></worksheet>") }
        return try Packs.archive(name, .zip(), (parts + extraParts).map { ($0.0, Array($0.1.utf8)) })
    }

    /// Every record of the workbook, as `sheet:row entity [field=value …]` for the given fields.
    static func records(_ path: String, mapping: Mapping? = nil, fields: [Field], skipped: (String) -> Void = { _ in }) throws -> [String] {
        try InputFile.collect([path], format: nil, mapping: mapping, skipped: skipped).flatMap { file in
            try readAll(try file.open(mapping: mapping, options: CSVOptions())).map { record in
                "\(file.name.split(separator: "/").last!):\(record.location.line) \(record.entity) "
                    + fields.map { "\($0.name)=\(record[$0] ?? "nil")" }.joined(separator: " ")
                    + (record.problem.map { " problem=\($0)" } ?? "")
            }
        }
    }
}

@Suite("XLSX workbooks")
struct XLSXTests {
    @Test("shared strings (rich text, phonetic runs left out), inline strings, numbers, booleans and empty cells by column letter")
    func cellTypes() throws {
        let shared = """
            <sst xmlns="\(Workbook.main)"><si><t>email</t></si><si><t>first_name</t></si><si><t>phone</t></si>\
            <si><r><t>Ta</t></r><r><rPr/><t xml:space="preserve">ro </t></r><rPh><t>タロウ</t></rPh></si></sst>
            """
        let path = try Workbook.make([("users", """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c><c r="B2" t="s"><v>3</v></c>\
            <c r="D2"><v>3.4600123456E10</v></c></row>
            <row r="4"><c r="A4" t="inlineStr"><is><t>bob@example.com</t></is></c><c r="D4" t="b"><v>1</v></c></row>
            <row r="5"/><row r="6"><c r="A6" t="str"><f>LOWER("X@Y.IO")</f><v>x@y.io</v></c><c r="E6" t="s"><v>0</v></c></row>
            """)], shared: shared)
        #expect(try Workbook.records(path, fields: [.email, .firstName, .phone]) == [
            "users:2 users email=ann@example.com first_name=Taro  phone=34600123456",
            "users:4 users email=bob@example.com first_name=nil phone=true",
            "users:6 users email=x@y.io first_name=nil phone=nil problem=wrongFieldCount(expected: 4, found: 5)",
        ])
    }

    @Test("dates stored as serial numbers, in the 1900 and the 1904 system, come out as the wall-clock time",
          arguments: [(false, "45306.4375"), (true, "43844.4375")])
    func dates(date1904: Bool, serial: String) throws {
        let path = try Workbook.make([("users", """
            <row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c><c r="B1" t="inlineStr"><is><t>created_at</t></is></c>\
            <c r="C1" t="inlineStr"><is><t>phone</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>a@x.io</t></is></c><c r="B2" s="1"><v>\(serial)</v></c><c r="C2" s="2"><v>\(serial)</v></c></row>
            """)], date1904: date1904)
        #expect(try Workbook.records(path, fields: [.createdAt, .phone]) == ["users:2 users created_at=2024-01-15 10:30:00 phone=\(serial)"],
                "a date style gives a date; a number format with quoted letters does not")
    }

    @Test("sheets are classified by a mapping's sheet:, by the mapping's files: glob, or by their own names; the rest are skipped")
    func sheetClassification() throws {
        let header = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Email</t></is></c></row>"
        func row(_ email: String) -> String { "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>\(email)</t></is></c></row>" }
        let path = try Workbook.make([("Contacts", header + row("c@x.io")), ("Notes", header + row("n@x.io")),
                                      ("resumes", "<row r=\"1\"><c t=\"inlineStr\"><is><t>email</t></is></c><c t=\"inlineStr\"><is><t>file_url</t></is></c></row>"
                                        + "<row r=\"2\"><c t=\"inlineStr\"><is><t>r@x.io</t></is></c><c t=\"inlineStr\"><is><t>https://f.io/1</t></is></c></row>")],
                                     name: "export.xlsx")
        let mapping = try MappingLoader.parse("users:\n  sheet: Contacts\n  columns:\n    email: Email\n", path: "m.yml")
        var skipped: [String] = []
        #expect(try Workbook.records(path, mapping: mapping, fields: [.email]) { skipped.append($0) } == [
            "Contacts:2 users email=c@x.io", "resumes:2 resumes email=r@x.io",
        ])
        #expect(skipped == ["\(path)!/Notes"])
        let byFile = try MappingLoader.parse("users:\n  files: \"export*.xlsx\"\n  columns:\n    email: Email\n", path: "m.yml")
        #expect(try Workbook.records(path, mapping: byFile, fields: [.email]).prefix(2) == ["Contacts:2 users email=c@x.io", "Notes:2 users email=n@x.io"])
    }

    @Test("a date cell is written in the mapping's first pattern for its field, so that the pattern reads it back")
    func mappedDatePattern() throws {
        let path = try Workbook.make([("Contacts", """
            <row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c><c r="B1" t="inlineStr"><is><t>Create Date</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>a@x.io</t></is></c><c r="B2" s="1"><v>45306.4375</v></c></row>
            """)], name: "hubspot-contacts.xlsx")
        let mapping = try MappingLoader.load(path: projectRoot + "/pipelines/mappings/hubspot-contacts.yml")
        #expect(try Workbook.records(path, mapping: mapping, fields: [.createdAt]) == ["Contacts:2 users created_at=2024-01-15 10:30"])
    }

    @Test("a workbook whose parts are hostile XML, or that is no workbook, is refused (65)")
    func hostile() throws {
        let laughs = "<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY a \"aaaa\">]><sst><si><t>&a;</t></si></sst>"
        let path = try Workbook.make([("users", "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>")], shared: laughs)
        let error = #expect(throws: XMLError.self) { try Workbook.records(path, fields: [.email]) }
        #expect(error?.kind == .forbiddenConstruct)
        #expect(error?.location.file == "\(path)!/xl/sharedStrings.xml")
        let notWorkbook = try Packs.archive("fake.xlsx", .zip(), [("hello.txt", [65])])
        let refused = #expect(throws: ExtractError.self) { try InputFile.collect([notWorkbook], format: nil, mapping: nil) }
        #expect(refused?.exitStatus == .dataError)
    }
}
