import Foundation

/// One self-contained HTML file: inline CSS, inline SVG charts, no script and nothing from the network,
/// readable when printed. Every value is escaped.
enum HTMLRenderer {
    static func render(_ report: Report) -> String {
        var body = ["<h1>\(escape(report.heading))</h1>",
                    "<p class=\"meta\">Generated \(escape(ReportPeriod.sql(report.generatedAt))) by crm-pipeline.</p>"]
        if !report.totals.isEmpty {
            body.append("<dl class=\"totals\">" + report.totals.map {
                "<div><dt>\(escape($0.label))</dt><dd>\(escape($0.value.text))</dd></div>"
            }.joined() + "</dl>")
        }
        body += report.charts.map(SVGChart.render)
        for section in [report.main] + report.sections {
            body.append("<h2>\(escape(section.title))</h2>")
            body.append(table(section))
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape(report.heading))</title>
            <style>
            body { font: 14px/1.4 -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK JP", sans-serif; margin: 2em; color: #1b1f24; }
            h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
            .meta { color: #57606a; }
            table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
            th, td { border-bottom: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
            th { background: #f6f8fa; } td.n { text-align: right; }
            .totals { display: flex; flex-wrap: wrap; gap: 8px 24px; }
            .totals div { min-width: 12em; } .totals dt { color: #57606a; font-size: 0.85em; } .totals dd { margin: 0; font-size: 1.2em; }
            figure { margin: 1.5em 0; } figcaption { font-weight: 600; margin-bottom: 0.4em; }
            svg text { font-size: 11px; fill: #1b1f24; }
            @media print { body { margin: 0; } table { page-break-inside: auto; } tr { page-break-inside: avoid; } }
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    private static func table(_ section: ReportSection) -> String {
        guard !section.rows.isEmpty else { return "<p>(no rows)</p>" }
        let header = "<tr>" + section.columns.map { "<th>\(escape($0.title))</th>" }.joined() + "</tr>"
        let rows = section.rows.map { row in
            "<tr>" + row.map { $0.isNumeric ? "<td class=\"n\">\(escape($0.text))</td>" : "<td>\(escape($0.text))</td>" }.joined() + "</tr>"
        }
        return "<table>\n<thead>\(header)</thead>\n<tbody>\n\(rows.joined(separator: "\n"))\n</tbody>\n</table>"
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// Grouped bar charts as inline SVG.
enum SVGChart {
    private static let colors = ["#0969da", "#1a7f37", "#bf8700", "#cf222e"]

    static func render(_ chart: ReportChart) -> String {
        let groups = max(chart.labels.count, 1)
        let barsPerGroup = max(chart.series.count, 1)
        let plotHeight = 180.0, left = 70.0, bottom = 40.0, groupWidth = 56.0
        let width = left + Double(groups) * groupWidth + 20
        let height = plotHeight + bottom + 30
        let maximum = niceCeiling(chart.series.flatMap(\.values).max() ?? 0)
        var parts: [String] = []
        for tick in 0...4 {
            let value = maximum * Double(tick) / 4
            let y = plotHeight - plotHeight * Double(tick) / 4 + 10
            parts.append("<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 10)\" y2=\"\(y)\" stroke=\"#d0d7de\"/>")
            parts.append("<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(HTMLRenderer.escape(format(value, chart.unit)))</text>")
        }
        let barWidth = (groupWidth - 12) / Double(barsPerGroup)
        for (group, label) in chart.labels.enumerated() {
            let x0 = left + Double(group) * groupWidth + 6
            for (index, series) in chart.series.enumerated() where group < series.values.count {
                let value = series.values[group]
                let barHeight = plotHeight * value / maximum
                let x = x0 + Double(index) * barWidth
                parts.append("<rect x=\"\(x)\" y=\"\(plotHeight - barHeight + 10)\" width=\"\(barWidth - 1)\" height=\"\(barHeight)\" fill=\"\(colors[index % colors.count])\"><title>\(HTMLRenderer.escape("\(series.name) \(label): \(format(value, chart.unit))"))</title></rect>")
            }
            parts.append("<text x=\"\(x0 + (groupWidth - 12) / 2)\" y=\"\(plotHeight + 26)\" text-anchor=\"middle\">\(HTMLRenderer.escape(shortLabel(label)))</text>")
        }
        let legend = chart.series.enumerated().map { index, series in
            "<tspan fill=\"\(colors[index % colors.count])\">■</tspan> \(HTMLRenderer.escape(series.name))"
        }.joined(separator: "   ")
        parts.append("<text x=\"\(left)\" y=\"\(height - 4)\">\(legend)</text>")
        return """
            <figure><figcaption>\(HTMLRenderer.escape(chart.title))</figcaption>
            <svg xmlns="http://www.w3.org/2000/svg" role="img" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))">
            \(parts.joined(separator: "\n"))
            </svg></figure>
            """
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ (at least 4) not below `value`, so that the four ticks are round.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 4 else { return 4 }
        let magnitude = pow(10, floor(log10(value)))
        return [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= value } ?? value
    }

    private static func shortLabel(_ label: String) -> String {
        label.count > 9 ? String(label.prefix(8)) + "…" : label
    }

    static func format(_ value: Double, _ unit: ReportChart.Unit) -> String {
        guard unit == .bytes else { return value >= 10_000 ? "\(Int(value / 1_000))k" : "\(Int(value))" }
        for (limit, suffix) in [(1_073_741_824.0, "GB"), (1_048_576.0, "MB"), (1_024.0, "kB")] where value >= limit {
            return "\(Int((value / limit).rounded())) \(suffix)"
        }
        return "\(Int(value)) B"
    }
}
