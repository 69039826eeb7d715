import CRMSchema
import PipelineCore
import PostgresClient

/// One CRM table as a merge target: the columns it takes and where their values come from.
struct MergeTarget {
    let entity: Entity
    var table: SQLName { .table(of: entity) }
    /// Target column → the expression over the staging row `s` (and the extra joins) that fills it.
    let values: [(column: String, expression: SQLQuery)]
    /// Joins after `FROM staging s`, for values that come from elsewhere (the account, the job request).
    let joins: SQLQuery
    /// The `touched` counters an inserted row adds to, as `column = expression over the inserted rows r`.
    let counters: [(column: String, expression: SQLQuery)]
    /// The backfill chunk the staging holds: the stored rows are read for its range only.
    let scope: BackfillChunk
    /// Whether stored child rows are looked for among the known users' only (``LoadSQL/ofKnownUsers(_:narrowed:)``).
    let narrowed: Bool
    /// Whether the inserts sort their keys `COLLATE "C"`: where the database's collation orders as the bytes do
    /// (``MergeStrategyChoice/ordersAsBytes(provider:collation:)``), the same order as the indexes', found faster
    /// (350k recordings 0.58 → 0.41 s: PostgreSQL 15 compares every other collation with strcoll, without
    /// abbreviated keys).
    let insertsInByteOrder: Bool
    /// Whether the inserts take the `id` the client chose for each staged row (``StagingArea/chosenIDs(_:)``), where
    /// the table's default would make a random one too (``KeyDefaults``), instead of the default's.
    let idChosen: Bool

    init(_ entity: Entity, scope: BackfillChunk = .whole, narrowed: Bool = false, insertsInByteOrder: Bool = false, idChosen: Bool = false) {
        self.entity = entity
        self.scope = scope
        self.narrowed = narrowed && entity != .users
        self.insertsInByteOrder = insertsInByteOrder
        self.idChosen = idChosen && StagingArea.carriesOwnID(entity)
        func staged(_ fields: [Field]) -> [(String, SQLQuery)] { fields.map { ($0.name, "s.\(ident: $0.name)") } }
        switch entity {
        case .users:
            values = [("user_id", "account.id")] + staged([.crmUserID, .firstName, .lastName, .phone, .createdAt, .updatedAt])
            // The account of the email: an exact match (GoTrue stores emails lower-cased, CRM emails are
            // normalized), which GoTrue's unique index on email WHERE NOT is_sso_user serves; the first by id
            // where the shim's auth.users holds two. Found for all staged users at once and joined (issue 24):
            // a lookup per user (`ORDER BY a.id LIMIT 1`) let PostgreSQL walk auth.users in id order for each
            // one when it had no statistics yet (a bulk load GoTrue just made: 404 s instead of 8 s).
            joins = """
                LEFT JOIN (SELECT DISTINCT ON (a.email) a.email, a.id FROM \(SQLName.authUsers) a
                           WHERE NOT a.is_sso_user AND a.email IN (SELECT email FROM \(SQLName.deduplicated(.users)))
                           ORDER BY a.email, a.id) account ON account.email = s.email
                """
            counters = []
        case .jobRequests:
            values = staged([.jobTitle, .companyName, .status, .createdAt, .updatedAt])
            joins = ""
            counters = [("applications", "count(*)")]
        case .recordings:
            values = [("job_request_id", "job.id")] + staged([.videoURL, .durationSeconds, .creditCharged, .createdAt])
            joins = "LEFT JOIN \(SQLName.recordingJobs) job ON job.email = s.email AND job.external_id = s.job_request_external_id"
            counters = [("recordings", "count(*)"), ("charged", "count(*) FILTER (WHERE r.credit_charged)")]
        case .resumes:
            values = staged([.fileURL, .fileName, .createdAt])
            joins = ""
            counters = [("resumes", "count(*)")]
        case .payments:
            values = staged([.amountCents, .currency, .paidAt])
            joins = ""
            counters = [("payments", "count(*)")]
        case .erasures:
            // Never merged into a table: ``Erasures`` carries them out and writes the erasure log.
            values = []
            joins = ""
            counters = []
        }
    }

    private var source: SQLName { .deduplicated(entity) }

    /// `t`'s key equal to the staged row's, with the email taken from `email` (`s.email` or `crm_user.email`).
    func keyMatch(email: SQLQuery) -> SQLQuery {
        SQLQuery.joined(StagingArea.key(entity).map { field -> SQLQuery in
            field == .email ? "t.email = \(email)" : "t.\(ident: field.name) = s.\(ident: field.name)"
        }, separator: " AND ")
    }

    /// Updates the rows that exist and differ (and meet `condition`, over `s` and `t`); returns the number
    /// updated (`n`).
    func update(where condition: SQLQuery = "true") -> SQLQuery {
        let assignments = zip(values, kept).map { value, kept -> SQLQuery in "\(ident: value.column) = \(kept)" }
        return """
            WITH changed AS (
                UPDATE \(table) AS t SET \(SQLQuery.joined(assignments, separator: ", "))
                FROM \(source) s \(joins)
                WHERE \(keyMatch(email: "s.email")) AND \(differs) AND \(condition)
                RETURNING t.email)
            SELECT count(*) AS n FROM changed
            """
    }

    /// Records the users whose stored rows the update would change in `table` (`email`, and `relinked`: the
    /// update gives the CRM user another account), once each.
    func recordChangedUsers(into table: SQLName) -> SQLQuery {
        // Only the users' values include the account (`user_id`); children take theirs from the user.
        let relinked: SQLQuery = values.firstIndex { $0.column == "user_id" }
            .map { "bool_or(\(kept[$0]) IS DISTINCT FROM t.user_id)" } ?? "false"
        return """
            INSERT INTO \(table) (email, relinked)
            SELECT s.email, \(relinked) FROM \(source) s JOIN \(self.table) t ON \(keyMatch(email: "s.email")) \(joins)
            WHERE \(differs)
            GROUP BY s.email
            ON CONFLICT DO NOTHING
            """
    }

    /// Locks the stored rows the update would change, in primary key order (`FOR NO KEY UPDATE`, the lock the
    /// update takes), so that the final writes meet the app's locks in one order; returns how many (`n`).
    var lockChanged: SQLQuery {
        let order: SQLQuery = entity == .users ? "t.email" : "t.email, t.id"
        return """
            SELECT count(*) AS n FROM (
                SELECT 1 FROM \(table) t JOIN \(source) s ON \(keyMatch(email: "s.email")) \(joins)
                WHERE \(differs)
                ORDER BY \(order)
                FOR NO KEY UPDATE OF t) locked
            """
    }

    /// One pass over the staged rows that exist and their stored twins: how many exist (`existing`) and how
    /// many of those the update would change (`changed`). Without `findingChanges` every existing row counts as
    /// changed and the update finds which are (Citus plans that join only without the local ones the values
    /// need). (The staged rows are counted apart: Citus plans no subquery beside a join of a distributed table.)
    func classify(findingChanges: Bool) -> SQLQuery {
        let changed: SQLQuery = findingChanges ? "count(*) FILTER (WHERE \(differs))" : "count(*)"
        return """
            SELECT count(*) AS existing, \(changed) AS changed
            FROM \(source) s JOIN \(table) t ON \(keyMatch(email: "s.email")) AND \(scope.contains("t.email"))
                AND \(LoadSQL.ofKnownUsers("t.email", narrowed: narrowed)) \(findingChanges ? joins : "")
            """
    }

    /// The staged rows (`n`).
    var countStaged: SQLQuery { "SELECT count(*) AS n FROM \(source)" }

    /// Each column's value after the update: the staged one, or the stored one where the staging has none.
    private var kept: [SQLQuery] {
        values.map { value -> SQLQuery in "coalesce(\(value.expression), t.\(ident: value.column))" }
    }

    /// A stored row `t` that the staged row `s` would change.
    private var differs: SQLQuery {
        let current = values.map { value -> SQLQuery in "t.\(ident: value.column)" }
        return "(\(SQLQuery.joined(current, separator: ", "))) IS DISTINCT FROM (\(SQLQuery.joined(kept, separator: ", ")))"
    }

    /// Inserts the rows that do not exist, in key order, and records per-email counts in `touched` (users:
    /// in `new_users`) from what it inserted; returns the number inserted (`n`). `ON CONFLICT DO NOTHING` skips
    /// rows the app inserts meanwhile. Without `antiJoin` (no staged key exists) only that guards.
    func insert(antiJoin: Bool) -> SQLQuery {
        let returning: SQLQuery = entity == .recordings ? "email, credit_charged" : "email"
        return """
            WITH ins AS (
                \(insertSelect(from: "\(source) s \(ownerJoin) \(joins) \(antiJoin ? existingLeftOut : "")"))
                ON CONFLICT DO NOTHING
                RETURNING \(returning)),
            recorded AS (\(record(from: "ins")) RETURNING 1)
            SELECT (SELECT count(*) FROM ins) AS n
            """
    }

    /// Inserts every staged row, in key order: no speculative insertion, nothing returned (a third of a
    /// first import's merge time). Only for staged rows none of which exists; `recordStaged` then counts them.
    var insertStaged: SQLQuery { insertSelect(from: "\(source) s \(ownerJoin) \(joins)") }

    /// Records the staged rows in `touched` (users: in `new_users`), once `insertStaged` inserted every one.
    var recordStaged: SQLQuery { record(from: "\(source)") }

    private var ownerJoin: SQLQuery {
        // The target is joined through crm_user, not s: Citus joins two distributed tables only on their
        // distribution column directly, not through a local table.
        entity == .users ? "" : "JOIN \(SQLName.crmUsers) crm_user ON crm_user.email = s.email"
    }

    /// `INSERT … SELECT` of the key, the owner's account and the values from `rows`, in key order.
    private func insertSelect(from rows: SQLQuery) -> SQLQuery {
        let key = StagingArea.key(entity)
        let owner: [(column: String, expression: SQLQuery)] = entity == .users ? [] : [("user_id", "crm_user.user_id")]
        let id: [(column: String, expression: SQLQuery)] = idChosen ? [("id", "s.id")] : []
        let columns = key.map { field -> (column: String, expression: SQLQuery) in (field.name, "s.\(ident: field.name)") }
            + owner + id + values
        let expressions = columns.map { Self.inserted($0.column, $0.expression) }
        let collation: SQLQuery = insertsInByteOrder ? #" COLLATE "C""# : ""
        return """
            INSERT INTO \(table) (\(SQLQuery.joined(columns.map { "\(ident: $0.column)" }, separator: ", ")))
            SELECT \(SQLQuery.joined(expressions, separator: ", "))
            FROM \(rows)
            ORDER BY \(SQLQuery.joined(key.map { "s.\(ident: $0.name)\(collation)" }, separator: ", "))
            """
    }

    /// What a column's `expression` inserts: a missing creation or update time is the import's (`now()`).
    static func inserted(_ column: String, _ expression: SQLQuery) -> SQLQuery {
        ["created_at", "updated_at"].contains(column) ? "coalesce(\(expression), now())" : expression
    }

    /// Per-email counts of the inserted rows `rows` (a CTE's or a table's name) into `touched`; users into `new_users`.
    private func record(from rows: SQLQuery) -> SQLQuery {
        entity == .users
            ? "INSERT INTO \(SQLName.newUsers) (email) SELECT email FROM \(rows)"
            : """
              INSERT INTO \(SQLName.touched) (email, \(SQLQuery.joined(counters.map { "\(ident: $0.column)" }, separator: ", ")))
              SELECT r.email, \(SQLQuery.joined(counters.map(\.expression), separator: ", ")) FROM \(rows) r GROUP BY r.email
              """
    }

    /// Leaves out the staged rows whose key exists.
    private var existingLeftOut: SQLQuery {
        """
        LEFT JOIN \(table) t ON \(entity == .users ? keyMatch(email: "s.email") : keyMatch(email: "crm_user.email")) AND \(scope.contains("t.email"))
            AND \(LoadSQL.ofKnownUsers("t.email", narrowed: narrowed))
        WHERE t.email IS NULL
        """
    }
}
