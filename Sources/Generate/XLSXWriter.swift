import ArchiveStream
import Foundation

/// Writes an XLSX workbook as Excel does (shared strings, inline strings, numbers, booleans, dates as
/// serial numbers with a date style), streaming: each sheet's rows go to a part file beside the workbook,
/// and the parts are zipped at the end.
final class XLSXWriter {
    enum Cell {
        /// A text kept once in the shared strings (repeated values, headers).
        case shared(String)
        /// A text written in the cell.
        case inline(String)
        case number(String)
        case bool(Bool)
        /// A date-time (UTC wall clock), written as a serial number of the 1900 or 1904 system.
        case date(Date)
    }

    private struct Sheet {
        let name: String
        let partPath: String
        let handle: FileHandle
        var buffer = ""
        var rows = 0
    }

    private let folder: String
    private let date1904: Bool
    private var sheets: [Sheet] = []
    private var sharedIndex: [String: Int] = [:]
    private var shared: [String] = []

    init(folder: String, date1904: Bool = false) {
        self.folder = folder
        self.date1904 = date1904
    }

    /// Adds a sheet; returns its number for ``append(_:to:)``.
    func addSheet(_ name: String) throws -> Int {
        let partPath = "\(folder)/.sheet\(sheets.count + 1).xml.part"
        guard FileManager.default.createFile(atPath: partPath, contents: nil), let handle = FileHandle(forWritingAtPath: partPath) else {
            throw GenerateError.cannotWrite(partPath)
        }
        sheets.append(Sheet(name: name, partPath: partPath, handle: handle))
        return sheets.count - 1
    }

    /// Appends a row of cells (`nil`: an empty cell) to sheet `sheet`.
    func append(_ cells: [Cell?], to sheet: Int) throws {
        sheets[sheet].rows += 1
        let row = sheets[sheet].rows
        var xml = "<row r=\"\(row)\">"
        for (column, cell) in cells.enumerated() {
            guard let cell else { continue }
            let reference = Self.columnName(column) + String(row)
            switch cell {
            case .shared(let text): xml += "<c r=\"\(reference)\" t=\"s\"><v>\(sharedNumber(text))</v></c>"
            case .inline(let text): xml += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(Self.escape(text))</t></is></c>"
            case .number(let text): xml += "<c r=\"\(reference)\"><v>\(text)</v></c>"
            case .bool(let flag): xml += "<c r=\"\(reference)\" t=\"b\"><v>\(flag ? 1 : 0)</v></c>"
            case .date(let date): xml += "<c r=\"\(reference)\" s=\"1\"><v>\(serial(of: date))</v></c>"
            }
        }
        sheets[sheet].buffer += xml + "</row>\n"
        if sheets[sheet].buffer.utf8.count > 1 << 20 { try flush(sheet) }
    }

    /// Zips the workbook to `path` and removes the part files.
    func finish(to path: String) throws {
        for index in sheets.indices {
            try flush(index)
            try sheets[index].handle.close()
        }
        defer { for sheet in sheets { try? FileManager.default.removeItem(atPath: sheet.partPath) } }
        let zip = try ArchiveWriter(path: path, format: .zip())
        try zip.add(name: "[Content_Types].xml", data: Array(contentTypes.utf8))
        try zip.add(name: "_rels/.rels", data: Array(Self.packageRelationships.utf8))
        try zip.add(name: "xl/workbook.xml", data: Array(workbook.utf8))
        try zip.add(name: "xl/_rels/workbook.xml.rels", data: Array(workbookRelationships.utf8))
        try zip.add(name: "xl/styles.xml", data: Array(Self.styles.utf8))
        try zip.add(name: "xl/sharedStrings.xml", data: Array(sharedStrings.utf8))
        for (index, sheet) in sheets.enumerated() {
            let head = Array("\(Self.declaration)<worksheet xmlns=\"\(Self.mainNamespace)\"><sheetData>\n".utf8)
            let tail = Array("</sheetData></worksheet>\n".utf8)
            let body = try FileManager.default.attributesOfItem(atPath: sheet.partPath)[.size] as? Int ?? 0
            guard let input = FileHandle(forReadingAtPath: sheet.partPath) else { throw GenerateError.cannotWrite(sheet.partPath) }
            defer { try? input.close() }
            var pending = head[...]
            var bodyLeft = body
            var tailLeft = tail[...]
            try zip.add(name: "xl/worksheets/sheet\(index + 1).xml", size: head.count + body + tail.count) { buffer in
                if !pending.isEmpty {
                    let count = min(buffer.count, pending.count)
                    buffer.copyBytes(from: pending.prefix(count))
                    pending = pending.dropFirst(count)
                    return count
                }
                if bodyLeft > 0, let data = try input.read(upToCount: min(buffer.count, bodyLeft)), !data.isEmpty {
                    buffer.copyBytes(from: data)
                    bodyLeft -= data.count
                    return data.count
                }
                let count = min(buffer.count, tailLeft.count)
                buffer.copyBytes(from: tailLeft.prefix(count))
                tailLeft = tailLeft.dropFirst(count)
                return count
            }
        }
        try zip.close()
    }

    private func flush(_ sheet: Int) throws {
        guard !sheets[sheet].buffer.isEmpty else { return }
        try sheets[sheet].handle.write(contentsOf: Data(sheets[sheet].buffer.utf8))
        sheets[sheet].buffer = ""
    }

    private func sharedNumber(_ text: String) -> Int {
        if let number = sharedIndex[text] { return number }
        shared.append(text)
        sharedIndex[text] = shared.count - 1
        return shared.count - 1
    }

    private func serial(of date: Date) -> String {
        let days = date.timeIntervalSince1970 / 86_400 + (date1904 ? 24_107 : 25_569)
        return String(format: "%.8f", days)
    }

    /// `0` → `A`, `26` → `AA`.
    static func columnName(_ index: Int) -> String {
        var index = index + 1, name = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            index = (index - 1) / 26
        }
        return name
    }

    static func escape(_ text: String) -> String {
        ExportSink.xmlText(text).replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    private static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    private static let relationshipNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    private var contentTypes: String {
        Self.declaration + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
            + "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
            + sheets.indices.map {
                "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            }.joined() + "</Types>\n"
    }

    private static let packageRelationships = declaration
        + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        + "<Relationship Id=\"rId1\" Type=\"\(relationshipNamespace)/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\n"

    private var workbook: String {
        Self.declaration + "<workbook xmlns=\"\(Self.mainNamespace)\" xmlns:r=\"\(Self.relationshipNamespace)\">"
            + "<workbookPr\(date1904 ? " date1904=\"1\"" : "")/><sheets>"
            + sheets.enumerated().map { "<sheet name=\"\(Self.escape($1.name))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined()
            + "</sheets></workbook>\n"
    }

    private var workbookRelationships: String {
        Self.declaration + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + sheets.indices.map {
                "<Relationship Id=\"rId\($0 + 1)\" Type=\"\(Self.relationshipNamespace)/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>"
            }.joined()
            + "<Relationship Id=\"rId\(sheets.count + 1)\" Type=\"\(Self.relationshipNamespace)/styles\" Target=\"styles.xml\"/>"
            + "<Relationship Id=\"rId\(sheets.count + 2)\" Type=\"\(Self.relationshipNamespace)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
            + "</Relationships>\n"
    }

    /// Style 0: general; style 1: a custom date-time format.
    private static let styles = declaration + "<styleSheet xmlns=\"\(mainNamespace)\">"
        + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\\ hh:mm:ss\"/></numFmts>"
        + "<fonts count=\"1\"><font/></fonts><fills count=\"1\"><fill/></fills><borders count=\"1\"><border/></borders>"
        + "<cellStyleXfs count=\"1\"><xf/></cellStyleXfs>"
        + "<cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>\n"

    private var sharedStrings: String {
        Self.declaration + "<sst xmlns=\"\(Self.mainNamespace)\" count=\"\(shared.count)\" uniqueCount=\"\(shared.count)\">"
            + shared.map { "<si><t xml:space=\"preserve\">\(Self.escape($0))</t></si>" }.joined() + "</sst>\n"
    }
}
