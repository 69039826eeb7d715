import CRMSchema
import PostgresClient

extension ReportSQL {
    /// One row: `users_total`, `total_applications`, `total_recordings` and `total_resumes`, all time: every
    /// month of the rollup where it is kept, else the CRM users counted and the stats rows summed (aggregates
    /// joined in FROM: Citus pushes no subquery of a target list down to the shards).
    private var allTimeTotals: SQLQuery {
        let counts: SQLQuery = "applications, recordings, resumes, sign_ups"
        return rollup
            ? """
              SELECT coalesce(sum(sign_ups), 0)::bigint AS users_total, coalesce(sum(applications), 0)::bigint AS total_applications,
                     coalesce(sum(recordings), 0)::bigint AS total_recordings, coalesce(sum(resumes), 0)::bigint AS total_resumes
              FROM (SELECT \(counts) FROM \(SQLName.activityTotals) UNION ALL SELECT \(counts) FROM \(SQLName.activityDeltas)) all_months
              """
            : """
              SELECT users.users_total, stats.*
              FROM (SELECT count(*) AS users_total FROM \(SQLName.crmUsers)) users,
                   (SELECT coalesce(sum(total_applications), 0) AS total_applications, coalesce(sum(total_recordings), 0) AS total_recordings,
                           coalesce(sum(total_resumes), 0) AS total_resumes FROM \(SQLName.dashboardStats)) stats
              """
    }

    /// Per bucket of the window, every user's counts (`bucket`, then the activity pass's counts): from the
    /// rollup's all-user rows where the activity came from the rollup (which then has the period's users
    /// only), else the activity pass summed.
    private func bucketTotals(_ buckets: ReportBuckets) -> SQLQuery {
        if readsRollup(buckets) { return rollupBucketTotals(buckets) }
        func total(_ column: String) -> SQLQuery { "sum(\(ident: column))::bigint AS \(ident: column)" }
        return """
            SELECT bucket, \(total("applications")), \(total("recordings")), \(total("resumes")), \(total("sign_ups")),
                   \(total("payments")), \(total("credits_used"))
            FROM activity GROUP BY bucket
            """
    }

    /// The whole summary in one statement, so that each table is read once (the activity pass gives the
    /// month series, the period's figures, the active users and the top users together): one JSON document
    /// with `figures` (an object), `months` (the series, oldest first) and `top` (the top users, in order).
    func summary(top: Int) -> SQLQuery {
        let buckets = ReportBuckets(period: period, months: 12)
        let inPeriod: SQLQuery = "bucket BETWEEN \(literal: buckets.periodBuckets.lowerBound) AND \(literal: buckets.periodBuckets.upperBound)"
        let monthOfBucket: SQLQuery = "date_trunc('month', (\(bind: buckets.boundTexts)::timestamptz[])[a.bucket] AT TIME ZONE 'UTC')"
        func total(_ column: String) -> SQLQuery { "coalesce(sum(\(ident: column)), 0)" }
        let firstMonth: SQLQuery = "(\(bind: ReportPeriod.sql(buckets.firstMonth))::timestamptz AT TIME ZONE 'UTC')"
        return """
            WITH activity AS MATERIALIZED (\(activity(buckets, top: top))),
                 per_user AS (\(Self.perUser(buckets))),
                 active_count AS (\(activeUsers(buckets))),
                 chosen AS (\(Self.mostActive(limit: top))),
                 bucket_totals AS MATERIALIZED (\(bucketTotals(buckets))),
                 in_period AS (
                    SELECT \(total("sign_ups")) AS users_new, \(total("applications")) AS applications_in_period,
                           \(total("recordings")) AS recordings_in_period, \(total("resumes")) AS resumes_in_period,
                           \(CreditSQL.bought(total("payments"))) AS credits_bought, \(total("credits_used")) AS credits_used
                    FROM bucket_totals WHERE \(inPeriod)),
                 all_time AS (\(allTimeTotals)),
                 stats AS (
                    SELECT all_time.*, balance.credits_balance
                    FROM all_time, (SELECT coalesce(sum(credits), 0) AS credits_balance FROM \(SQLName.dashboardStats)) balance),
                 figures AS (
                    SELECT stats.users_total, in_period.users_new,
                           (SELECT n FROM active_count) AS users_active,
                           stats.total_applications, stats.total_recordings, stats.total_resumes,
                           in_period.applications_in_period, in_period.recordings_in_period, in_period.resumes_in_period,
                           in_period.credits_bought, in_period.credits_used, stats.credits_balance
                    FROM in_period, stats),
                 series AS (
                    SELECT m.month, to_char(m.month, 'YYYY-MM') AS label, \(total("sign_ups")) AS new_users,
                           \(total("applications")) AS applications, \(total("recordings")) AS recordings,
                           \(total("resumes")) AS resumes, \(CreditSQL.bought(total("payments"))) AS credits_bought,
                           \(total("credits_used")) AS credits_used
                    FROM generate_series(\(firstMonth), \(firstMonth) + interval '\(literal: buckets.months - 1) months', interval '1 month') m (month)
                    LEFT JOIN bucket_totals a ON \(monthOfBucket) = m.month
                    GROUP BY m.month),
                 top_users AS (
                    SELECT c.tier, c.activity, u.email, concat_ws(' ', u.first_name, u.last_name) AS name,
                           coalesce(p.applications_in_period, 0) AS applications_in_period,
                           coalesce(p.recordings_in_period, 0) AS recordings_in_period, coalesce(p.resumes_in_period, 0) AS resumes_in_period
                    FROM chosen c JOIN \(SQLName.crmUsers) u ON u.email = c.email LEFT JOIN per_user p ON p.email = c.email)
            SELECT json_build_object(
                'figures', (SELECT row_to_json(figures) FROM figures),
                'months', (SELECT json_agg(json_build_object(
                               'month', label, 'new_users', new_users, 'applications', applications, 'recordings', recordings,
                               'resumes', resumes, 'credits_bought', credits_bought, 'credits_used', credits_used) ORDER BY month)
                           FROM series),
                'top', (SELECT coalesce(json_agg(json_build_object(
                            'email', email, 'name', name, 'applications_in_period', applications_in_period,
                            'recordings_in_period', recordings_in_period, 'resumes_in_period', resumes_in_period)
                            ORDER BY tier, activity DESC, email), '[]') FROM top_users))::text AS summary
            """
    }
}
