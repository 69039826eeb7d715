import PipelineCore

/// RFC 4180 CSV: a header row of the column keys, CRLF line ends, fields with a comma, quote or line
/// break quoted with doubled quotes. Only the main table; the totals are in the JSON and HTML formats.
enum CSVRenderer {
    static func render(_ report: Report) -> String {
        let lines = [report.main.columns.map { CSVField.quoted($0.key) }]
            + report.main.rows.map { $0.map { CSVField.quoted($0.text) } }
        return lines.map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
