import Foundation

/// The half-open interval `[from, to)` of a report, in UTC.
public struct ReportPeriod: Sendable, Equatable {
    public let from: Date
    public let to: Date
    /// `2024-05` for a month, `2024-05-01..2024-05-15` for a range.
    public let label: String

    /// The Gregorian calendar in UTC, in which reports count months and days.
    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// The month `YYYY-MM`.
    public static func month(_ text: String) -> ReportPeriod? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
            (1...12).contains(month), let from = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let to = calendar.date(byAdding: .month, value: 1, to: from)
        else { return nil }
        return ReportPeriod(from: from, to: to, label: text)
    }

    /// The last complete month before `now`.
    public static func lastCompleteMonth(before now: Date = Date()) -> ReportPeriod {
        let components = calendar.dateComponents([.year, .month], from: now)
        let thisMonth = calendar.date(from: components)!
        let previous = calendar.date(byAdding: .month, value: -1, to: thisMonth)!
        let parts = calendar.dateComponents([.year, .month], from: previous)
        return month(String(format: "%04d-%02d", parts.year!, parts.month!))!
    }

    /// The days `from` through `to`, both included (`YYYY-MM-DD`).
    public static func days(from: String, to: String) -> ReportPeriod? {
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "yyyy-MM-dd"
        guard let start = parser.date(from: from), let last = parser.date(from: to), start <= last,
            let end = calendar.date(byAdding: .day, value: 1, to: last)
        else { return nil }
        return ReportPeriod(from: start, to: end, label: "\(from)..\(to)")
    }

    /// The bound in PostgreSQL's `timestamptz` input form.
    static func sql(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    var sqlFrom: String { Self.sql(from) }
    var sqlTo: String { Self.sql(to) }
}
