import Foundation

/// The stable JSON shape: `{"report", "period": {"from", "to", "label"}, "generated_at", "rows": [...],
/// "totals": {...}}` and, for the summary, `"top_users": [...]`. Rows are objects keyed by column key.
enum JSONRenderer {
    static func render(_ report: Report) -> String {
        var object: [String: Any] = [
            "report": report.kind,
            "period": ["from": ReportPeriod.sql(report.period.from), "to": ReportPeriod.sql(report.period.to),
                       "label": report.period.label],
            "generated_at": ReportPeriod.sql(report.generatedAt),
            "rows": rows(report.main),
            "totals": Dictionary(uniqueKeysWithValues: report.totals.map { ($0.key, json($0.value)) }),
        ]
        for section in report.sections { object[section.key] = rows(section) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func rows(_ section: ReportSection) -> [[String: Any]] {
        section.rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(section.columns.map(\.key), row.map(json)))
        }
    }

    private static func json(_ value: ReportValue) -> Any {
        switch value {
        case .text(let text): text
        case .integer(let number): number
        case .decimal(let number): (number * 100).rounded() / 100
        case .flag(let flag): flag
        case .empty: NSNull()
        }
    }
}
