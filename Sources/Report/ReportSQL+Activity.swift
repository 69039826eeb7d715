import CRMSchema
import PipelineCore
import PostgresClient

/// The pass the `users` and `summary` reports are built on: each table's rows in the report's buckets,
/// read once and counted per bucket and, for rows in the period, per user.
extension ReportSQL {
    /// The activity of `buckets`: from the monthly rollup when it is kept and the buckets are whole months (the
    /// period's rows only: ``rollupActivity(_:top:)``, which with `top` may leave out users who cannot be among
    /// the `top` most active), else from the tables.
    func activity(_ buckets: ReportBuckets, top: Int? = nil) -> SQLQuery {
        readsRollup(buckets) ? rollupActivity(buckets, top: top) : tableActivity(buckets)
    }

    /// Whether the activity of `buckets` is read from the monthly rollup.
    func readsRollup(_ buckets: ReportBuckets) -> Bool { rollup && buckets.areWholeMonths }

    /// One row, `n`: the period's active users (activity above zero), from `per_user`, or for one month of the
    /// rollup from its count (then `per_user` may hold only the candidates for the top users).
    func activeUsers(_ buckets: ReportBuckets) -> SQLQuery {
        readsRollup(buckets) && buckets.periodIsOneMonth ? rollupActiveUsers : "SELECT count(*) AS n FROM per_user WHERE activity > 0"
    }

    /// One statement over the five tables (a parallel append in PostgreSQL). Each output row is a bucket
    /// and — for rows in the period — a user (`email`, else NULL), with its `applications`, `recordings`,
    /// `resumes`, `sign_ups` (never per user), `payments` and `credits_used`. A row's bucket is found by a
    /// binary search over the bounds (`width_bucket`), cheaper than truncating every timestamp to a month.
    ///
    /// On Citus each table's rows are grouped in its own leg, which its shards do, so that the coordinator
    /// receives groups, not the window's rows. PostgreSQL groups once over all legs: grouped legs made it
    /// sort (3.3 s instead of 1.8 s at 10M recordings).
    func tableActivity(_ buckets: ReportBuckets) -> SQLQuery {
        func leg(_ leg: ActivityLeg) -> SQLQuery {
            let time = leg.timeColumn
            let email: SQLQuery = leg.perUser
                ? "CASE WHEN \(time) >= \(from) AND \(time) < \(to) THEN email END"
                : "NULL::text"
            let counted: SQLQuery = citus
                ? "count(*) AS n, count(*) FILTER (WHERE \(leg.charged)) AS charged"
                : "\(leg.charged) AS charged"
            return """
                SELECT \(literal: leg.rawValue) AS kind, \(email) AS email,
                       width_bucket(\(time), \(bind: buckets.boundTexts)::timestamptz[]) AS bucket, \(counted)
                FROM \(leg.table)
                WHERE \(time) >= \(bind: buckets.windowStart)::timestamptz AND \(time) < \(bind: buckets.windowEnd)::timestamptz
                \(citus ? "GROUP BY 2, 3" : "")
                """
        }
        // PostgreSQL counts the legs' rows; on Citus the legs' groups have counts, which are summed.
        func count(of kind: ActivityLeg) -> SQLQuery {
            citus ? "coalesce(sum(n) FILTER (WHERE kind = \(literal: kind.rawValue)), 0)::bigint"
                : "count(*) FILTER (WHERE kind = \(literal: kind.rawValue))"
        }
        let counts = SQLQuery.joined(ActivityLeg.allCases.map { "\(count(of: $0)) AS \(ident: $0.countColumn)" }, separator: ", ")
        let creditsUsed = CreditSQL.used(citus ? "sum(charged)::bigint" : "count(*) FILTER (WHERE charged)")
        return """
            SELECT email, bucket, \(counts), \(creditsUsed) AS credits_used
            FROM (\(SQLQuery.joined(ActivityLeg.allCases.map(leg), separator: " UNION ALL "))) rows
            GROUP BY email, bucket
            """
    }

    /// Per user with rows in the period (from `activity`): the period's `applications_in_period`,
    /// `recordings_in_period`, `resumes_in_period`, `credits_used` and `payments`, and `activity`, the first
    /// three together. When the period is one bucket, `activity` has one row per such user already.
    static func perUser(_ buckets: ReportBuckets) -> SQLQuery {
        let oneRowEach = buckets.periodBuckets.count == 1
        func total(_ column: String) -> SQLQuery { oneRowEach ? "\(ident: column)" : "sum(\(ident: column))::bigint" }
        return """
            SELECT email, \(total("applications")) AS applications_in_period, \(total("recordings")) AS recordings_in_period,
                   \(total("resumes")) AS resumes_in_period, \(total("credits_used")) AS credits_used, \(total("payments")) AS payments,
                   \(total("applications")) + \(total("recordings")) + \(total("resumes")) AS activity
            FROM activity WHERE email IS NOT NULL\(oneRowEach ? "" : " GROUP BY email")
            """
    }

    /// The `limit` most active users of the period (from `per_user`, and `active_count`: ``activeUsers(_:)``), most
    /// active first then by email; when fewer were active, the first others by email fill the list (not looked for
    /// otherwise). Each row has `email`, `tier` (0 active, 1 not) and `activity`: order by them.
    static func mostActive(limit: Int) -> SQLQuery {
        """
        SELECT email, tier, activity FROM (
            (SELECT email, 0 AS tier, activity FROM per_user WHERE activity > 0 ORDER BY activity DESC, email LIMIT \(bind: limit))
            UNION ALL
            (SELECT u.email, 1, 0 FROM \(SQLName.crmUsers) u
             WHERE NOT EXISTS (SELECT FROM per_user p WHERE p.email = u.email AND p.activity > 0)
               AND (SELECT n FROM active_count) < \(bind: limit)
             ORDER BY u.email LIMIT \(bind: limit))) ranked
        ORDER BY tier, activity DESC, email
        LIMIT \(bind: limit)
        """
    }
}

/// One table's part of the activity pass: its rows, told apart from the others' by `kind` (the raw value), in the
/// order of the rollup's counts (``ReportRollup/counts``).
private enum ActivityLeg: Int, CaseIterable {
    case application = 1, recording, resume, signUp, payment

    private var counted: (entity: Entity, column: String, time: String) { ReportRollup.counts[rawValue - 1] }

    var table: SQLName { .table(of: counted.entity) }

    /// When the row happened.
    var timeColumn: SQLQuery { "\(ident: counted.time)" }

    /// The activity pass's column that counts this leg's rows.
    var countColumn: String { counted.column }

    /// Sign-ups are counted per bucket only: the summary needs no user's.
    var perUser: Bool { self != .signUp }

    /// Whether the row used a credit.
    var charged: SQLQuery { self == .recording ? "credit_charged" : "false" }
}
