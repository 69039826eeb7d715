/// The statements of the reports: set-based, one per report part; `$1`/`$2` are the period's bounds.
enum ReportSQL {
    /// Per user: totals and the credit balance from the stats row, counts in the period, last activity.
    /// `$3` limits.
    /// The last activity is looked up for the chosen users only, through the (email, created_at) indexes,
    /// grouped rather than by correlated subqueries (which Citus cannot run over a limited CTE).
    static func users(top: Bool) -> String {
        """
        WITH jobs AS (SELECT email, count(*) AS n FROM crm_job_requests
                      WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             recs AS (SELECT email, count(*) AS n, count(*) FILTER (WHERE credit_charged) AS charged FROM crm_recordings
                      WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             res AS (SELECT email, count(*) AS n FROM crm_resumes WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             paid AS (SELECT email, count(*) AS n FROM crm_payments WHERE paid_at >= $1 AND paid_at < $2 GROUP BY email),
             chosen AS (
                SELECT u.email, concat_ws(' ', u.first_name, u.last_name) AS name,
                       coalesce(s.total_applications, 0) AS applications, coalesce(s.total_recordings, 0) AS recordings,
                       coalesce(s.total_resumes, 0) AS resumes,
                       coalesce(jobs.n, 0) AS applications_in_period, coalesce(recs.n, 0) AS recordings_in_period,
                       coalesce(res.n, 0) AS resumes_in_period, coalesce(s.credits, 0) AS credits,
                       3 * coalesce(paid.n, 0) AS bought, coalesce(recs.charged, 0) AS used
                FROM "digital_resume_by_CRM" u
                LEFT JOIN crm_dashboard_stats s ON s.email = u.email
                LEFT JOIN jobs ON jobs.email = u.email
                LEFT JOIN recs ON recs.email = u.email
                LEFT JOIN res ON res.email = u.email
                LEFT JOIN paid ON paid.email = u.email
                ORDER BY \(top ? "coalesce(recs.n, 0) + coalesce(jobs.n, 0) + coalesce(res.n, 0) DESC, " : "")u.email
                LIMIT $3),
             \(["last_job": "crm_job_requests", "last_recording": "crm_recordings", "last_resume": "crm_resumes"]
                .sorted(by: <).map { name, table in
                    "\(name) AS (SELECT email, max(created_at) AS at FROM \(table) WHERE email IN (SELECT email FROM chosen) GROUP BY email)"
                }.joined(separator: ",\n     "))
        SELECT c.email, c.name, c.applications, c.recordings, c.resumes, c.applications_in_period,
               c.recordings_in_period, c.resumes_in_period, c.credits, c.bought, c.used,
               to_char(greatest(last_job.at, last_recording.at, last_resume.at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        FROM chosen c
        LEFT JOIN last_job ON last_job.email = c.email
        LEFT JOIN last_recording ON last_recording.email = c.email
        LEFT JOIN last_resume ON last_resume.email = c.email
        ORDER BY \(top ? "c.recordings_in_period + c.applications_in_period + c.resumes_in_period DESC, " : "")c.email
        """
    }

    /// The summary's figures for the period: one grouped pass per child table (each read once), whose
    /// per-user counts give the period totals and the active users together.
    static let summaryTotals = """
        WITH jobs AS (SELECT email, count(*) AS n FROM crm_job_requests
                      WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             recs AS (SELECT email, count(*) AS n, count(*) FILTER (WHERE credit_charged) AS charged FROM crm_recordings
                      WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             res AS (SELECT email, count(*) AS n FROM crm_resumes WHERE created_at >= $1 AND created_at < $2 GROUP BY email),
             stats AS (SELECT coalesce(sum(total_applications), 0) AS applications,
                              coalesce(sum(total_recordings), 0) AS recordings,
                              coalesce(sum(total_resumes), 0) AS resumes FROM crm_dashboard_stats),
             users AS (SELECT count(*) AS total, count(*) FILTER (WHERE created_at >= $1 AND created_at < $2) AS new
                       FROM "digital_resume_by_CRM")
        SELECT users.total, users.new,
               (SELECT count(*) FROM (SELECT email FROM jobs UNION SELECT email FROM recs UNION SELECT email FROM res) active),
               stats.applications, stats.recordings, stats.resumes,
               (SELECT coalesce(sum(n), 0) FROM jobs), (SELECT coalesce(sum(n), 0) FROM recs),
               (SELECT coalesce(sum(n), 0) FROM res),
               (SELECT 3 * count(*) FROM crm_payments WHERE paid_at >= $1 AND paid_at < $2),
               (SELECT coalesce(sum(charged), 0) FROM recs),
               (SELECT coalesce(sum(credits), 0) FROM crm_dashboard_stats)
        FROM users, stats
        """

    /// Month by month, the twelve months that end with the period (`$1` is its end): new users, rows, credits.
    static let monthlySeries = """
        WITH months AS (SELECT generate_series(date_trunc('month', ($1::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC') - interval '11 months',
                                               date_trunc('month', ($1::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC'),
                                               interval '1 month') AS month),
             bounds AS (SELECT min(month) AT TIME ZONE 'UTC' AS first, (max(month) + interval '1 month') AT TIME ZONE 'UTC' AS last
                        FROM months),
             users AS (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month, count(*) AS n
                       FROM "digital_resume_by_CRM", bounds
                       WHERE created_at >= bounds.first AND created_at < bounds.last GROUP BY 1),
             jobs AS (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month, count(*) AS n
                      FROM crm_job_requests, bounds
                      WHERE created_at >= bounds.first AND created_at < bounds.last GROUP BY 1),
             recs AS (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month, count(*) AS n,
                             count(*) FILTER (WHERE credit_charged) AS charged
                      FROM crm_recordings, bounds
                      WHERE created_at >= bounds.first AND created_at < bounds.last GROUP BY 1),
             res AS (SELECT date_trunc('month', created_at AT TIME ZONE 'UTC') AS month, count(*) AS n
                     FROM crm_resumes, bounds
                     WHERE created_at >= bounds.first AND created_at < bounds.last GROUP BY 1),
             paid AS (SELECT date_trunc('month', paid_at AT TIME ZONE 'UTC') AS month, count(*) AS n
                      FROM crm_payments, bounds
                      WHERE paid_at >= bounds.first AND paid_at < bounds.last GROUP BY 1)
        SELECT to_char(m.month, 'YYYY-MM'), coalesce(users.n, 0), coalesce(jobs.n, 0), coalesce(recs.n, 0),
               coalesce(res.n, 0), 3 * coalesce(paid.n, 0), coalesce(recs.charged, 0)
        FROM months m
        LEFT JOIN users ON users.month = m.month LEFT JOIN jobs ON jobs.month = m.month
        LEFT JOIN recs ON recs.month = m.month LEFT JOIN res ON res.month = m.month
        LEFT JOIN paid ON paid.month = m.month
        ORDER BY m.month
        """

    /// Per user: balance, ledger sum and its parts, all time and in the period; disagreements first.
    static let credits = """
        WITH ledger AS (
            SELECT email, sum(delta) AS total,
                   coalesce(sum(delta) FILTER (WHERE reason = 'initial'), 0) AS initial,
                   coalesce(sum(delta) FILTER (WHERE reason = 'payment'), 0) AS bought,
                   coalesce(-sum(delta) FILTER (WHERE reason = 'recording'), 0) AS used,
                   coalesce(sum(delta) FILTER (WHERE reason = 'adjustment'), 0) AS adjusted
            FROM crm_credit_ledger GROUP BY email),
             paid AS (SELECT email, count(*) AS n FROM crm_payments WHERE paid_at >= $1 AND paid_at < $2 GROUP BY email),
             charged AS (SELECT email, count(*) AS n FROM crm_recordings
                         WHERE credit_charged AND created_at >= $1 AND created_at < $2 GROUP BY email)
        SELECT u.email, p.credits, coalesce(l.total, 0), coalesce(l.initial, 0), coalesce(l.bought, 0),
               coalesce(l.used, 0), coalesce(l.adjusted, 0), 3 * coalesce(paid.n, 0), coalesce(charged.n, 0),
               p.credits IS DISTINCT FROM coalesce(l.total, 0)
        FROM "digital_resume_by_CRM" u
        LEFT JOIN profiles p ON p.email = u.email
        LEFT JOIN ledger l ON l.email = u.email
        LEFT JOIN paid ON paid.email = u.email
        LEFT JOIN charged ON charged.email = u.email
        ORDER BY p.credits IS DISTINCT FROM coalesce(l.total, 0) DESC, u.email
        LIMIT $3
        """

    /// The tables the `tables` report measures, with their schemas.
    static let measuredTables: [(schema: String, name: String)] = [
        "digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes", "crm_payments",
        "crm_credit_ledger", "crm_dashboard_stats", "profiles",
    ].map { ("public", $0) } + [("crm_private", "crm_import_runs")]

    /// Sizes of one table (`$1` its schema, `$2` its name) and its previous snapshot. `crm_table_sizes`
    /// adds up the shards on Citus, where the coordinator's table is an empty shell.
    static let tableSizes = """
        SELECT sizes.heap_bytes, sizes.index_bytes, sizes.total_bytes, sizes.dead_rows,
               (SELECT rows FROM crm_private.crm_table_snapshots WHERE table_name = $2 ORDER BY taken_at DESC LIMIT 1),
               (SELECT total_bytes FROM crm_private.crm_table_snapshots WHERE table_name = $2 ORDER BY taken_at DESC LIMIT 1)
        FROM pg_class c CROSS JOIN LATERAL crm_private.crm_table_sizes(c.oid) sizes
        WHERE c.oid = to_regclass(quote_ident($1) || '.' || quote_ident($2))
        """

    static let recordSnapshot = "INSERT INTO crm_private.crm_table_snapshots (table_name, rows, total_bytes) VALUES ($1, $2, $3)"

    /// Import runs: in the period when one was given, else the most recent. `$3` limits.
    static func imports(inPeriod: Bool) -> String {
        """
        SELECT id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), status, mode,
               round(extract(epoch FROM coalesce(finished_at, now()) - started_at)::numeric, 2),
               coalesce((SELECT sum((value ->> 'read')::bigint) FROM jsonb_each(counts)), 0),
               coalesce((SELECT sum((value ->> 'inserted')::bigint) FROM jsonb_each(counts)), 0),
               coalesce((SELECT sum((value ->> 'updated')::bigint) FROM jsonb_each(counts)), 0),
               coalesce((SELECT sum((value ->> 'rejected')::bigint) FROM jsonb_each(counts)), 0),
               coalesce(error, '')
        FROM crm_private.crm_import_runs
        \(inPeriod ? "WHERE started_at >= $1 AND started_at < $2" : "WHERE $1::timestamptz IS NOT NULL AND $2::timestamptz IS NOT NULL")
        ORDER BY started_at DESC, id DESC
        LIMIT $3
        """
    }
}
