import Foundation

/// The output formats of `crm-pipeline report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table, csv, json, markdown, html

    /// Renders `report` in this format.
    ///
    /// - Parameter width: The terminal width the `table` format fits into.
    public func render(_ report: Report, width: Int = 120) -> String {
        switch self {
        case .table: TextTableRenderer(width: width).render(report)
        case .csv: CSVRenderer.render(report)
        case .json: JSONRenderer.render(report)
        case .markdown: MarkdownRenderer.render(report)
        case .html: HTMLRenderer.render(report)
        }
    }
}

extension Report {
    /// `users report for 2024-05 (2024-05-01T00:00:00Z to 2024-06-01T00:00:00Z)`, or for a snapshot
    /// `tables report as of 2026-12-01T02:40:00Z`.
    var heading: String {
        isSnapshot
            ? "\(kind) report as of \(ReportPeriod.sql(generatedAt))"
            : "\(kind) report for \(period.label) (\(ReportPeriod.sql(period.from)) to \(ReportPeriod.sql(period.to)))"
    }
}
