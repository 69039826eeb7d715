/// The terminal table: columns aligned by display width (wide characters and emoji count two), numbers
/// to the right, and the widest text columns cut with an ellipsis so that a row fits the width. Column
/// titles are the short ones ("+" marks a figure of the period); CSV and JSON use the keys.
struct TextTableRenderer {
    let width: Int

    func render(_ report: Report) -> String {
        var lines = [report.heading, ""]
        if !report.totals.isEmpty {
            let labelWidth = report.totals.map { DisplayWidth.of($0.label) }.max() ?? 0
            lines += report.totals.map { DisplayWidth.pad($0.label, to: labelWidth, right: false) + "  " + $0.value.text }
            lines.append("")
        }
        for section in [report.main] + report.sections {
            lines.append(section.title)
            lines += table(section)
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// Line breaks and tabs inside a value would break the table: they become spaces.
    static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    func table(_ section: ReportSection) -> [String] {
        guard !section.rows.isEmpty else { return ["(no rows)"] }
        let header = section.columns.map(\.title)
        let numeric = header.indices.map { column in section.rows.allSatisfy { $0[column].isNumeric || $0[column] == .empty } }
        var widths = header.indices.map { column in
            max(DisplayWidth.of(header[column]), section.rows.map { DisplayWidth.of(Self.singleLine($0[column].text)) }.max() ?? 0)
        }
        // Shrink the widest text column, one column at a time, until the row fits; numbers are never cut.
        let gaps = 2 * (widths.count - 1)
        while widths.reduce(0, +) + gaps > width,
            let widest = widths.indices.filter({ !numeric[$0] && widths[$0] > 8 }).max(by: { widths[$0] < widths[$1] })
        {
            widths[widest] -= 1
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                DisplayWidth.pad(DisplayWidth.truncate(cell, to: widths[column]), to: widths[column], right: numeric[column])
            }.joined(separator: "  ")
        }
        return [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
            + section.rows.map { line($0.map { Self.singleLine($0.text) }) }
    }
}
