import Foundation
import PostgresClient

/// The five reports of SPEC §5.
public enum ReportKind: String, Sendable, CaseIterable {
    case users, summary, credits, tables, imports
}

/// Reads a report from the database with set-based statements (no per-user query).
public struct ReportBuilder {
    private let connection: PostgresConnection
    private let period: ReportPeriod
    private let periodGiven: Bool
    private let top: Int?
    private let now: Date

    /// - Parameters:
    ///   - periodGiven: Whether the user chose the period (the imports report then filters by it).
    ///   - top: Limits the rows (users: the most active in the period first).
    public init(connection: PostgresConnection, period: ReportPeriod, periodGiven: Bool, top: Int?, now: Date = Date()) {
        self.connection = connection
        self.period = period
        self.periodGiven = periodGiven
        self.top = top
        self.now = now
    }

    /// Builds the report of `kind`. The `tables` report also records a size snapshot.
    public func build(_ kind: ReportKind) throws -> Report {
        switch kind {
        case .users: try users()
        case .summary: try summary()
        case .credits: try credits()
        case .tables: try tables()
        case .imports: try imports()
        }
    }

    private var bounds: [(any SQLParameter)?] { [period.sqlFrom, period.sqlTo] }
    private var limit: Int { top ?? Int(Int32.max) }

    private func users() throws -> Report {
        let columns = [
            ReportColumn("email", "Email"), ReportColumn("name", "Name"),
            ReportColumn("total_applications", "Apps"), ReportColumn("total_recordings", "Recs"),
            ReportColumn("total_resumes", "CVs"), ReportColumn("applications_in_period", "Apps+"),
            ReportColumn("recordings_in_period", "Recs+"), ReportColumn("resumes_in_period", "CVs+"),
            ReportColumn("credits", "Credits"), ReportColumn("credits_bought", "Bought+"),
            ReportColumn("credits_used", "Used+"), ReportColumn("last_activity", "Last activity"),
        ]
        let rows = try connection.query(ReportSQL.users(top: top != nil), bounds + [limit]).rows
        var report = Report(kind: "users", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Users", columns: columns, rows: rows.map { Self.values($0, textColumns: [0, 1, 11]) }))
        report.totals = [ReportFigure("users", "Users", .integer(Int64(rows.count)))]
        for (index, key, label) in [(2, "total_applications", "Applications, all time"), (3, "total_recordings", "Recordings, all time"),
                                    (4, "total_resumes", "Resumes, all time"), (6, "recordings_in_period", "Recordings in the period"),
                                    (8, "credits", "Credit balance"), (9, "credits_bought", "Credits bought in the period"),
                                    (10, "credits_used", "Credits used in the period")] {
            report.totals.append(ReportFigure(key, label, .integer(rows.reduce(0) { $0 + (Int64($1[index] ?? "") ?? 0) })))
        }
        return report
    }

    private func summary() throws -> Report {
        let figures = try connection.query(ReportSQL.summaryTotals, bounds).rows.first?.map { Int64($0 ?? "") ?? 0 } ?? []
        let keys = [
            ("users_total", "Users"), ("users_new", "New users"), ("users_active", "Active users"),
            ("total_applications", "Applications, all time"), ("total_recordings", "Recordings, all time"),
            ("total_resumes", "Resumes, all time"), ("applications_in_period", "Applications in the period"),
            ("recordings_in_period", "Recordings in the period"), ("resumes_in_period", "Resumes in the period"),
            ("credits_bought", "Credits bought"), ("credits_used", "Credits used"), ("credits_balance", "Credit balance, all users"),
        ]
        let series = try connection.query(ReportSQL.monthlySeries, [period.sqlTo]).rows
        let columns = [
            ReportColumn("month", "Month"), ReportColumn("new_users", "New users"), ReportColumn("applications", "Applications"),
            ReportColumn("recordings", "Recordings"), ReportColumn("resumes", "Resumes"),
            ReportColumn("credits_bought", "Credits bought"), ReportColumn("credits_used", "Credits used"),
        ]
        var report = Report(kind: "summary", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Month by month", columns: columns, rows: series.map { Self.values($0, textColumns: [0]) }))
        report.totals = zip(keys, figures).map { ReportFigure($0.0, $0.1, .integer($1)) }
        let active = Double(figures.count > 2 ? figures[2] : 0)
        for (key, label, index) in [("applications_per_active_user", "Applications per active user", 6),
                                    ("recordings_per_active_user", "Recordings per active user", 7),
                                    ("resumes_per_active_user", "Resumes per active user", 8)] {
            report.totals.append(ReportFigure(key, label, .decimal(active > 0 && index < figures.count ? Double(figures[index]) / active : 0)))
        }
        let topUsers = try ReportBuilder(connection: connection, period: period, periodGiven: true, top: top ?? 10, now: now).users().main
        report.sections.append(ReportSection(
            key: "top_users", title: "Top users in the period", columns: Array(topUsers.columns[0...1] + topUsers.columns[5...7]),
            rows: topUsers.rows.map { Array($0[0...1] + $0[5...7]) }))
        let labels = series.map { $0[0] ?? "" }
        func column(_ index: Int) -> [Double] { series.map { Double($0[index] ?? "") ?? 0 } }
        report.charts = [
            ReportChart(title: "Activity per month", labels: labels,
                        series: [("Applications", column(2)), ("Recordings", column(3)), ("Resumes", column(4))], unit: .count),
            ReportChart(title: "Credits per month", labels: labels,
                        series: [("Bought", column(5)), ("Used", column(6))], unit: .count),
        ]
        return report
    }

    private func credits() throws -> Report {
        let columns = [
            ReportColumn("email", "Email"), ReportColumn("credits", "Balance"), ReportColumn("ledger_sum", "Ledger"),
            ReportColumn("initial", "Initial"), ReportColumn("bought", "Bought"), ReportColumn("used", "Used"),
            ReportColumn("adjusted", "Adjusted"), ReportColumn("bought_in_period", "Bought+"),
            ReportColumn("used_in_period", "Used+"), ReportColumn("disagrees", "Disagrees"),
        ]
        let rows = try connection.query(ReportSQL.credits, bounds + [limit]).rows
        var report = Report(kind: "credits", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Credits per user", columns: columns,
            rows: rows.map { row in Self.values(Array(row.dropLast()), textColumns: [0]) + [.flag(row.last == "t")] }))
        report.totals = [ReportFigure("users", "Users", .integer(Int64(rows.count))),
                         ReportFigure("users_flagged", "Users whose balance disagrees with the ledger",
                                      .integer(Int64(rows.filter { $0.last == "t" }.count)))]
        for (index, key, label) in [(1, "credits", "Balances"), (2, "ledger_sum", "Ledger sums"), (4, "bought", "Credits bought"),
                                    (5, "used", "Credits used"), (7, "bought_in_period", "Bought in the period"),
                                    (8, "used_in_period", "Used in the period")] {
            report.totals.append(ReportFigure(key, label, .integer(rows.reduce(0) { $0 + (Int64($1[index] ?? "") ?? 0) })))
        }
        return report
    }

    private func tables() throws -> Report {
        let columns = [
            ReportColumn("table", "Table"), ReportColumn("rows", "Rows"), ReportColumn("table_bytes", "Table bytes"),
            ReportColumn("index_bytes", "Index bytes"), ReportColumn("total_bytes", "Total bytes"),
            ReportColumn("dead_rows", "Dead rows"), ReportColumn("rows_growth", "Rows +/-"),
            ReportColumn("bytes_growth", "Bytes +/-"),
        ]
        var rows: [[ReportValue]] = []
        try connection.transaction { connection in
            for (schema, table) in ReportSQL.measuredTables {
                let count = Int64(try connection.query(
                    "SELECT count(*) FROM \(quoteIdentifier(schema)).\(quoteIdentifier(table))").scalar ?? "") ?? 0
                guard let sizes = try connection.query(ReportSQL.tableSizes, [schema, table]).rows.first else { continue }
                let number = { (index: Int) in Int64(sizes[index] ?? "") ?? 0 }
                let growth = { (previous: String?, current: Int64) -> ReportValue in
                    previous.flatMap { Int64($0) }.map { .integer(current - $0) } ?? .empty
                }
                rows.append([.text(table), .integer(count), .integer(number(0)), .integer(number(1)), .integer(number(2)),
                             .integer(number(3)), growth(sizes[4], count), growth(sizes[5], number(2))])
                try connection.query(ReportSQL.recordSnapshot, [table, count, number(2)])
            }
        }
        var report = Report(kind: "tables", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Tables", columns: columns, rows: rows))
        report.isSnapshot = true
        for (index, key, label) in [(1, "rows", "Rows"), (2, "table_bytes", "Table bytes"), (3, "index_bytes", "Index bytes"),
                                    (4, "total_bytes", "Total bytes")] {
            report.totals.append(ReportFigure(key, label, .integer(rows.reduce(0) { if case .integer(let n) = $1[index] { $0 + n } else { $0 } })))
        }
        report.charts = [ReportChart(
            title: "Size per table", labels: rows.map { $0[0].text },
            series: [("Table", rows.map { Double($0[2].text) ?? 0 }), ("Indexes", rows.map { Double($0[3].text) ?? 0 })],
            unit: .bytes)]
        return report
    }

    private func imports() throws -> Report {
        let columns = [
            ReportColumn("id", "Run"), ReportColumn("started_at", "Started"), ReportColumn("status", "Status"),
            ReportColumn("mode", "Mode"), ReportColumn("seconds", "Seconds"), ReportColumn("rows_read", "Read"),
            ReportColumn("inserted", "Inserted"), ReportColumn("updated", "Updated"), ReportColumn("rejected", "Rejected"),
            ReportColumn("rows_per_second", "Rows/s"), ReportColumn("error", "Error"),
        ]
        let rows = try connection.query(ReportSQL.imports(inPeriod: periodGiven), bounds + [top ?? 20]).rows
        let values = rows.map { row -> [ReportValue] in
            let seconds = Double(row[4] ?? "") ?? 0
            let read = Double(row[5] ?? "") ?? 0
            return [.integer(Int64(row[0] ?? "") ?? 0), .text(row[1] ?? ""), .text(row[2] ?? ""), .text(row[3] ?? ""),
                    .decimal(seconds)] + Self.values(Array(row[5...8]), textColumns: [])
                + [.integer(seconds > 0 ? Int64(read / seconds) : 0), .text(row[9] ?? "")]
        }
        var report = Report(kind: "imports", period: period, generatedAt: now, main: ReportSection(
            key: "rows", title: "Import runs", columns: columns, rows: values))
        report.isSnapshot = !periodGiven
        report.totals = [ReportFigure("runs", "Runs", .integer(Int64(rows.count))),
                         ReportFigure("failed", "Failed runs", .integer(Int64(rows.filter { $0[2] == "failed" }.count)))]
        return report
    }

    /// Database text values as report values: the listed columns as text, the others as integers.
    private static func values(_ row: [String?], textColumns: Set<Int>) -> [ReportValue] {
        row.enumerated().map { index, value in
            guard let value else { return .empty }
            if textColumns.contains(index) { return .text(value) }
            return Int64(value).map(ReportValue.integer) ?? .text(value)
        }
    }
}
