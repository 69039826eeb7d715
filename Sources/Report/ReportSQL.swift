import CRMSchema
import PostgresClient

/// The statements of the reports: set-based, one per report part, for one period. Every output column is
/// named by the report column's key, so that rows are read by name.
struct ReportSQL {
    /// The period's bounds, each bound as a parameter wherever it is used.
    private let from: SQLQuery
    private let to: SQLQuery

    init(period: ReportPeriod) {
        from = "\(bind: period.sqlFrom)::timestamptz"
        to = "\(bind: period.sqlTo)::timestamptz"
    }

    /// `column >= from AND column < to`: the half-open period.
    private func within(_ column: SQLQuery) -> SQLQuery { "\(column) >= \(from) AND \(column) < \(to)" }

    /// Per user: totals and the credit balance from the stats row, counts in the period, last activity.
    /// The last activity is looked up for the chosen users only, through the (email, created_at) indexes,
    /// grouped rather than by correlated subqueries (which Citus cannot run over a limited CTE).
    func users(mostActiveFirst: Bool, limit: Int) -> SQLQuery {
        let activity: SQLQuery = mostActiveFirst ? "coalesce(recs.n, 0) + coalesce(jobs.n, 0) + coalesce(res.n, 0) DESC, " : ""
        let chosenActivity: SQLQuery = mostActiveFirst ? "c.recordings_in_period + c.applications_in_period + c.resumes_in_period DESC, " : ""
        return """
            WITH jobs AS (SELECT email, count(*) AS n FROM \(SQLName.jobRequests) WHERE \(within("created_at")) GROUP BY email),
                 recs AS (SELECT email, count(*) AS n, count(*) FILTER (WHERE credit_charged) AS charged FROM \(SQLName.recordings)
                          WHERE \(within("created_at")) GROUP BY email),
                 res AS (SELECT email, count(*) AS n FROM \(SQLName.resumes) WHERE \(within("created_at")) GROUP BY email),
                 paid AS (SELECT email, count(*) AS n FROM \(SQLName.payments) WHERE \(within("paid_at")) GROUP BY email),
                 chosen AS (
                    SELECT u.email, concat_ws(' ', u.first_name, u.last_name) AS name,
                           coalesce(s.total_applications, 0) AS total_applications, coalesce(s.total_recordings, 0) AS total_recordings,
                           coalesce(s.total_resumes, 0) AS total_resumes,
                           coalesce(jobs.n, 0) AS applications_in_period, coalesce(recs.n, 0) AS recordings_in_period,
                           coalesce(res.n, 0) AS resumes_in_period, coalesce(s.credits, 0) AS credits,
                           3 * coalesce(paid.n, 0) AS credits_bought, coalesce(recs.charged, 0) AS credits_used
                    FROM \(SQLName.crmUsers) u
                    LEFT JOIN \(SQLName.dashboardStats) s ON s.email = u.email
                    LEFT JOIN jobs ON jobs.email = u.email
                    LEFT JOIN recs ON recs.email = u.email
                    LEFT JOIN res ON res.email = u.email
                    LEFT JOIN paid ON paid.email = u.email
                    ORDER BY \(activity)u.email
                    LIMIT \(bind: limit)),
                 last_job AS (SELECT email, max(created_at) AS at FROM \(SQLName.jobRequests) WHERE email IN (SELECT email FROM chosen) GROUP BY email),
                 last_recording AS (SELECT email, max(created_at) AS at FROM \(SQLName.recordings) WHERE email IN (SELECT email FROM chosen) GROUP BY email),
                 last_resume AS (SELECT email, max(created_at) AS at FROM \(SQLName.resumes) WHERE email IN (SELECT email FROM chosen) GROUP BY email)
            SELECT c.*, to_char(greatest(last_job.at, last_recording.at, last_resume.at) AT TIME ZONE 'UTC',
                                'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_activity
            FROM chosen c
            LEFT JOIN last_job ON last_job.email = c.email
            LEFT JOIN last_recording ON last_recording.email = c.email
            LEFT JOIN last_resume ON last_resume.email = c.email
            ORDER BY \(chosenActivity)c.email
            """
    }

    /// The summary's figures for the period: one grouped pass per child table (each read once), whose
    /// per-user counts give the period totals and the active users together.
    var summaryTotals: SQLQuery {
        """
        WITH jobs AS (SELECT email, count(*) AS n FROM \(SQLName.jobRequests) WHERE \(within("created_at")) GROUP BY email),
             recs AS (SELECT email, count(*) AS n, count(*) FILTER (WHERE credit_charged) AS charged FROM \(SQLName.recordings)
                      WHERE \(within("created_at")) GROUP BY email),
             res AS (SELECT email, count(*) AS n FROM \(SQLName.resumes) WHERE \(within("created_at")) GROUP BY email),
             stats AS (SELECT coalesce(sum(total_applications), 0) AS applications, coalesce(sum(total_recordings), 0) AS recordings,
                              coalesce(sum(total_resumes), 0) AS resumes FROM \(SQLName.dashboardStats)),
             users AS (SELECT count(*) AS total, count(*) FILTER (WHERE \(within("created_at"))) AS new FROM \(SQLName.crmUsers))
        SELECT users.total AS users_total, users.new AS users_new,
               (SELECT count(*) FROM (SELECT email FROM jobs UNION SELECT email FROM recs UNION SELECT email FROM res) active) AS users_active,
               stats.applications AS total_applications, stats.recordings AS total_recordings, stats.resumes AS total_resumes,
               (SELECT coalesce(sum(n), 0) FROM jobs) AS applications_in_period, (SELECT coalesce(sum(n), 0) FROM recs) AS recordings_in_period,
               (SELECT coalesce(sum(n), 0) FROM res) AS resumes_in_period,
               (SELECT 3 * count(*) FROM \(SQLName.payments) WHERE \(within("paid_at"))) AS credits_bought,
               (SELECT coalesce(sum(charged), 0) FROM recs) AS credits_used,
               (SELECT coalesce(sum(credits), 0) FROM \(SQLName.dashboardStats)) AS credits_balance
        FROM users, stats
        """
    }

    /// Month by month, the twelve months that end with the period: new users, rows, credits.
    var monthlySeries: SQLQuery {
        let lastMonth: SQLQuery = "date_trunc('month', (\(to) - interval '1 microsecond') AT TIME ZONE 'UTC')"
        func perMonth(_ name: SQLQuery, _ column: SQLQuery, _ table: SQLName, _ extra: SQLQuery = "") -> SQLQuery {
            """
            \(name) AS (SELECT date_trunc('month', \(column) AT TIME ZONE 'UTC') AS month, count(*) AS n\(extra)
                        FROM \(table), bounds WHERE \(column) >= bounds.first AND \(column) < bounds.last GROUP BY 1)
            """
        }
        return """
            WITH months AS (SELECT generate_series(\(lastMonth) - interval '11 months', \(lastMonth), interval '1 month') AS month),
                 bounds AS (SELECT min(month) AT TIME ZONE 'UTC' AS first, (max(month) + interval '1 month') AT TIME ZONE 'UTC' AS last
                            FROM months),
                 \(perMonth("users", "created_at", .crmUsers)),
                 \(perMonth("jobs", "created_at", .jobRequests)),
                 \(perMonth("recs", "created_at", .recordings, ", count(*) FILTER (WHERE credit_charged) AS charged")),
                 \(perMonth("res", "created_at", .resumes)),
                 \(perMonth("paid", "paid_at", .payments))
            SELECT to_char(m.month, 'YYYY-MM') AS month, coalesce(users.n, 0) AS new_users, coalesce(jobs.n, 0) AS applications,
                   coalesce(recs.n, 0) AS recordings, coalesce(res.n, 0) AS resumes, 3 * coalesce(paid.n, 0) AS credits_bought,
                   coalesce(recs.charged, 0) AS credits_used
            FROM months m
            LEFT JOIN users ON users.month = m.month LEFT JOIN jobs ON jobs.month = m.month
            LEFT JOIN recs ON recs.month = m.month LEFT JOIN res ON res.month = m.month
            LEFT JOIN paid ON paid.month = m.month
            ORDER BY m.month
            """
    }

    /// Per user: balance, ledger sum and its parts, all time and in the period; disagreements first.
    func credits(limit: Int) -> SQLQuery {
        """
        WITH ledger AS (
            SELECT email, sum(delta) AS total,
                   coalesce(sum(delta) FILTER (WHERE reason = 'initial'), 0) AS initial,
                   coalesce(sum(delta) FILTER (WHERE reason = 'payment'), 0) AS bought,
                   coalesce(-sum(delta) FILTER (WHERE reason = 'recording'), 0) AS used,
                   coalesce(sum(delta) FILTER (WHERE reason = 'adjustment'), 0) AS adjusted
            FROM \(SQLName.creditLedger) GROUP BY email),
             paid AS (SELECT email, count(*) AS n FROM \(SQLName.payments) WHERE \(within("paid_at")) GROUP BY email),
             charged AS (SELECT email, count(*) AS n FROM \(SQLName.recordings) WHERE credit_charged AND \(within("created_at")) GROUP BY email)
        SELECT u.email, p.credits, coalesce(l.total, 0) AS ledger_sum, coalesce(l.initial, 0) AS initial,
               coalesce(l.bought, 0) AS bought, coalesce(l.used, 0) AS used, coalesce(l.adjusted, 0) AS adjusted,
               3 * coalesce(paid.n, 0) AS bought_in_period, coalesce(charged.n, 0) AS used_in_period,
               p.credits IS DISTINCT FROM coalesce(l.total, 0) AS disagrees
        FROM \(SQLName.crmUsers) u
        LEFT JOIN \(SQLName.profiles) p ON p.email = u.email
        LEFT JOIN ledger l ON l.email = u.email
        LEFT JOIN paid ON paid.email = u.email
        LEFT JOIN charged ON charged.email = u.email
        ORDER BY p.credits IS DISTINCT FROM coalesce(l.total, 0) DESC, u.email
        LIMIT \(bind: limit)
        """
    }

    /// The tables the `tables` report measures.
    static let measuredTables: [SQLName] = [
        .crmUsers, .jobRequests, .recordings, .resumes, .payments, .creditLedger, .dashboardStats, .profiles, .importRuns,
    ]

    /// Rows, sizes and dead rows of one table, and its previous snapshot. `crm_table_sizes` adds up the
    /// shards on Citus, where the coordinator's table is an empty shell.
    static func tableSizes(_ table: SQLName) -> SQLQuery {
        """
        SELECT (SELECT count(*) FROM \(table)) AS rows, sizes.heap_bytes AS table_bytes, sizes.index_bytes, sizes.total_bytes,
               sizes.dead_rows,
               (SELECT rows FROM \(SQLName.tableSnapshots) WHERE table_name = \(bind: table.name) ORDER BY taken_at DESC LIMIT 1)
                   AS previous_rows,
               (SELECT total_bytes FROM \(SQLName.tableSnapshots) WHERE table_name = \(bind: table.name) ORDER BY taken_at DESC LIMIT 1)
                   AS previous_bytes
        FROM \(SQLName.tableSizes)(\(bind: table.sql)::regclass) sizes
        """
    }

    static func recordSnapshot(_ table: SQLName, rows: Int64, totalBytes: Int64) -> SQLQuery {
        "INSERT INTO \(SQLName.tableSnapshots) (table_name, rows, total_bytes) VALUES (\(bind: table.name), \(bind: rows), \(bind: totalBytes))"
    }

    /// Import runs: in the period when one was given, else the most recent.
    func imports(inPeriod: Bool, limit: Int) -> SQLQuery {
        func sum(_ key: String) -> SQLQuery {
            "coalesce((SELECT sum((value ->> \(bind: key))::bigint) FROM jsonb_each(counts)), 0)"
        }
        let inThePeriod: SQLQuery = inPeriod ? "WHERE \(within("started_at"))" : ""
        return """
            SELECT id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at, status, mode,
                   round(extract(epoch FROM coalesce(finished_at, now()) - started_at)::numeric, 2) AS seconds,
                   \(sum("read")) AS rows_read, \(sum("inserted")) AS inserted, \(sum("updated")) AS updated,
                   \(sum("rejected")) AS rejected, coalesce(error, '') AS error
            FROM \(SQLName.importRuns)
            \(inThePeriod)
            ORDER BY started_at DESC, id DESC
            LIMIT \(bind: limit)
            """
    }
}
