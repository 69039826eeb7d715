import CRMSchema
import PostgresClient

/// The statements of the reports: set-based, one per report part, for one period. Every output column is
/// named by the report column's key, so that rows are read by name.
struct ReportSQL {
    let period: ReportPeriod
    /// Whether the tables are distributed by Citus: the activity pass then groups each table's rows on
    /// its shards, so that only the groups reach the coordinator.
    let citus: Bool
    /// Whether triggers keep the monthly rollup (migration 0024; not on Citus): the activity of whole months is
    /// then read from it.
    let rollup: Bool
    /// The period's bounds, each bound as a parameter wherever it is used.
    let from: SQLQuery
    let to: SQLQuery

    init(period: ReportPeriod, citus: Bool = false, rollup: Bool = false) {
        self.period = period
        self.citus = citus
        self.rollup = rollup
        from = "\(bind: period.sqlFrom)::timestamptz"
        to = "\(bind: period.sqlTo)::timestamptz"
    }

    /// `column >= from AND column < to`: the half-open period.
    private func within(_ column: SQLQuery) -> SQLQuery { "\(column) >= \(from) AND \(column) < \(to)" }

    /// Per user: totals and the credit balance from the stats row, counts in the period (one activity pass),
    /// last activity. Only the chosen users are joined to their details; the top users' last activity is
    /// looked up through the (email, created_at) indexes, grouped rather than by correlated subqueries
    /// (which Citus cannot run over a limited CTE).
    func users(mostActiveFirst: Bool, limit: Int) -> SQLQuery {
        let buckets = ReportBuckets(period: period)
        // The top users' last activity through the indexes; everyone's in one grouped pass per table.
        let ofChosen: SQLQuery = mostActiveFirst ? "WHERE email IN (SELECT email FROM chosen)" : ""
        let chosen: SQLQuery = mostActiveFirst
            ? Self.mostActive(limit: limit)
            : "SELECT email, 0 AS tier, 0 AS activity FROM \(SQLName.crmUsers) ORDER BY email LIMIT \(bind: limit)"
        let activeCount: SQLQuery = mostActiveFirst ? "active_count AS (\(activeUsers(buckets)))," : ""
        return """
            WITH activity AS MATERIALIZED (\(activity(buckets, top: mostActiveFirst ? limit : nil))),
                 per_user AS (\(Self.perUser(buckets))),
                 \(activeCount)
                 chosen AS (\(chosen)),
                 last_job AS (SELECT email, max(created_at) AS at FROM \(SQLName.jobRequests) \(ofChosen) GROUP BY email),
                 last_recording AS (SELECT email, max(created_at) AS at FROM \(SQLName.recordings) \(ofChosen) GROUP BY email),
                 last_resume AS (SELECT email, max(created_at) AS at FROM \(SQLName.resumes) \(ofChosen) GROUP BY email)
            SELECT u.email, concat_ws(' ', u.first_name, u.last_name) AS name,
                   coalesce(s.total_applications, 0) AS total_applications, coalesce(s.total_recordings, 0) AS total_recordings,
                   coalesce(s.total_resumes, 0) AS total_resumes,
                   coalesce(p.applications_in_period, 0) AS applications_in_period,
                   coalesce(p.recordings_in_period, 0) AS recordings_in_period, coalesce(p.resumes_in_period, 0) AS resumes_in_period,
                   coalesce(s.credits, 0) AS credits, \(CreditSQL.bought("coalesce(p.payments, 0)")) AS credits_bought,
                   coalesce(p.credits_used, 0) AS credits_used,
                   to_char(greatest(last_job.at, last_recording.at, last_resume.at) AT TIME ZONE 'UTC',
                           'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_activity
            FROM chosen c
            JOIN \(SQLName.crmUsers) u ON u.email = c.email
            LEFT JOIN \(SQLName.dashboardStats) s ON s.email = u.email
            LEFT JOIN per_user p ON p.email = u.email
            LEFT JOIN last_job ON last_job.email = u.email
            LEFT JOIN last_recording ON last_recording.email = u.email
            LEFT JOIN last_resume ON last_resume.email = u.email
            ORDER BY c.tier, c.activity DESC, c.email
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
               \(CreditSQL.bought("coalesce(paid.n, 0)")) AS bought_in_period, \(CreditSQL.used("coalesce(charged.n, 0)")) AS used_in_period,
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
                   \(sum("rejected")) AS rejected, \(sum("deleted")) AS deleted, \(sum("erased")) AS erased,
                   \(sum("renamed")) AS renamed, \(sum("merged")) AS merged, coalesce(error, '') AS error
            FROM \(SQLName.importRuns)
            \(inThePeriod)
            ORDER BY started_at DESC, id DESC
            LIMIT \(bind: limit)
            """
    }
}
