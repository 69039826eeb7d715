import PostgresClient

/// The planner and memory settings of the statements from the dedupe to the upkeep, and of a backfill's lookups
/// over its whole staging (`SET LOCAL`: none outlives the import's transaction, or a backfill chunk's).
enum MergeSettings {
    /// Each setting, its value, and why.
    static let settings: [(name: String, value: String)] = [
        // The dedupe, the checks and the merges sort and hash every staged row: in memory, not in temporary files
        // (at the server's default of 4 MB, the sorts of a million staged rows spill to disk).
        ("work_mem", "128MB"),
        // Their large estimates would have PostgreSQL compile expressions to machine code (JIT), which costs more
        // than it saves on statements that run once: 0.65 s of 1.9 s in the checks at 979k rows.
        ("jit", "off"),
        // Their lookups of the staged users' rows (known users, identities, accounts) read a delta's share of large
        // tables: at the default (4, a disk that seeks) PostgreSQL read all of a 1.4M-row table for 14,000 emails
        // rather than its index (a 100k-row delta into 9.8M rows: 5.9 → 3.4 s). On SSD storage with a warm cache
        // an index probe costs about a sequential page read; the bulk statements keep their plans.
        ("random_page_cost", "1.1"),
    ]

    static func apply(on connection: PostgresConnection) throws {
        for (name, value) in settings { try connection.setLocal(name, to: value) }
    }

    /// Readies a new import connection, before its first temporary table (PostgreSQL takes `temp_buffers` only
    /// then): the staging and the work tables are temporary, and at the default of 8 MB their pages (about
    /// 280 MB at 979k rows) go out to the kernel and back between the statements that read them. With 128 MB
    /// (or 256), a nightly's steps after the staging (about 16 s at 979k rows) were shorter in each of 11
    /// interleaved pairs, by 1.1 s at the median. The buffers are allocated as the tables grow: a small import
    /// takes no more memory than before, a large one at most this much beside `work_mem`. A larger value set
    /// for the role or in the URL is kept.
    static func prepareSession(_ connection: PostgresConnection) throws {
        try connection.query("""
            SELECT set_config('temp_buffers', '128MB', false) AS temp_buffers
            WHERE pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('128MB')
            """)
    }
}
