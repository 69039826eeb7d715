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

    /// The bounds in SQL's text form, for a `timestamptz[]` parameter.
    var boundTexts: [String] { bounds.map(ReportPeriod.sql) }
    var windowStart: String { ReportPeriod.sql(bounds.first!) }
    var windowEnd: String { ReportPeriod.sql(bounds.last!) }
}
