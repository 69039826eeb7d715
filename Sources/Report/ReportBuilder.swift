import CRMSchema
import Foundation
import PostgresClient

/// The five reports of SPEC §5.
public enum ReportKind: String, Sendable, CaseIterable {
    case users, summary, credits, tables, imports
}

/// Reads a report from the database with set-based statements (no per-user query), in one snapshot.
public struct ReportBuilder {
    private let connection: PostgresConnection
    private let period: ReportPeriod
    private let periodGiven: Bool
    private let top: Int?
    private let now: Date
    private let useRollup: Bool

    /// - Parameters:
    ///   - periodGiven: Whether the user chose the period (the imports report then filters by it).
    ///   - top: Limits the rows (users: the most active in the period first).
    ///   - useRollup: Whether whole months are read from the monthly rollup where triggers keep it; `false`
    ///     counts the tables' rows, as the rollup's checks do.
    public init(connection: PostgresConnection, period: ReportPeriod, periodGiven: Bool, top: Int?, now: Date = Date(),
                useRollup: Bool = true) {
        self.connection = connection
        self.period = period
        self.periodGiven = periodGiven
        self.top = top
        self.now = now
        self.useRollup = useRollup
    }

    /// Builds the report of `kind` in one transaction that sees one snapshot (REPEATABLE READ), so that its
    /// parts agree even while an import commits. The `tables` report also records a size snapshot. Every
    /// report's transaction gets 64 MB of `work_mem` (for it only), which the activity pass of `users`
    /// and `summary` needs to group the users active in the period in one batch.
    public func build(_ kind: ReportKind) throws -> Report {
        try connection.transaction(isolation: .repeatableRead, readOnly: kind != .tables) { _ in
            try connection.setLocal("work_mem", to: "64MB")
            // A report's statements run once: compiling them cost more than it saved (160 ms of a 1.7 s summary).
            try connection.setLocal("jit", to: "off")
            let setting = try connection.query("""
                SELECT \(SQLName.isDistributed)() AS citus, (SELECT in_use FROM \(SQLName.activityRollupState)) AS rollup
                """).singleRow()
            let sql = ReportSQL(period: period, citus: try setting.decode(Bool.self, "citus"),
                                rollup: try setting.decode(Bool.self, "rollup") && useRollup)
            return switch kind {
            case .users: .commit(try users(sql))
            case .summary: .commit(try summary(sql))
            case .credits: .commit(try credits(sql))
            case .tables: .commit(try tables())
            case .imports: .commit(try imports(sql))
            }
        }
    }

    private var limit: Int { top ?? Int(Int32.max) }

    /// The rows of `query`, each as the values of `columns` (read by their keys).
    private func rows(_ query: SQLQuery, _ columns: [ReportColumn]) throws -> [[ReportValue]] {
        try connection.query(query).rows.map { row in try columns.map { try $0.value(in: row) } }
    }

    /// Sums of integer columns of `section`, as figures.
    private static func sums(_ section: ReportSection, _ figures: [(key: String, label: String)]) -> [ReportFigure] {
        figures.map { figure in
            ReportFigure(figure.key, figure.label, .integer(section.cells(figure.key).reduce(0) {
                if case .integer(let number) = $1 { $0 + number } else { $0 }
            }))
        }
    }

    private func users(_ sql: ReportSQL) throws -> Report {
        let columns = Self.userColumns
        let values = try rows(sql.users(mostActiveFirst: top != nil, limit: limit), columns)
        var report = Report(kind: "users", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Users", columns: columns, rows: values))
        report.totals = [ReportFigure("users", "Users", .integer(Int64(values.count)))] + Self.sums(report.main, [
            ("total_applications", "Applications, all time"), ("total_recordings", "Recordings, all time"),
            ("total_resumes", "Resumes, all time")] + Self.inPeriodCounts.map { ($0.key, $0.label) } + [
            ("credits", "Credit balance"), ("credits_bought", "Credits bought in the period"),
            ("credits_used", "Credits used in the period"),
        ])
        return report
    }

    /// The counts of the period, per user (the users report, the summary's top users) and in all (the summary),
    /// with what each is per active user in the summary.
    private static let inPeriodCounts = [
        (key: "applications_in_period", label: "Applications in the period", perActiveUser: ("applications_per_active_user", "Applications per active user")),
        (key: "recordings_in_period", label: "Recordings in the period", perActiveUser: ("recordings_per_active_user", "Recordings per active user")),
        (key: "resumes_in_period", label: "Resumes in the period", perActiveUser: ("resumes_per_active_user", "Resumes per active user")),
    ]

    /// The columns of the users report; the summary's top users have some of them.
    private static let userColumns = [
        ReportColumn("email", "Email", .text), ReportColumn("name", "Name", .text),
        ReportColumn("total_applications", "Apps"), ReportColumn("total_recordings", "Recs"),
        ReportColumn("total_resumes", "CVs"), ReportColumn("applications_in_period", "Apps+"),
        ReportColumn("recordings_in_period", "Recs+"), ReportColumn("resumes_in_period", "CVs+"),
        ReportColumn("credits", "Credits"), ReportColumn("credits_bought", "Bought+"),
        ReportColumn("credits_used", "Used+"), ReportColumn("last_activity", "Last activity", .text),
    ]

    private func summary(_ sql: ReportSQL) throws -> Report {
        let figures = [
            ("users_total", "Users"), ("users_new", "New users"), ("users_active", "Active users"),
            ("total_applications", "Applications, all time"), ("total_recordings", "Recordings, all time"),
            ("total_resumes", "Resumes, all time")] + Self.inPeriodCounts.map { ($0.key, $0.label) } + [
            ("credits_bought", "Credits bought"), ("credits_used", "Credits used"), ("credits_balance", "Credit balance, all users"),
        ]
        let summary = try SummaryDocument.decode(try connection.query(sql.summary(top: top ?? 10)).singleRow().decode(String.self, "summary"))
        let columns = [
            ReportColumn("month", "Month", .text), ReportColumn("new_users", "New users"), ReportColumn("applications", "Applications"),
            ReportColumn("recordings", "Recordings"), ReportColumn("resumes", "Resumes"),
            ReportColumn("credits_bought", "Credits bought"), ReportColumn("credits_used", "Credits used"),
        ]
        var report = Report(kind: "summary", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Month by month", columns: columns, rows: try summary.months(columns)))
        report.totals = try figures.map { ReportFigure($0.0, $0.1, .integer(try summary.figure($0.0))) }
        let active = Double(try summary.figure("users_active"))
        for count in Self.inPeriodCounts {
            let value = active > 0 ? Double(try summary.figure(count.key)) / active : 0
            report.totals.append(ReportFigure(count.perActiveUser.0, count.perActiveUser.1, .decimal(value)))
        }
        let topKeys = ["email", "name"] + Self.inPeriodCounts.map(\.key)
        let topColumns = Self.userColumns.filter { topKeys.contains($0.key) }
        report.sections.append(ReportSection(key: "top_users", title: "Top users in the period", columns: topColumns,
                                             rows: try summary.top(topColumns)))
        let months = report.main, labels = months.cells("month").map(\.text)
        report.charts = [
            ReportChart(title: "Activity per month", labels: labels, series: [
                ("Applications", months.numbers("applications")), ("Recordings", months.numbers("recordings")),
                ("Resumes", months.numbers("resumes"))], unit: .count),
            ReportChart(title: "Credits per month", labels: labels, series: [
                ("Bought", months.numbers("credits_bought")), ("Used", months.numbers("credits_used"))], unit: .count),
        ]
        return report
    }

    private func credits(_ sql: ReportSQL) throws -> Report {
        let columns = [
            ReportColumn("email", "Email", .text), ReportColumn("credits", "Balance"), ReportColumn("ledger_sum", "Ledger"),
            ReportColumn("initial", "Initial"), ReportColumn("bought", "Bought"), ReportColumn("used", "Used"),
            ReportColumn("adjusted", "Adjusted"), ReportColumn("bought_in_period", "Bought+"),
            ReportColumn("used_in_period", "Used+"), ReportColumn("disagrees", "Disagrees", .flag),
        ]
        let values = try rows(sql.credits(limit: limit), columns)
        var report = Report(kind: "credits", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Credits per user", columns: columns, rows: values))
        report.totals = [ReportFigure("users", "Users", .integer(Int64(values.count))),
                         ReportFigure("users_flagged", "Users whose balance disagrees with the ledger",
                                      .integer(Int64(report.main.cells("disagrees").filter { $0 == .flag(true) }.count)))]
            + Self.sums(report.main, [("credits", "Balances"), ("ledger_sum", "Ledger sums"), ("bought", "Credits bought"),
                                          ("used", "Credits used"), ("bought_in_period", "Bought in the period"),
                                          ("used_in_period", "Used in the period")])
        return report
    }

    private func tables() throws -> Report {
        let columns = [
            ReportColumn("table", "Table", .text), ReportColumn("rows", "Rows"), ReportColumn("table_bytes", "Table bytes"),
            ReportColumn("index_bytes", "Index bytes"), ReportColumn("total_bytes", "Total bytes"),
            ReportColumn("dead_rows", "Dead rows"), ReportColumn("rows_growth", "Rows +/-"),
            ReportColumn("bytes_growth", "Bytes +/-"),
        ]
        var values: [[ReportValue]] = []
        for table in ReportSQL.measuredTables {
            let row = try connection.query(ReportSQL.tableSizes(table)).singleRow()
            let count = try row.decode(Int64.self, "rows"), total = try row.decode(Int64.self, "total_bytes")
            let growth = { (previous: Int64?, current: Int64) -> ReportValue in previous.map { .integer(current - $0) } ?? .empty }
            values.append([.text(table.name), .integer(count), .integer(try row.decode(Int64.self, "table_bytes")),
                           .integer(try row.decode(Int64.self, "index_bytes")), .integer(total),
                           .integer(try row.decode(Int64.self, "dead_rows")),
                           growth(try row.decode(Int64?.self, "previous_rows"), count),
                           growth(try row.decode(Int64?.self, "previous_bytes"), total)])
            try connection.query(ReportSQL.recordSnapshot(table, rows: count, totalBytes: total))
        }
        var report = Report(kind: "tables", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Tables", columns: columns, rows: values))
        report.isSnapshot = true
        report.totals = Self.sums(report.main, [("rows", "Rows"), ("table_bytes", "Table bytes"), ("index_bytes", "Index bytes"),
                                                    ("total_bytes", "Total bytes")])
        report.charts = [ReportChart(
            title: "Size per table", labels: report.main.cells("table").map(\.text),
            series: [("Table", report.main.numbers("table_bytes")), ("Indexes", report.main.numbers("index_bytes"))], unit: .bytes)]
        return report
    }

    private func imports(_ sql: ReportSQL) throws -> Report {
        let read = [
            ReportColumn("id", "Run"), ReportColumn("started_at", "Started", .text), ReportColumn("status", "Status", .text),
            ReportColumn("mode", "Mode", .text), ReportColumn("seconds", "Seconds", .decimal), ReportColumn("rows_read", "Read"),
            ReportColumn("inserted", "Inserted"), ReportColumn("updated", "Updated"), ReportColumn("rejected", "Rejected"),
            // What the CRM changed besides (issue 25): rows removed or erased, users renamed, users merged and rows moved.
            ReportColumn("deleted", "Deleted"), ReportColumn("erased", "Erased"), ReportColumn("renamed", "Renamed"),
            ReportColumn("merged", "Merged"),
        ]
        let columns = read + [ReportColumn("rows_per_second", "Rows/s"), ReportColumn("error", "Error", .text)]
        let runs = try connection.query(sql.imports(inPeriod: periodGiven, limit: top ?? 20)).rows
        let values = try runs.map { row -> [ReportValue] in
            let seconds = try row.decode(Double.self, "seconds"), rowsRead = try row.decode(Double.self, "rows_read")
            return try read.map { try $0.value(in: row) }
                + [.integer(seconds > 0 ? Int64(rowsRead / seconds) : 0), .text(try row.decode(String.self, "error"))]
        }
        var report = Report(kind: "imports", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Import runs", columns: columns, rows: values))
        report.isSnapshot = !periodGiven
        report.totals = [ReportFigure("runs", "Runs", .integer(Int64(values.count))),
                         ReportFigure("failed", "Failed runs", .integer(Int64(report.main.cells("status").filter { $0 == .text(RunStatus.failed.rawValue) }.count)))]
        return report
    }
}

extension ReportColumn {
    /// This column's value in `row`, read by the column's key; NULL is an empty cell.
    func value(in row: Row) throws -> ReportValue {
        switch kind {
        case .text: try row.decode(String?.self, key).map(ReportValue.text) ?? .empty
        case .integer: try row.decode(Int64?.self, key).map(ReportValue.integer) ?? .empty
        case .decimal: try row.decode(Double?.self, key).map(ReportValue.decimal) ?? .empty
        case .flag: try row.decode(Bool?.self, key).map(ReportValue.flag) ?? .empty
        }
    }
}
