import Foundation
import Load
import PipelineCore

/// The end-of-run summary an operator reads: one line per entity, rejects per reason, files skipped.
struct ImportSummaryView {
    let summary: ImportSummary

    var text: String {
        let rate = summary.elapsed > 0 ? Int(Double(summary.totalRead) / summary.elapsed) : summary.totalRead
        var lines = [
            summary.dryRun
                ? "Import run \(summary.runID) (dry run): everything was checked and loaded, then rolled back."
                : "Import run \(summary.runID) succeeded.",
            "",
        ]
        // The columns of what the CRM changed besides adding and updating, only when the run did some of it.
        let changes = Self.identityColumns.filter { column in summary.counts.values.contains { $0[keyPath: column.count] > 0 } }
        let header = ["ENTITY", "READ", "INSERTED", "UPDATED", "UNCHANGED", "REJECTED", "DUPLICATES"] + changes.map(\.title)
        var rows = [header]
        var total = EntityCounts()
        // Erasure requests have a row when the run read some.
        for entity in Entity.crmRecords + ((summary.counts[.erasures]?.read ?? 0) > 0 ? [.erasures] : []) {
            let counts = summary.counts[entity] ?? EntityCounts()
            rows.append([entity.name] + Self.numbers(counts, changes: changes))
            total.add(counts)
        }
        rows.append(["total"] + Self.numbers(total, changes: changes))
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        lines.append("")
        if !summary.rejectsByReason.isEmpty {
            lines.append("Rejected rows by reason: "
                + summary.rejectsByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if let rejectFile = summary.rejectFile {
            lines.append("Reject file: \(rejectFile)")
        }
        if !summary.skippedFiles.isEmpty {
            lines.append("Skipped, already imported (use --force to import again): " + summary.skippedFiles.joined(separator: ", "))
        }
        if !summary.mergedRows.isEmpty {
            lines.append("Duplicates merged (\(summary.mergedRows.count)):")
            lines += summary.mergedRows.prefix(20).map { "  " + $0 }
            if summary.mergedRows.count > 20 { lines.append("  … and \(summary.mergedRows.count - 20) more") }
        }
        lines.append(String(format: "Elapsed %.2f s, %d rows/s.", summary.elapsed, rate))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rows removed, and users renamed or merged with the rows that moved with them (issue 25).
    private static var identityColumns: [(title: String, count: KeyPath<EntityCounts, Int>)] {
        [("DELETED", \.deleted), ("ERASED", \.erased), ("RENAMED", \.renamed), ("MERGED", \.merged)]
    }

    private static func numbers(_ counts: EntityCounts, changes: [(title: String, count: KeyPath<EntityCounts, Int>)]) -> [String] {
        ([counts.read, counts.inserted, counts.updated, counts.unchanged, counts.rejected, counts.duplicates]
            + changes.map { counts[keyPath: $0.count] }).map(String.init)
    }
}
