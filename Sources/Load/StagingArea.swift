import CRMSchema
import PipelineCore
import PostgresClient

/// The staging of one load: the validated rows as read (`s_…`, one temporary table per entity, or a
/// backfill's UNLOGGED tables in `crm_private`), and the same rows deduplicated (`d_…`), on which the
/// checks and the merges work. Every identifier comes from `Entity`/`Field` or ``SQLName``, never from
/// input.
struct StagingArea {
    let connection: PostgresConnection

    /// The PostgreSQL type of a field in staging (the same as in the target table).
    static func type(of field: Field) -> SQLQuery {
        switch field {
        case .createdAt, .updatedAt, .paidAt, .requestedAt: "timestamptz"
        case .durationSeconds: "integer"
        case .amountCents: "bigint"
        case .creditCharged, .deleted: "boolean"
        default: "text"
        }
    }

    /// The columns of a staged row: its input position, then the loaded fields.
    static func columns(_ entity: Entity) -> [String] {
        ["seq", "file", "line"] + entity.loadedFields.map(\.name)
    }

    /// The key that makes two rows the same record: email for users and erasures, (email, external_id) for the rest.
    static func key(_ entity: Entity) -> [Field] {
        entity.keyFields
    }

    private static func definition(_ entity: Entity) -> SQLQuery {
        let fields = entity.loadedFields.map { field -> SQLQuery in "\(ident: field.name) \(type(of: field))" }
        return "seq bigint NOT NULL, file integer NOT NULL, line integer NOT NULL, \(SQLQuery.joined(fields, separator: ", "))"
    }

    /// The `COPY … FROM STDIN` of one entity's rows into `table`.
    static func copy(into table: SQLName, _ entity: Entity) -> SQLQuery {
        "COPY \(table) (\(SQLQuery.joined(columns(entity).map { "\(ident: $0)" }, separator: ", "))) FROM STDIN"
    }

    /// A nightly load's staging and work tables, dropped at the end of its transaction.
    func createTemporary() throws {
        for entity in Entity.allCases {
            try connection.query("CREATE TEMP TABLE \(SQLName.staged(entity)) (\(Self.definition(entity))) ON COMMIT DROP")
        }
        try createWorkTables()
    }

    /// The per-transaction tables every load needs besides the staging itself, and the credit walk.
    /// (The function first: Citus refuses DDL after a parallel read of a distributed table.)
    func createWorkTables() throws {
        for statement in CreditWalk.createTables { try connection.query(statement) }
        try connection.query("CREATE TEMP TABLE \(SQLName.rejectedUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.touched) (email text NOT NULL, applications integer NOT NULL DEFAULT 0,
                recordings integer NOT NULL DEFAULT 0, resumes integer NOT NULL DEFAULT 0,
                charged integer NOT NULL DEFAULT 0, payments integer NOT NULL DEFAULT 0) ON COMMIT DROP
            """)
        try connection.query("CREATE TEMP TABLE \(SQLName.newUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("CREATE TEMP TABLE \(SQLName.openedUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("CREATE TEMP TABLE \(ReferenceChecks.knownUsers) (email text PRIMARY KEY, user_id uuid) ON COMMIT DROP")
        for statement in UserRemoval.createTables { try connection.query(statement) }
        try connection.query(IdentityChanges.createTable)
        try connection.query("""
            CREATE TEMP TABLE \(MergePlan.changedUsers) (email text PRIMARY KEY, relinked boolean NOT NULL) ON COMMIT DROP
            """)
    }

    /// A backfill's staging: UNLOGGED tables that outlive its chunk transactions (and a crash of the
    /// client), made afresh. They hold personal data, so they live in `crm_private`.
    func createPersistent() throws {
        for entity in Entity.allCases {
            try connection.query("DROP TABLE IF EXISTS \(SQLName.backfillStaging(entity))")
            try connection.query("CREATE UNLOGGED TABLE \(SQLName.backfillStaging(entity)) (\(Self.definition(entity)))")
        }
        try connection.query("DROP TABLE IF EXISTS \(SQLName.backfillRejectedUsers)")
        try connection.query("CREATE UNLOGGED TABLE \(SQLName.backfillRejectedUsers) (email text PRIMARY KEY)")
    }

    /// The chunk of a row's email among `chunks`: a user's rows are all in one chunk.
    static func chunk(of chunks: Int) -> SQLQuery {
        "mod(abs(hashtext(email)), \(literal: chunks))"
    }

    /// Indexes a backfill's staging by chunk, so that each chunk reads its own rows only, not the whole
    /// staging again (and gives the planner the counts to see it).
    func indexPersistent(chunks: Int) throws {
        for entity in Entity.allCases {
            try connection.query("CREATE INDEX ON \(SQLName.backfillStaging(entity)) ((\(Self.chunk(of: chunks))))")
            try connection.query("ANALYZE \(SQLName.backfillStaging(entity))")
        }
    }

    /// Drops a backfill's staging.
    func dropPersistent() throws {
        for entity in Entity.allCases { try connection.query("DROP TABLE IF EXISTS \(SQLName.backfillStaging(entity))") }
        try connection.query("DROP TABLE IF EXISTS \(SQLName.backfillRejectedUsers)")
    }

    /// The rows in a backfill's staging (0 when it is gone, as after a server crash).
    func persistentRows() throws -> Int {
        var total = 0
        for entity in Entity.allCases {
            let table = SQLName.backfillStaging(entity)
            guard try connection.query("SELECT to_regclass(\(bind: table.sql)) IS NOT NULL AS present").scalar(Bool.self) else { return 0 }
            total += try connection.query("SELECT count(*) AS n FROM \(table)").scalar(Int.self)
        }
        return total
    }

    /// The rows staged per entity in a backfill's staging.
    func persistentCounts() throws -> [Entity: Int] {
        var counts: [Entity: Int] = [:]
        for entity in Entity.allCases {
            counts[entity] = try connection.query("SELECT count(*) AS n FROM \(SQLName.backfillStaging(entity))").scalar(Int.self)
        }
        return counts
    }

    /// One chunk of a backfill's staging as the temporary staging a nightly load works on: the rows of the
    /// emails whose hash falls in chunk `chunk` of `chunks`, and their rejected users.
    func createChunk(_ chunk: Int, of chunks: Int) throws {
        for entity in Entity.allCases {
            try connection.query("""
                CREATE TEMP TABLE \(SQLName.staged(entity)) ON COMMIT DROP AS SELECT * FROM \(SQLName.backfillStaging(entity))
                WHERE \(Self.chunk(of: chunks)) = \(bind: chunk)
                """)
        }
        try createWorkTables()
        try connection.query("""
            INSERT INTO \(SQLName.rejectedUsers) SELECT email FROM \(SQLName.backfillRejectedUsers)
            WHERE \(Self.chunk(of: chunks)) = \(bind: chunk) ON CONFLICT DO NOTHING
            """)
    }

    /// Merges rows with the same key into one (for each field the latest non-empty value wins; an empty
    /// value never erases), into the `d_…` tables; counts the rows merged and where they were.
    ///
    /// - Parameter location: `file, line` of a staged row as the reader names it (`path:line`).
    func deduplicate(location: (Int, Int) -> String) throws -> LoadTally {
        var tally = LoadTally()
        for entity in Entity.allCases {
            let keys = SQLQuery.joined(Self.key(entity).map { "\(ident: $0.name)" }, separator: ", ")
            let staged = SQLName.staged(entity), deduplicated = SQLName.deduplicated(entity)
            // One pass (a hash aggregate, not a sort of row values) to see whether any key repeats: most
            // nightly files have none.
            guard try connection.query("""
                SELECT EXISTS (SELECT 1 FROM \(staged) GROUP BY \(keys) HAVING count(*) > 1) AS repeats
                """).scalar(Bool.self) else {
                // Nothing to merge: the staging becomes the deduplicated table as it is (no copy; a column
                // with a constant default is only written in the catalog).
                try connection.query("ALTER TABLE \(staged) RENAME TO \(ident: deduplicated.name)")
                try connection.query("ALTER TABLE \(deduplicated) ADD COLUMN copies bigint NOT NULL DEFAULT 1")
                continue
            }
            let values = entity.loadedFields.filter { !Self.key(entity).contains($0) }.map { field -> SQLQuery in
                "(array_agg(\(ident: field.name) ORDER BY seq DESC) FILTER (WHERE \(ident: field.name) IS NOT NULL))[1] AS \(ident: field.name)"
            }
            try connection.query("""
                CREATE TEMP TABLE \(deduplicated) ON COMMIT DROP AS
                SELECT \(keys), \(SQLQuery.joined(values, separator: ", ")),
                       max(seq) AS seq, (array_agg(file ORDER BY seq DESC))[1] AS file,
                       (array_agg(line ORDER BY seq DESC))[1] AS line, count(*) AS copies
                FROM \(staged) GROUP BY \(keys)
                """)
            let match = SQLQuery.joined(Self.key(entity).map { "s.\(ident: $0.name) = d.\(ident: $0.name)" }, separator: " AND ")
            for row in try connection.query("""
                SELECT s.file, s.line, d.file AS kept_file, d.line AS kept_line FROM \(staged) s JOIN \(deduplicated) d ON \(match)
                WHERE d.copies > 1 AND s.seq <> d.seq ORDER BY s.seq
                """).rows {
                tally.counts[entity, default: EntityCounts()].duplicates += 1
                let merged = location(try row.decode(Int.self, "file"), try row.decode(Int.self, "line"))
                let kept = location(try row.decode(Int.self, "kept_file"), try row.decode(Int.self, "kept_line"))
                tally.mergedRows.append("\(entity): \(merged) merged into \(kept)")
            }
        }
        return tally
    }
}
