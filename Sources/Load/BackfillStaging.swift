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
        try connection.dropTableIfPresent(SQLName.backfillRejectedUsers)
        try connection.query("CREATE UNLOGGED TABLE \(SQLName.backfillRejectedUsers) (email text PRIMARY KEY)")
    }

    /// Indexes a backfill's staging by email, so that each chunk reads its own range only, not the whole staging
    /// again (and gives the planner the counts to see it).
    func index() throws {
        for entity in Entity.allCases {
            try connection.query("CREATE INDEX ON \(SQLName.backfillStaging(entity)) (email)")
            try connection.query("ANALYZE \(SQLName.backfillStaging(entity))")
        }
    }

    /// The emails that cut the staged rows into about `chunks` ranges of as many rows each (a user's rows all
    /// fall in one range): sorted and distinct, so there may be fewer when few users have many rows.
    func bounds(chunks: Int) throws -> [String] {
        guard chunks > 1 else { return [] }
        let fractions = (1..<chunks).map { Double($0) / Double(chunks) }
        let rows = SQLQuery.joined(Entity.crmRecords.map { "SELECT email FROM \(SQLName.backfillStaging($0))" }, separator: " UNION ALL ")
        return try connection.query("""
            SELECT DISTINCT bound FROM unnest((SELECT percentile_disc(\(bind: fractions)::float8[]) WITHIN GROUP (ORDER BY email)
                                                FROM (\(rows)) staged)) bound
            WHERE bound IS NOT NULL ORDER BY bound
            """).rows.map { try $0.decode(String.self, "bound") }
    }

    /// Drops a backfill's staging.
    func drop() throws {
        for entity in Entity.allCases { try connection.dropTableIfPresent(SQLName.backfillStaging(entity)) }
        try connection.dropTableIfPresent(SQLName.backfillRejectedUsers)
    }

    /// The rows in a backfill's staging (0 when it is gone, as after a server crash).
    func rows() throws -> Int {
        var total = 0
        for entity in Entity.allCases {
            let table = SQLName.backfillStaging(entity)
            guard try connection.query("SELECT to_regclass(\(bind: table.sql)) IS NOT NULL AS present").scalar(Bool.self) else { return 0 }
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
