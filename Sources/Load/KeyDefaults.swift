import CRMSchema
import PostgresClient

/// What the tables' own keys default to, read from the catalog once per run.
enum KeyDefaults {
    /// Whether `table.id` is a uuid whose default is a random one (`gen_random_uuid()` as migrated, or
    /// `uuid_generate_v4()` as Supabase's templates make it, in whichever schema): only then does the import choose
    /// the keys of the rows it inserts (``RandomUUIDs``, or time-ordered ones for profiles). An app's own default
    /// (a sequence, its own function) stays its own.
    static func idIsRandom(in table: SQLName, on connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            SELECT coalesce(bool_or(a.atttypid = 'uuid'::regtype
                                    AND pg_get_expr(d.adbin, d.adrelid) ~ '^([a-z_][a-z0-9_]*\\.)?(gen_random_uuid|uuid_generate_v4)\\(\\)$'), false) AS random
            FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = \(bind: table.sql)::regclass AND a.attname = 'id'
            """).scalar(Bool.self)
    }
}
