import Foundation
import PipelineCore

/// Where generated rows go: native CSV files or XML (``ExportSink``), or one XLSX workbook (``WorkbookSink``).
protocol RowSink {
    /// Writes one row: values aligned with `entity.dataFields` (a row may carry one extra value).
    func write(_ entity: Entity, _ values: [String]) throws
    /// Finishes the files; returns the rows written per entity.
    func finish() throws -> [String: Int]
}

extension ExportSink: RowSink {}

/// Writes the native export as `crm-export.xlsx`, one sheet per entity named like the CSV files
/// (`users`, `job_requests`, …), cells typed as Excel types them: dates as date cells, counts and
/// amounts as numbers, `credit_charged` as booleans, the rest as text. A value that is not of its
/// field's type (a bad row's `ten` seconds, `2025-02-30`) stays text, as in a real workbook.
final class WorkbookSink: RowSink {
    private let writer: XLSXWriter
    private let path: String
    private var sheets: [Entity: Int] = [:]
    private var counts: [Entity: Int] = [:]

    init(folder: String, date1904: Bool = false) throws {
        path = "\(folder)/crm-export.xlsx"
        writer = XLSXWriter(folder: folder, date1904: date1904)
        for entity in Entity.crmRecords {
            sheets[entity] = try writer.addSheet(entity.name)
            try writer.append(entity.dataFields.map { .shared($0.name) }, to: sheets[entity]!)
        }
    }

    func write(_ entity: Entity, _ values: [String]) throws {
        counts[entity, default: 0] += 1
        let fields = entity.dataFields
        try writer.append(values.enumerated().map { index, value in
            value.isEmpty ? nil : cell(value, field: index < fields.count ? fields[index] : nil)
        }, to: sheets[entity]!)
    }

    private func cell(_ value: String, field: Field?) -> XLSXWriter.Cell {
        switch field {
        case .createdAt?, .updatedAt?, .paidAt?:
            Timestamp.parse(value).map(XLSXWriter.Cell.date) ?? .inline(value)
        case .durationSeconds?, .amountCents?:
            Int(value) != nil ? .number(value) : .inline(value)
        case .creditCharged?:
            ["true", "false"].contains(value) ? .bool(value == "true") : .inline(value)
        case .firstName?, .lastName?, .jobTitle?, .companyName?, .status?, .currency?:
            .shared(value)
        default:
            .inline(value)
        }
    }

    func finish() throws -> [String: Int] {
        try writer.finish(to: path)
        return Dictionary(uniqueKeysWithValues: counts.map { ($0.key.name, $0.value) })
    }
}
