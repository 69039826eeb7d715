import Foundation
import XMLStream

/// The rows of one worksheet, streamed: each row's number and its cells' values by column, as text the
/// validator reads (shared and inline strings, numbers, `true`/`false`, dates as wall-clock text).
final class XLSXSheetReader {
    struct Row {
        let number: Int
        /// Column index (A = 0) → value; empty cells are absent.
        var cells: [Int: String] = [:]
    }

    private let reader: XMLStreamReader
    private let stream: any ByteStream
    private let workbook: XLSXWorkbook
    /// The date pattern to write a date cell of each column with.
    private let datePatterns: (Int) -> String
    private var formatters: [String: DateFormatter] = [:]
    private var lastRow = 0

    init(workbook: XLSXWorkbook, part: String, datePatterns: @escaping (Int) -> String) throws {
        self.workbook = workbook
        self.datePatterns = datePatterns
        (reader, stream) = try workbook.xmlReader(part)
    }

    /// Bytes of the workbook file read so far for this sheet.
    var consumed: Int { stream.consumed }

    /// The next row with at least one cell, or `nil` at the end of the sheet.
    func next() throws -> Row? {
        var row: Row?
        var cell: (column: Int, type: String, style: Int)?
        var value: String?, inline = "", capture = false, lastColumn = -1
        while let event = try reader.next() {
            switch event {
            case .start("row", let attributes, _, let isEmpty):
                lastRow = attributes["r"].flatMap(Int.init) ?? lastRow + 1
                if !isEmpty { row = Row(number: lastRow) }
                lastColumn = -1
            case .end("row"):
                if let row, !row.cells.isEmpty { return row }
                row = nil
            case .start("c", let attributes, _, let isEmpty):
                let column = attributes["r"].flatMap(Self.columnIndex) ?? lastColumn + 1
                lastColumn = column
                cell = isEmpty ? nil : (column, attributes["t"] ?? "n", attributes["s"].flatMap(Int.init) ?? 0)
                value = nil
                inline = ""
            case .start("v", _, _, let isEmpty), .start("t", _, _, let isEmpty):
                capture = !isEmpty
                if capture, case .start("v", _, _, _) = event { value = "" }
            case .end("v"), .end("t"):
                capture = false
            case .text(let text) where capture:
                if cell?.type == "inlineStr" { inline += text } else { value = (value ?? "") + text }
            case .end("c"):
                if let current = cell, let text = cellText(current.type, current.style, current.column, value, inline) {
                    row?.cells[current.column] = text
                }
                cell = nil
            default:
                break
            }
        }
        return nil
    }

    private func cellText(_ type: String, _ style: Int, _ column: Int, _ value: String?, _ inline: String) -> String? {
        switch type {
        case "inlineStr": return inline
        case "s": return value.flatMap(Int.init).flatMap { workbook.sharedStrings.indices.contains($0) ? workbook.sharedStrings[$0] : nil }
        case "b": return value.map { $0 == "1" ? "true" : "false" }
        case "n":
            guard let value, let number = Double(value) else { return value }
            if workbook.dateStyles.contains(style), let date = ExcelDate.date(fromSerial: number, date1904: workbook.date1904) {
                return formatter(datePatterns(column)).string(from: date)
            }
            return value.contains(where: { $0 == "E" || $0 == "e" }) && number == number.rounded() && abs(number) < 1e15
                ? String(Int64(number)) : value
        default: return value  // str (a formula's text), e (an error such as #N/A), d (an ISO date)
        }
    }

    private func formatter(_ pattern: String) -> DateFormatter {
        if let formatter = formatters[pattern] { return formatter }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        formatters[pattern] = formatter
        return formatter
    }

    /// `B7` → 1; `AA3` → 26.
    static func columnIndex(_ reference: String) -> Int? {
        var index = 0, letters = 0
        for scalar in reference.unicodeScalars {
            guard (65...90).contains(scalar.value) || (97...122).contains(scalar.value) else { break }
            index = index * 26 + Int((scalar.value & 0x1F))
            letters += 1
        }
        return letters > 0 ? index - 1 : nil
    }
}
