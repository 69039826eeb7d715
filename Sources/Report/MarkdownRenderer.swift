/// GitHub-flavoured Markdown: a heading, the totals as a list, and a table per section.
enum MarkdownRenderer {
    static func render(_ report: Report) -> String {
        var lines = ["# \(escape(report.heading))", ""]
        lines += report.totals.map { "- **\(escape($0.label))**: \(escape($0.value.text))" }
        for section in [report.main] + report.sections {
            lines += ["", "## \(escape(section.title))", ""]
            lines.append("| " + section.columns.map { escape($0.title) }.joined(separator: " | ") + " |")
            lines.append("|" + section.columns.indices.map { column in
                section.rows.allSatisfy { $0[column].isNumeric || $0[column] == .empty } ? " ---: |" : " --- |"
            }.joined())
            lines += section.rows.map { "| " + $0.map { escape($0.text) }.joined(separator: " | ") + " |" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pipes and line breaks would break a table cell; angle brackets would become HTML.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "|": escaped += "\\|"
            case "\n", "\r\n", "\r": escaped += " "
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
