import ArchiveStream
import Foundation
import XMLStream

/// What an XLSX workbook's parts say before its sheets are read: the sheets and where they are, the date
/// system, which cell styles show dates, and the shared strings. Every part goes through the same safe
/// XML reader as an XML export, and the zip through the same limits as any archive.
struct XLSXWorkbook {
    struct Sheet: Equatable {
        let name: String
        /// The sheet's part in the zip (`xl/worksheets/sheet1.xml`).
        let part: String
    }

    let path: String
    private(set) var sheets: [Sheet] = []
    private(set) var date1904 = false
    /// The indexes of `cellXfs` whose number format is a date or a time.
    private(set) var dateStyles: Set<Int> = []
    private(set) var sharedStrings: [String] = []

    /// Reads the workbook at `path`; `withStrings` also loads the shared strings (not needed to list sheets).
    init(path: String, withStrings: Bool) throws {
        self.path = path
        let parts = Set(try ArchiveCatalog.members(of: path))
        guard parts.contains("xl/workbook.xml") else {
            throw ExtractError.badArchive(file: path, reason: "it is not an XLSX workbook (no xl/workbook.xml)")
        }
        var relationships: [String: String] = [:]
        if parts.contains("xl/_rels/workbook.xml.rels") {
            try read("xl/_rels/workbook.xml.rels") { name, attributes in
                if name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
                    relationships[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
                }
            }
        }
        try read("xl/workbook.xml") { name, attributes in
            if name == "workbookPr" { date1904 = ["1", "true"].contains(attributes["date1904"] ?? "") }
            if name == "sheet", let sheetName = attributes["name"], let id = attributes["id"], let part = relationships[id] {
                sheets.append(Sheet(name: sheetName, part: part))
            }
        }
        if parts.contains("xl/styles.xml") { try readStyles() }
        if withStrings, parts.contains("xl/sharedStrings.xml") { try readSharedStrings() }
    }

    /// A streaming reader of the part `part`, named `workbook.xlsx!/part` in errors, and its byte stream
    /// (for progress).
    func xmlReader(_ part: String) throws -> (reader: XMLStreamReader, stream: any ByteStream) {
        let stream = try ArchiveMemberStream(path: path, kind: .archive, member: part, name: "\(path)!/\(part)")
        return (try XMLStreamReader(name: "\(path)!/\(part)") { try stream.read(into: $0) }, stream)
    }

    /// Calls `element` with the local name and attributes of every start tag of `part`.
    private func read(_ part: String, _ element: (String, [String: String]) throws -> Void) throws {
        let reader = try xmlReader(part).reader
        while let event = try reader.next() {
            if case .start(let name, let attributes, _, _) = event { try element(name, attributes) }
        }
    }

    private mutating func readStyles() throws {
        var customFormats: [Int: String] = [:]
        var inCellFormats = false
        var index = 0
        var styles: Set<Int> = []
        let reader = try xmlReader("xl/styles.xml").reader
        while let event = try reader.next() {
            switch event {
            case .start("numFmt", let attributes, _, _):
                if let id = attributes["numFmtId"].flatMap(Int.init) { customFormats[id] = attributes["formatCode"] }
            case .start("cellXfs", _, _, _): inCellFormats = true
            case .end("cellXfs"): inCellFormats = false
            case .start("xf", let attributes, _, _) where inCellFormats:
                let id = attributes["numFmtId"].flatMap(Int.init) ?? 0
                if ExcelDate.isDateFormat(id: id, code: customFormats[id]) { styles.insert(index) }
                index += 1
            default: break
            }
        }
        dateStyles = styles
    }

    /// `<si>` items: the text of their `<t>` elements (rich-text runs joined), phonetic `<rPh>` left out.
    private mutating func readSharedStrings() throws {
        var strings: [String] = []
        var current = "", inText = false, phonetic = 0
        let reader = try xmlReader("xl/sharedStrings.xml").reader
        while let event = try reader.next() {
            switch event {
            case .start("si", _, _, _): current = ""
            case .end("si"): strings.append(current)
            case .start("rPh", _, _, let isEmpty): if !isEmpty { phonetic += 1 }
            case .end("rPh"): phonetic -= 1
            case .start("t", _, _, let isEmpty): inText = !isEmpty && phonetic == 0
            case .end("t"): inText = false
            case .text(let text) where inText: current += text
            default: break
            }
        }
        sharedStrings = strings
    }
}
