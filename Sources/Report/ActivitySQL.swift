import CRMSchema
import PostgresClient

/// The pass the `users` and `summary` reports are built on: each table's rows in the report's buckets,
/// read once and counted per bucket and, for rows in the period, per user.
extension ReportSQL {
    /// One statement over the five tables (a parallel append in PostgreSQL). Each output row is a bucket
    /// and — for rows in the period — a user (`email`, else NULL), with its `applications`, `recordings`,
    /// `resumes`, `sign_ups` (never per user), `payments` and `credits_used`. A row's bucket is found by a
    /// binary search over the bounds (`width_bucket`), cheaper than truncating every timestamp to a month.
    static func activity(_ buckets: ReportBuckets, period: ReportPeriod) -> SQLQuery {
        func leg(_ kind: Int, _ table: SQLName, _ column: SQLQuery, perUser: Bool = true, charged: SQLQuery = "false") -> SQLQuery {
            let email: SQLQuery = perUser
                ? "CASE WHEN \(column) >= \(bind: period.sqlFrom)::timestamptz AND \(column) < \(bind: period.sqlTo)::timestamptz THEN email END"
                : "NULL::text"
            return """
                SELECT \(literal: kind) AS kind, \(email) AS email,
                       width_bucket(\(column), \(bind: buckets.arrayLiteral)::timestamptz[]) AS bucket, \(charged) AS charged
                FROM \(table)
                WHERE \(column) >= \(bind: buckets.windowStart)::timestamptz AND \(column) < \(bind: buckets.windowEnd)::timestamptz
                """
        }
        return """
            SELECT email, bucket, count(*) FILTER (WHERE kind = 1) AS applications, count(*) FILTER (WHERE kind = 2) AS recordings,
                   count(*) FILTER (WHERE kind = 3) AS resumes, count(*) FILTER (WHERE kind = 4) AS sign_ups,
                   count(*) FILTER (WHERE kind = 5) AS payments, count(*) FILTER (WHERE charged) AS credits_used
            FROM (\(leg(1, .jobRequests, "created_at"))
                  UNION ALL \(leg(2, .recordings, "created_at", charged: "credit_charged"))
                  UNION ALL \(leg(3, .resumes, "created_at"))
                  UNION ALL \(leg(4, .crmUsers, "created_at", perUser: false))
                  UNION ALL \(leg(5, .payments, "paid_at"))) rows
            GROUP BY email, bucket
            """
    }

    /// Per user with rows in the period (from `activity`): the period's `applications_in_period`,
    /// `recordings_in_period`, `resumes_in_period`, `credits_used` and `payments`, and `activity`, the first
    /// three together. When the period is one bucket, `activity` has one row per such user already.
    static func perUser(_ buckets: ReportBuckets) -> SQLQuery {
        let oneRowEach = buckets.period.count == 1
        func total(_ column: String) -> SQLQuery { oneRowEach ? "\(ident: column)" : "sum(\(ident: column))::bigint" }
        return """
            SELECT email, \(total("applications")) AS applications_in_period, \(total("recordings")) AS recordings_in_period,
                   \(total("resumes")) AS resumes_in_period, \(total("credits_used")) AS credits_used, \(total("payments")) AS payments,
                   \(total("applications")) + \(total("recordings")) + \(total("resumes")) AS activity
            FROM activity WHERE email IS NOT NULL\(oneRowEach ? "" : " GROUP BY email")
            """
    }

    /// The `limit` most active users of the period (from `per_user`), most active first then by email;
    /// when fewer were active, the first others by email fill the list (not looked for otherwise). Each row has `email`, `tier` (0
    /// active, 1 not) and `activity`: order by them.
    static func mostActive(limit: Int) -> SQLQuery {
        """
        SELECT email, tier, activity FROM (
            (SELECT email, 0 AS tier, activity FROM per_user WHERE activity > 0 ORDER BY activity DESC, email LIMIT \(bind: limit))
            UNION ALL
            (SELECT u.email, 1, 0 FROM \(SQLName.crmUsers) u
             WHERE NOT EXISTS (SELECT FROM per_user p WHERE p.email = u.email AND p.activity > 0)
               AND (SELECT count(*) FROM per_user WHERE activity > 0) < \(bind: limit)
             ORDER BY u.email LIMIT \(bind: limit))) ranked
        ORDER BY tier, activity DESC, email
        LIMIT \(bind: limit)
        """
    }
}
