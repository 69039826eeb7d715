import CRMSchema
import PostgresClient

/// The activity pass read from the monthly rollup (migration 0024) instead of the tables: for buckets that are
/// whole UTC months, each month's counts are in the rollup already, per user and for all users. Each part
/// reads the folded rows and the deltas not folded yet.
extension ReportSQL {
    private static let counts: SQLQuery = "applications, recordings, resumes, sign_ups, payments, charged"

    /// `month` (a rollup row's month column) in the months from `from` to `to` (instants at UTC month starts).
    private func months(_ month: SQLQuery = "month", from: String, to: String) -> SQLQuery {
        "\(month) >= (\(bind: from)::timestamptz AT TIME ZONE 'UTC')::date AND \(month) < (\(bind: to)::timestamptz AT TIME ZONE 'UTC')::date"
    }

    /// The bucket of a rollup row's `month`, and the activity pass's counts summed.
    private func bucketAndSums(_ buckets: ReportBuckets) -> SQLQuery {
        func total(_ column: String) -> SQLQuery { "sum(\(ident: column))::bigint AS \(ident: column)" }
        return """
            width_bucket(month::timestamp AT TIME ZONE 'UTC', \(bind: buckets.boundTexts)::timestamptz[]) AS bucket,
            \(total("applications")), \(total("recordings")), \(total("resumes")), \(total("sign_ups")), \(total("payments")),
            \(CreditSQL.used("sum(charged)::bigint")) AS credits_used
            """
    }

    /// The rows of ``activity(_:top:)`` for the period (per user, in its columns) from the rollup; the window's
    /// counts for all users are ``rollupBucketTotals(_:)``. A one-month period reads each user's folded row
    /// with their unfolded deltas added (a join with the few deltas), longer ones group by user. With `top`, a
    /// one-month period reads only the users who can be among the `top` most active: the users with deltas, and
    /// the most active by their folded rows, `top` plus one per user with deltas (any other user has `top` users
    /// without deltas before them in the reports' order, whatever the deltas do).
    func rollupActivity(_ buckets: ReportBuckets, top: Int? = nil) -> SQLQuery {
        let inPeriod = months(from: period.sqlFrom, to: period.sqlTo)
        let deltas: SQLQuery = "SELECT email, month, \(Self.counts) FROM \(SQLName.activityDeltas) WHERE \(inPeriod)"
        guard buckets.periodIsOneMonth else {
            return """
                SELECT email, \(bucketAndSums(buckets))
                FROM (SELECT email, month, \(Self.counts) FROM \(SQLName.activityMonths) WHERE \(inPeriod) UNION ALL \(deltas)) per_user
                GROUP BY email, bucket
                """
        }
        let mInPeriod = months("m.month", from: period.sqlFrom, to: period.sqlTo)
        let folded: SQLQuery = top.map { top in
            """
            (SELECT m.* FROM \(SQLName.activityMonths) m WHERE \(mInPeriod)
             ORDER BY m.applications + m.recordings + m.resumes DESC, m.email LIMIT \(bind: top)::bigint + (SELECT count(*) FROM d))
            UNION
            SELECT m.* FROM \(SQLName.activityMonths) m JOIN d ON d.email = m.email WHERE \(mInPeriod)
            """
        } ?? "SELECT * FROM \(SQLName.activityMonths)"
        func plusDeltas(_ column: String) -> SQLQuery { "(m.\(ident: column) + coalesce(d.\(ident: column), 0))::bigint AS \(ident: column)" }
        return """
            WITH d AS MATERIALIZED (SELECT email, \(bucketAndSums(buckets)) FROM (\(deltas)) unfolded GROUP BY email, bucket)
            SELECT m.email, \(literal: buckets.periodBuckets.lowerBound) AS bucket, \(plusDeltas("applications")), \(plusDeltas("recordings")),
                   \(plusDeltas("resumes")), \(plusDeltas("sign_ups")), \(plusDeltas("payments")),
                   \(CreditSQL.used("m.charged")) + coalesce(d.credits_used, 0) AS credits_used
            FROM (\(folded)) m LEFT JOIN d ON d.email = m.email
            WHERE \(mInPeriod)
            UNION ALL
            SELECT d.* FROM d WHERE NOT EXISTS (SELECT FROM \(SQLName.activityMonths) m WHERE m.email = d.email AND \(mInPeriod))
            """
    }

    /// One row, `n`: the users active in a one-month period read from the rollup, its count kept per month
    /// (migration 0025) with what the unfolded deltas change.
    var rollupActiveUsers: SQLQuery {
        "SELECT \(SQLName.activityActiveUsers)((\(bind: period.sqlFrom)::timestamptz AT TIME ZONE 'UTC')::date) AS n"
    }

    /// Per bucket of the window, all users' counts (`bucket`, then the activity pass's counts) from the rollup.
    func rollupBucketTotals(_ buckets: ReportBuckets) -> SQLQuery {
        let inWindow = months(from: buckets.windowStart, to: buckets.windowEnd)
        return """
            SELECT \(bucketAndSums(buckets))
            FROM (SELECT month, \(Self.counts) FROM \(SQLName.activityTotals) WHERE \(inWindow)
                  UNION ALL
                  SELECT month, \(Self.counts) FROM \(SQLName.activityDeltas) WHERE \(inWindow)) all_users
            GROUP BY bucket
            """
    }
}
