import PipelineCore
import PostgresClient
import Validate

/// The SQL of the staging area: one TEMP table per entity for the validated rows as read (`s_…`), and
/// one for the rows after deduplication (`d_…`). Every identifier comes from `Entity`/`Field`, never
/// from input, and is quoted by `quoteIdentifier`.
enum StagingSQL {
    /// The PostgreSQL type of a field in staging (the same as in the target table).
    static func type(of field: Field) -> String {
        switch field {
        case .createdAt, .updatedAt, .paidAt: "timestamptz"
        case .durationSeconds: "integer"
        case .amountCents: "bigint"
        case .creditCharged: "boolean"
        default: "text"
        }
    }

    static func staged(_ entity: Entity) -> String { quoteIdentifier("s_" + entity.name) }
    static func deduplicated(_ entity: Entity) -> String { quoteIdentifier("d_" + entity.name) }

    /// The columns of a staged row: its input position, then the loaded fields.
    static func columns(_ entity: Entity) -> [String] {
        ["seq", "file", "line"] + entity.loadedFields.map(\.name)
    }

    /// The staging of a backfill: UNLOGGED tables that outlive its chunk transactions (and a crash of the
    /// client), dropped when the backfill ends. They hold personal data, so they live in the private schema,
    /// where no API role can reach them (on Supabase, `public` is exposed to the API).
    static func persistent(_ entity: Entity) -> String { "crm_private." + quoteIdentifier("crm_backfill_s_" + entity.name) }
    static let persistentRejectedUsers = "crm_private.crm_backfill_rejected_users"

    static func createStaging(_ entity: Entity) -> String {
        let fields = entity.loadedFields.map { "\(quoteIdentifier($0.name)) \(type(of: $0))" }.joined(separator: ", ")
        return "CREATE TEMP TABLE \(staged(entity)) (seq bigint NOT NULL, file integer NOT NULL, line integer NOT NULL, \(fields)) ON COMMIT DROP"
    }

    static func createPersistent(_ entity: Entity) -> String {
        let fields = entity.loadedFields.map { "\(quoteIdentifier($0.name)) \(type(of: $0))" }.joined(separator: ", ")
        return "CREATE UNLOGGED TABLE \(persistent(entity)) (seq bigint NOT NULL, file integer NOT NULL, line integer NOT NULL, \(fields))"
    }

    /// One chunk of a backfill's staging, as the temporary staging table the load works on: the rows of
    /// the emails whose hash falls in chunk `$2` of `$1`.
    static func chunk(_ entity: Entity) -> String {
        "CREATE TEMP TABLE \(staged(entity)) ON COMMIT DROP AS SELECT * FROM \(persistent(entity)) WHERE mod(abs(hashtext(email)), $1::integer) = $2"
    }

    static let chunkRejectedUsers = """
        INSERT INTO rejected_users SELECT email FROM crm_private.crm_backfill_rejected_users
        WHERE mod(abs(hashtext(email)), $1::integer) = $2 ON CONFLICT DO NOTHING
        """

    static func copy(into table: String, _ entity: Entity) -> String {
        "COPY \(table) (\(columns(entity).map(quoteIdentifier).joined(separator: ", "))) FROM STDIN"
    }

    /// The key that makes two rows the same record: email for users, (email, external_id) for the rest.
    static func key(_ entity: Entity) -> [Field] {
        entity == .users ? [.email] : [.email, .externalID]
    }

    /// Whether any two staged rows share a key (one pass; most nightly files have none).
    static func hasDuplicates(_ entity: Entity) -> String {
        let keys = key(entity).map { quoteIdentifier($0.name) }.joined(separator: ", ")
        return "SELECT count(*) <> count(DISTINCT (\(keys))) FROM \(staged(entity))"
    }

    /// The deduplicated table when no key repeats: the staged rows as they are.
    static func copyWithoutDuplicates(_ entity: Entity) -> String {
        "CREATE TEMP TABLE \(deduplicated(entity)) ON COMMIT DROP AS SELECT *, 1::bigint AS copies FROM \(staged(entity))"
    }

    /// Merges rows with the same key into one: for each field the latest non-empty value wins (an empty
    /// value never erases); the position is the latest row's. `copies` counts the rows merged.
    static func deduplicate(_ entity: Entity) -> String {
        let key = key(entity)
        let latest = { (column: String) in
            "(array_agg(\(quoteIdentifier(column)) ORDER BY seq DESC) FILTER (WHERE \(quoteIdentifier(column)) IS NOT NULL))[1]"
        }
        let values = entity.loadedFields.filter { !key.contains($0) }.map { "\(latest($0.name)) AS \(quoteIdentifier($0.name))" }
        let keys = key.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        return """
            CREATE TEMP TABLE \(deduplicated(entity)) ON COMMIT DROP AS
            SELECT \(keys), \(values.joined(separator: ", ")),
                   max(seq) AS seq, (array_agg(file ORDER BY seq DESC))[1] AS file,
                   (array_agg(line ORDER BY seq DESC))[1] AS line, count(*) AS copies
            FROM \(staged(entity)) GROUP BY \(keys)
            """
    }

    /// Where each merged duplicate was: `file, line` of every row but the kept one, with the kept one's.
    static func mergedRows(_ entity: Entity) -> String {
        let key = key(entity).map { "s.\(quoteIdentifier($0.name)) = d.\(quoteIdentifier($0.name))" }.joined(separator: " AND ")
        return """
            SELECT s.file, s.line, d.file, d.line FROM \(staged(entity)) s JOIN \(deduplicated(entity)) d ON \(key)
            WHERE d.copies > 1 AND s.seq <> d.seq ORDER BY s.seq
            """
    }

    /// Emails whose user record was rejected in validation.
    static let createRejectedUsers = "CREATE TEMP TABLE rejected_users (email text PRIMARY KEY) ON COMMIT DROP"

    /// Per-email counts of what the merges changed, for the set-based stats and credits upkeep.
    static let createTouched = """
        CREATE TEMP TABLE touched (email text NOT NULL, applications integer NOT NULL DEFAULT 0,
            recordings integer NOT NULL DEFAULT 0, resumes integer NOT NULL DEFAULT 0,
            charged integer NOT NULL DEFAULT 0, payments integer NOT NULL DEFAULT 0) ON COMMIT DROP
        """

    static let createNewUsers = "CREATE TEMP TABLE new_users (email text PRIMARY KEY) ON COMMIT DROP"
}
