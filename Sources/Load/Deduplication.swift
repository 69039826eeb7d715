import CRMSchema
import PipelineCore
import PostgresClient

/// The deduplication of a load's staging: the `s_…` rows with the same key (``StagingArea/key(_:)``) merged
/// into one, into the `d_…` tables the checks and the merges work on.
struct Deduplication {
    let connection: PostgresConnection

    /// Whether any key repeats among `entity`'s staged rows: one pass, a hash aggregate, not a sort of row values.
    func keysRepeat(_ entity: Entity) throws -> Bool {
        try connection.query("""
            SELECT EXISTS (SELECT 1 FROM \(SQLName.staged(entity)) GROUP BY \(Self.keyColumns(entity)) HAVING count(*) > 1) AS repeats
            """).scalar(Bool.self)
    }

    /// The key's columns of `entity`, as a list.
    private static func keyColumns(_ entity: Entity) -> SQLQuery {
        SQLQuery.joined(StagingArea.key(entity).map { "\(ident: $0.name)" }, separator: ", ")
    }

    /// Merges rows with the same key into one (for each field the latest non-empty value wins; an empty
    /// value never erases), into the `d_…` tables; counts the rows merged and where they were.
    ///
    /// - Parameters:
    ///   - provenDistinct: Entities whose staged keys the client proved distinct (``StagedKeys``): no pass looks for repeats.
    ///   - location: `file, line` of a staged row as the reader names it (`path:line`).
    func deduplicate(provenDistinct: Set<Entity>, location: (Int, Int) -> String) throws -> LoadTally {
        var tally = LoadTally()
        for entity in Entity.allCases {
            let keys = Self.keyColumns(entity)
            let staged = SQLName.staged(entity), deduplicated = SQLName.deduplicated(entity)
            // Unless the client knows, one pass to see whether any key repeats: most nightly files have none.
            let repeats = try !provenDistinct.contains(entity) && keysRepeat(entity)
            guard repeats else {
                // Nothing to merge: the staging becomes the deduplicated table as it is (no copy; a column
                // with a constant default is only written in the catalog).
                try connection.query("ALTER TABLE \(staged) RENAME TO \(ident: deduplicated.name)")
                try connection.query("ALTER TABLE \(deduplicated) ADD COLUMN copies bigint NOT NULL DEFAULT 1")
                continue
            }
            let values = (entity.loadedFields.filter { !StagingArea.key(entity).contains($0) }.map(\.name)
                + StagingArea.chosenIDs(entity)).map { Self.latest("\(ident: $0)") }
            try connection.query("""
                CREATE TEMP TABLE \(deduplicated) ON COMMIT DROP AS
                SELECT \(keys), \(SQLQuery.joined(values, separator: ", ")),
                       max(seq) AS seq, (array_agg(file ORDER BY seq DESC))[1] AS file,
                       (array_agg(line ORDER BY seq DESC))[1] AS line, count(*) AS copies
                FROM \(staged) GROUP BY \(keys)
                """)
            let match = SQLQuery.joined(StagingArea.key(entity).map { "s.\(ident: $0.name) = d.\(ident: $0.name)" }, separator: " AND ")
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
        // Every later statement reads these tables: they are counted for the planner once here.
        try PlannerStatistics.sample(Entity.allCases.map(SQLName.deduplicated), on: connection)
        return tally
    }

    /// The latest non-empty value of `column` among the rows of one key (by `seq`), named as the column: how the
    /// rows with one key merge (an aggregate, for a `GROUP BY` of the key).
    static func latest(_ column: SQLQuery) -> SQLQuery {
        "(array_agg(\(column) ORDER BY seq DESC) FILTER (WHERE \(column) IS NOT NULL))[1] AS \(column)"
    }
}
