import Foundation

/// The time a report reads, cut at every month start of its series and at the period's bounds. Each
/// bucket then lies wholly inside or outside the period, so one pass over a table counts its rows per
/// month and per user in the period together.
struct ReportBuckets {
    /// Ascending. Bucket `i` (1-based, as PostgreSQL's `width_bucket` numbers them) is
    /// `[bounds[i - 1], bounds[i])`.
    let bounds: [Date]
    /// The buckets that make up the period.
    let periodBuckets: ClosedRange<Int>
    /// The first month of the series (its start, UTC); the series is `months` long.
    let firstMonth: Date
    let months: Int

    /// The period and the `months` months that end with the month of its last instant.
    init(period: ReportPeriod, months: Int) {
        let calendar = ReportPeriod.calendar
        let lastInstant = period.to.addingTimeInterval(-0.001)
        let lastMonth = calendar.date(from: calendar.dateComponents([.year, .month], from: lastInstant))!
        let monthStarts = (0...months).map { calendar.date(byAdding: .month, value: $0 - months + 1, to: lastMonth)! }
        let bounds = Set(monthStarts + [period.from, period.to]).sorted()
        self.bounds = bounds
        periodBuckets = (bounds.firstIndex(of: period.from)! + 1)...bounds.firstIndex(of: period.to)!
        firstMonth = monthStarts[0]
        self.months = months
    }

    /// The period alone: one bucket, no series.
    init(period: ReportPeriod) {
        bounds = [period.from, period.to]
        periodBuckets = 1...1
        firstMonth = period.from
        months = 0
    }

    /// Whether the period is one bucket that is one whole UTC month.
    var periodIsOneMonth: Bool {
        let start = bounds[periodBuckets.lowerBound - 1], end = bounds[periodBuckets.upperBound]
        return periodBuckets.count == 1 && areWholeMonths
            && ReportPeriod.calendar.date(byAdding: .month, value: 1, to: start) == end
    }

    /// Whether every bound is the start of a UTC month, so that each bucket is whole months.
    var areWholeMonths: Bool {
        let calendar = ReportPeriod.calendar
        return bounds.allSatisfy { calendar.dateComponents([.day, .hour, .minute, .second, .nanosecond], from: $0)
            == DateComponents(day: 1, hour: 0, minute: 0, second: 0, nanosecond: 0) }
    }

    /// The bounds in SQL's text form, for a `timestamptz[]` parameter.
    var boundTexts: [String] { bounds.map(ReportPeriod.sql) }
    var windowStart: String { ReportPeriod.sql(bounds.first!) }
    var windowEnd: String { ReportPeriod.sql(bounds.last!) }
}
