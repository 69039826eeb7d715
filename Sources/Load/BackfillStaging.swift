import CRMSchema
import PipelineCore
import PostgresClient

/// A backfill's staging: every row read, kept in UNLOGGED tables of `crm_private` between the chunks'
/// transactions, and cut into chunks by ranges of emails (``BackfillChunk``: a user's rows are all in one).
struct BackfillStaging {
    let connection: PostgresConnection

    /// A backfill's staging: UNLOGGED tables that outlive its chunk transactions (and a crash of the
    /// client), made afresh. They hold personal data, so they live in `crm_private`.
    func create() throws {
        for entity in Entity.allCases {
            try connection.dropTableIfPresent(SQLName.backfillStaging(entity))
            try connection.query("CREATE UNLOGGED TABLE \(SQLName.backfillStaging(entity)) (\(StagingArea.definition(entity)))")
        }
        for table in [SQLName.backfillRejectedUsers, .backfillNamedUsers, .backfillIdentityUsers] {
            try connection.dropTableIfPresent(table)
            try connection.query("CREATE UNLOGGED TABLE \(table) (email text PRIMARY KEY)")
        }
    }

    /// Finds, once for every chunk, the stored users the staged users rows name by CRM id or `merged_into` only (a
    /// snapshot's: those named by their own email are staged already). The rows are first merged per email as a
    /// chunk's deduplication merges them, and tombstones left out, as a nightly's names are found: a tombstone's CRM
    /// id names nobody, and neither does a CRM id a later row of the same email replaced.
    func collectNamedUsers() throws {
        let users = SQLName.backfillStaging(.users), latest = SQLName.backfillLatestUsers
        let merged = SQLQuery.joined(["crm_user_id", "merged_into", "deleted"].map(Deduplication.latest), separator: ", ")
        try connection.query("""
            CREATE TEMP TABLE \(latest) ON COMMIT DROP AS
            SELECT email, crm_user_id, merged_into FROM (SELECT email, \(merged) FROM \(users) GROUP BY email) u
            WHERE NOT (coalesce(deleted, false) AND merged_into IS NULL)
            """)
        // The stored users in a CTE of their own: Citus joins no distributed table with a local one.
        try connection.query("""
            INSERT INTO \(SQLName.backfillNamedUsers) (email)
            WITH named AS MATERIALIZED (\(IdentityChanges.storedUsers(namedBy: latest)))
            SELECT DISTINCT n.email FROM named n WHERE NOT EXISTS (SELECT 1 FROM \(users) s WHERE s.email = n.email)
            """)
    }

    /// Indexes a backfill's staging by email, so that each chunk reads its own range only, not the whole staging
    /// again. No ANALYZE: the index gives the planner the table's size, and a chunk's range reads it by a bitmap
    /// scan with statistics or without (0.44 s of 979k rows, on one core, before any chunk could start).
    func index() throws {
        for entity in Entity.allCases {
            try connection.query("CREATE INDEX ON \(SQLName.backfillStaging(entity)) (email)")
        }
    }

    /// The emails that cut the `staged` rows at `fractions` of them (``cutFractions(chunks:splittingLast:)``), a
    /// user's rows all on one side: sorted and distinct, so there may be fewer when few users have many rows. They
    /// are percentiles of a sample of the rows (every row up to ``exactRows``; a repeatable one above: sorting all of
    /// 979k emails took 0.46 s before any chunk could start, a sample of 50k 0.05 s), so chunks are about equal.
    func bounds(at fractions: [Double], staged: Int) throws -> [String] {
        guard !fractions.isEmpty else { return [] }
        let sampled = max(Self.exactRows, 20 * (fractions.count + 1))
        let percent = staged > sampled ? 100 * Double(sampled) / Double(staged) : 100
        let rows = SQLQuery.joined(Entity.crmRecords.map {
            "SELECT email FROM \(SQLName.backfillStaging($0)) TABLESAMPLE BERNOULLI (\(bind: percent)) REPEATABLE (0)"
        }, separator: " UNION ALL ")
        return try connection.query("""
            SELECT DISTINCT bound FROM unnest((SELECT percentile_disc(\(bind: fractions)::float8[]) WITHIN GROUP (ORDER BY email)
                                                FROM (\(rows)) staged)) bound
            WHERE bound IS NOT NULL ORDER BY bound
            """).rows.map { try $0.decode(String.self, "bound") }
    }

    /// Up to this many staged rows, the chunks' bounds are exact percentiles of every row.
    static let exactRows = 50_000

    /// Where `chunks` ranges of as many rows each end (fractions of the rows, the last end left out), with the
    /// last `splittingLast` ranges cut in two: at the end of a backfill with `--jobs N`, N connections finish
    /// half-size chunks, so the last one to finish is alone for half a chunk, not a whole one.
    static func cutFractions(chunks: Int, splittingLast: Int) -> [Double] {
        let split = min(max(splittingLast, 0), chunks)
        return (1...max(chunks, 1)).flatMap { end -> [Double] in
            let half = end > chunks - split ? [(Double(end) - 0.5) / Double(chunks)] : []
            return half + (end < chunks ? [Double(end) / Double(chunks)] : [])
        }
    }

    /// Finds the users the input's renames and merges join — both emails of each: a merged away user and its target
    /// (by email, or by CRM id among the staged and the stored users), a stored user and the new email its CRM id
    /// comes under — for ``BackfillChunk/identities(_:index:)``. A superset does no harm (those users load like a
    /// nightly's); a pair cut apart would (a merge refused for a target in another chunk, rows moved under a chunk
    /// loading beside). Returns them, sorted.
    func collectIdentities() throws -> [String] {
        let users = SQLName.backfillStaging(.users)
        // Any row naming a target, `deleted` or not: deduplication may take `deleted` from another row of the email.
        let targets: SQLQuery = "SELECT merged_into FROM \(users) WHERE merged_into IS NOT NULL"
        // The stored users in a CTE of their own, by CRM id alone (Citus joins no distributed table with a local one).
        try connection.query("""
            INSERT INTO \(SQLName.backfillIdentityUsers) (email)
            WITH stored AS MATERIALIZED (
                SELECT u.email, u.crm_user_id FROM \(SQLName.crmUsers) u
                WHERE u.crm_user_id IN (SELECT crm_user_id FROM \(users) WHERE crm_user_id IS NOT NULL UNION \(targets)))
            SELECT email FROM \(users) WHERE merged_into IS NOT NULL
            UNION SELECT merged_into FROM \(users) WHERE merged_into LIKE '%@%'
            UNION SELECT email FROM \(users) WHERE crm_user_id IN (\(targets))
            UNION SELECT email FROM stored WHERE crm_user_id IN (\(targets))
            UNION SELECT e.email FROM \(users) s JOIN stored u ON u.crm_user_id = s.crm_user_id AND u.email <> s.email
                  CROSS JOIN LATERAL (VALUES (s.email), (u.email)) e(email)
            """)
        return try identities()
    }

    /// The users ``collectIdentities()`` found, sorted.
    func identities() throws -> [String] {
        try connection.query("SELECT email FROM \(SQLName.backfillIdentityUsers) ORDER BY email").rows.map { try $0.decode(String.self, "email") }
    }

    /// The emails the staged users rows name, as a snapshot names them (the whole input's, every chunk's): their own,
    /// the rejected ones', and the stored users they name by CRM id or merge (``collectNamedUsers()``: a user renamed
    /// in another chunk is named).
    static let snapshotEmails: SQLQuery = """
        SELECT email FROM \(SQLName.backfillStaging(.users)) UNION SELECT email FROM \(SQLName.backfillRejectedUsers)
        UNION SELECT email FROM \(SQLName.backfillNamedUsers)
        """

    /// Drops a backfill's staging.
    func drop() throws {
        for table in Self.tables { try connection.dropTableIfPresent(table) }
    }

    /// Every table of a backfill's staging.
    private static let tables = Entity.allCases.map(SQLName.backfillStaging) + [.backfillRejectedUsers, .backfillNamedUsers, .backfillIdentityUsers]

    /// The rows in a backfill's staging (0 when it is gone, as after a server crash).
    func rows() throws -> Int {
        // Any table missing (a staging made before crm_backfill_named_users existed too): it is staged afresh.
        for table in Self.tables {
            guard try connection.query("SELECT to_regclass(\(bind: table.sql)) IS NOT NULL AS present").scalar(Bool.self) else { return 0 }
        }
        var total = 0
        for entity in Entity.allCases {
            let table = SQLName.backfillStaging(entity)
            // A staging of other columns (made by an earlier version, before the ids): staged afresh too.
            let columns = try connection.query("""
                SELECT string_agg(attname, ',' ORDER BY attnum) AS columns FROM pg_attribute
                WHERE attrelid = \(bind: table.sql)::regclass AND attnum > 0 AND NOT attisdropped
                """).scalar(String.self)
            guard columns == StagingArea.columns(entity).joined(separator: ",") else { return 0 }
            total += try connection.query("SELECT count(*) AS n FROM \(table)").scalar(Int.self)
        }
        return total
    }

    /// The rows staged per entity in a backfill's staging.
    func counts() throws -> [Entity: Int] {
        var counts: [Entity: Int] = [:]
        for entity in Entity.allCases {
            counts[entity] = try connection.query("SELECT count(*) AS n FROM \(SQLName.backfillStaging(entity))").scalar(Int.self)
        }
        return counts
    }

    /// One chunk of a backfill's staging as the temporary staging a nightly load works on: the rows of the
    /// emails in `chunk`'s range, and their rejected users.
    func createChunk(_ chunk: BackfillChunk) throws {
        for entity in Entity.allCases {
            try connection.query("""
                CREATE TEMP TABLE \(SQLName.staged(entity)) ON COMMIT DROP AS SELECT * FROM \(SQLName.backfillStaging(entity))
                WHERE \(chunk.contains("email"))
                """)
        }
        try StagingArea(connection: connection).createWorkTables()
        try connection.query("""
            INSERT INTO \(SQLName.rejectedUsers) SELECT email FROM \(SQLName.backfillRejectedUsers)
            WHERE \(chunk.contains("email")) ON CONFLICT DO NOTHING
            """)
    }
}
