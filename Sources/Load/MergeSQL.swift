import PipelineCore
import PostgresClient

/// The statements that merge deduplicated staging rows into the CRM tables: an UPDATE of the rows that
/// exist and differ (an empty value never erases a stored one), then an INSERT of the new ones, in key
/// order. No `now()` in an `ON CONFLICT … DO UPDATE` (Citus), no statement-level trigger needed.
struct MergeTarget {
    let entity: Entity
    /// The CRM table.
    let table: String
    /// Target column → the expression over the staging row `s` (and the extra joins) that fills it.
    let values: [(column: String, expression: String)]
    /// Joins after `FROM staging s`, for values that come from elsewhere (the account, the job request).
    let joins: String
    /// The `touched` counters an inserted row adds to, as `column = expression over ins`.
    let counters: [(column: String, expression: String)]

    static func target(for entity: Entity) -> MergeTarget {
        func staged(_ fields: [Field]) -> [(String, String)] {
            fields.map { ($0.name, "s.\(quoteIdentifier($0.name))") }
        }
        switch entity {
        case .users:
            return MergeTarget(
                entity: entity, table: #""digital_resume_by_CRM""#,
                values: [("user_id", "account.id")]
                    + staged([.crmUserID, .firstName, .lastName, .phone, .createdAt, .updatedAt]),
                // The account of the email: an exact match (GoTrue stores emails lower-cased, CRM emails are
                // normalized), which GoTrue's unique index on email WHERE NOT is_sso_user serves.
                joins: """
                    LEFT JOIN LATERAL (SELECT a.id FROM auth.users a WHERE a.email = s.email AND NOT a.is_sso_user
                                       ORDER BY a.id LIMIT 1) account ON true
                    """,
                counters: [])
        case .jobRequests:
            return MergeTarget(
                entity: entity, table: "crm_job_requests",
                values: staged([.jobTitle, .companyName, .status, .createdAt, .updatedAt]), joins: "",
                counters: [("applications", "count(*)")])
        case .recordings:
            return MergeTarget(
                entity: entity, table: "crm_recordings",
                values: [("job_request_id", "job.id")]
                    + staged([.videoURL, .durationSeconds, .creditCharged, .createdAt]),
                joins: """
                    LEFT JOIN recording_jobs job ON job.email = s.email AND job.external_id = s.job_request_external_id
                    """,
                counters: [("recordings", "count(*)"), ("charged", "count(*) FILTER (WHERE ins.credit_charged)")])
        case .resumes:
            return MergeTarget(
                entity: entity, table: "crm_resumes", values: staged([.fileURL, .fileName, .createdAt]), joins: "",
                counters: [("resumes", "count(*)")])
        case .payments:
            return MergeTarget(
                entity: entity, table: "crm_payments", values: staged([.amountCents, .currency, .paidAt]), joins: "",
                counters: [("payments", "count(*)")])
        }
    }

    private var source: String { StagingSQL.deduplicated(entity) }

    private var keyMatch: String { keyMatch(email: "s.email") }

    /// `t`'s key equal to the staged row's, with the email taken from `email`.
    private func keyMatch(email: String) -> String {
        StagingSQL.key(entity).map { field in
            "t.\(quoteIdentifier(field.name)) = " + (field == .email ? email : "s.\(quoteIdentifier(field.name))")
        }
        .joined(separator: " AND ")
    }

    /// Counts the staged rows that already exist.
    var countExisting: String {
        "SELECT count(*) FROM \(source) s JOIN \(table) t ON \(keyMatch)"
    }

    /// Updates the rows that exist and differ; returns the number updated.
    var update: String {
        let kept = values.map { "coalesce(\($0.expression), t.\(quoteIdentifier($0.column)))" }
        let assignments = zip(values, kept).map { "\(quoteIdentifier($0.column)) = \($1)" }
        let current = values.map { "t.\(quoteIdentifier($0.column))" }
        return """
            WITH changed AS (
                UPDATE \(table) AS t SET \(assignments.joined(separator: ", "))
                FROM \(source) s \(joins)
                WHERE \(keyMatch)
                  AND (\(current.joined(separator: ", "))) IS DISTINCT FROM (\(kept.joined(separator: ", ")))
                RETURNING t.email)
            SELECT count(*) FROM changed
            """
    }

    /// Inserts the rows that do not exist, in key order, and records per-email counts in `touched`
    /// (users: in `new_users`); returns the number inserted.
    var insert: String {
        let key = StagingSQL.key(entity)
        let owner = entity == .users ? [] : [("user_id", "crm_user.user_id")]
        let columns = key.map { ($0.name, "s.\(quoteIdentifier($0.name))") } + owner + values
        let expressions = columns.map { column, expression in
            ["created_at", "updated_at"].contains(column) ? "coalesce(\(expression), now())" : expression
        }
        // The target is joined through crm_user, not s: Citus joins two distributed tables only on
        // their distribution column directly, not through a local table.
        let ownerJoin = entity == .users ? "" : #"JOIN "digital_resume_by_CRM" crm_user ON crm_user.email = s.email"#
        let returning = entity == .recordings ? "email, credit_charged" : "email"
        let record = entity == .users
            ? "INSERT INTO new_users (email) SELECT email FROM ins"
            : "INSERT INTO touched (email, \(counters.map(\.column).joined(separator: ", "))) "
                + "SELECT email, \(counters.map(\.expression).joined(separator: ", ")) FROM ins GROUP BY email"
        return """
            WITH ins AS (
                INSERT INTO \(table) (\(columns.map { quoteIdentifier($0.0) }.joined(separator: ", ")))
                SELECT \(expressions.joined(separator: ", "))
                FROM \(source) s \(ownerJoin) \(joins)
                LEFT JOIN \(table) t ON \(keyMatch(email: entity == .users ? "s.email" : "crm_user.email"))
                WHERE t.email IS NULL
                ORDER BY \(key.map { "s.\(quoteIdentifier($0.name))" }.joined(separator: ", "))
                ON CONFLICT DO NOTHING
                RETURNING \(returning)),
            recorded AS (\(record) RETURNING 1)
            SELECT (SELECT count(*) FROM ins)
            """
    }

    /// The ids of the job requests the staged recordings name, read after the job requests were merged
    /// (a recording may name one of this import), so that the recordings merge joins a local table.
    static let collectRecordingJobs = CheckSQL.copyJobRequestsOfRecordings(into: "recording_jobs")

    /// Recordings that exist uncharged and become charged: a charge each, booked like new ones.
    static let chargedLater = """
        INSERT INTO touched (email, charged)
        SELECT s.email, count(*) FROM "d_recordings" s
        JOIN crm_recordings t ON t.email = s.email AND t.external_id = s.external_id
        WHERE s.credit_charged AND NOT t.credit_charged
        GROUP BY s.email
        """
}

/// The set-based upkeep an import does once, while the row triggers stand aside (SPEC §2).
enum UpkeepSQL {
    /// The setting that makes the row triggers stand aside for this transaction (set with
    /// `PostgresConnection.setLocal`, whose `SET LOCAL` reaches the shards' connections on Citus).
    static let standAsideSetting = "crm.bulk_load"

    /// Whether the triggers honour the switch for this role (superuser or BYPASSRLS).
    static let isBulkLoader = "SELECT crm_private.crm_is_bulk_loader()"

    /// The whole-database catch-up (`crm_profiles_catch_up`), where the triggers that keep profiles and
    /// sign-up links up to date are not there (Citus: `migrate --citus` drops them).
    static let catchUpEveryProfile = "SELECT (SELECT count(*) FROM crm_private.crm_profiles_catch_up()) WHERE crm_private.crm_is_distributed()"

    /// The same for the staged users, inside the import's transaction: the set-based upkeep below reads
    /// and moves their profiles, which the app may have left behind since the run started. On plain
    /// PostgreSQL nothing is done (a copy there could overwrite a charge the app commits meanwhile).
    static let catchUpStagedProfiles = """
        SELECT (SELECT count(*) FROM crm_private.crm_profiles_catch_up(ARRAY(
            SELECT email FROM "d_users" UNION SELECT email FROM "d_recordings" UNION SELECT email FROM "d_payments")))
        WHERE crm_private.crm_is_distributed()
        """

    /// The co-located balances (crm_dashboard_stats.credits) after the upkeep: new users' take their
    /// new account's; existing users' move by what the import booked.
    static let balancesFollowUpkeep = [
        "SELECT crm_private.crm_balances_follow_profiles(array_agg(email)) FROM new_users HAVING count(*) > 0",
        """
        SELECT crm_private.crm_move_balances(array_agg(email), array_agg(delta))
        FROM (SELECT email, (3 * sum(payments) - sum(charged))::integer AS delta FROM touched
              WHERE NOT EXISTS (SELECT 1 FROM new_users n WHERE n.email = touched.email) GROUP BY email) moved
        WHERE delta <> 0
        HAVING count(*) > 0
        """,
    ]

    static let usersCreated = "SELECT crm_private.crm_users_created(array_agg(email)) FROM new_users HAVING count(*) > 0"

    /// Copies each staged user's account (user_id) to all their rows, the stats and ledger rows the
    /// upkeep just wrote included: run last.
    static let linkAccounts = """
        SELECT crm_private.crm_link_accounts(array_agg(u.email)) FROM "digital_resume_by_CRM" u
        WHERE u.user_id IS NOT NULL AND u.email IN (SELECT email FROM "d_users" UNION SELECT email FROM touched)
        HAVING count(*) > 0
        """

    static let adjustStats = """
        SELECT crm_private.crm_adjust_stats(array_agg(email), array_agg(applications), array_agg(recordings), array_agg(resumes))
        FROM (SELECT email, sum(applications)::integer AS applications, sum(recordings)::integer AS recordings,
                     sum(resumes)::integer AS resumes
              FROM touched GROUP BY email) per_user
        WHERE applications <> 0 OR recordings <> 0 OR resumes <> 0
        HAVING count(*) > 0
        """

    /// One ledger row per user, import and kind of movement; `$1` is the ledger ref (`import:RUN`).
    static let bookCredits = """
        SELECT crm_private.crm_book_credits(array_agg(email), array_agg(delta), array_agg(reason), array_agg($1::text))
        FROM (SELECT email, 3 * sum(payments)::integer AS delta, 'payment'::text AS reason FROM touched GROUP BY email
              UNION ALL
              SELECT email, -sum(charged)::integer, 'recording' FROM touched GROUP BY email) movements
        WHERE delta <> 0
        HAVING count(*) > 0
        """
}
