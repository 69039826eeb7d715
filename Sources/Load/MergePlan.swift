import CRMSchema
import PipelineCore
import PostgresClient

/// The set-based merge: for each entity an INSERT of the new rows in key order, recording per-email counts in
/// `touched` (users: in `new_users`) for the upkeep, and, last, an UPDATE of the rows that exist and differ
/// (an empty value never erases a stored one). One pass classifies the staged rows first, so that each
/// statement runs only where it has work (see ``insertNew(_:countingRollup:on:)``). No `now()` in an `ON CONFLICT … DO
/// UPDATE` (Citus), no statement-level trigger. The statements are data: ``statements(for:)`` lists them,
/// `description` prints the whole plan.
///
/// With ``Keys/checkedSetBased`` the per-row foreign key triggers stand aside during the merges
/// (`session_replication_role = replica`): the reference checks lock the parents the staged rows refer to
/// as they find them (`FOR KEY SHARE`, the lock each FK check would take, held to commit) and reject the
/// children of every missing one, set-based, so the guarantee is the foreign key's: a concurrent delete of a
/// parent waits for the import, or came first and its children are rejected.
struct MergePlan: MergeStrategy, CustomStringConvertible {
    /// How the merges check keys and which database they plan for: the three cases of a merge.
    enum Keys: Sendable, CaseIterable {
        /// PostgreSQL's RI triggers check each row.
        case triggersRowByRow
        /// The reference checks, set-based, with the parents locked; the RI triggers aside.
        case checkedSetBased
        /// Citus, with the RI triggers row by row: the upkeep functions open the accounts (their distributed
        /// form); the update itself finds the changed rows and the insert always anti-joins (Citus plans a
        /// join of local tables with a distributed one only in the shapes it had before: the classifying pass
        /// only counts the rows that exist).
        case citus
    }

    var keys = Keys.triggersRowByRow
    /// Whether the report rollup's insert triggers fire always on the tables (as migrated; never on Citus).
    var rollupTriggersFire = false
    /// The backfill chunk the staging holds (``BackfillChunk/whole`` for a nightly load).
    var scope = BackfillChunk.whole
    /// Whether the inserts may sort their keys by bytes (``MergeTarget/insertsInByteOrder``).
    var insertsInByteOrder = false
    /// The entities whose inserts take the ids the client chose (``MergeTarget/idChosen``).
    var idsChosen: Set<Entity> = []

    private var citus: Bool { keys == .citus }
    var upkeepWritesDirectly: Bool { !citus }
    var locksRowsInOrder: Bool { !citus }

    var name: String {
        switch keys {
        case .triggersRowByRow: "set-based, FK triggers row by row"
        case .citus: "set-based for Citus, FK triggers row by row"
        case .checkedSetBased: "set-based, keys checked set-based with the FK triggers aside"
        }
    }

    /// The statements that merge `entity`, in order: the first three always run, the rest only with work to do.
    struct Statements {
        /// Temporary tables the others read (the recordings' job request ids)…
        let prepare: [SQLQuery]
        /// …which are then analyzed (``PlannerStatistics/sample(_:on:)``).
        let prepared: [SQLName]
        /// The staged rows (a temporary table).
        let countStaged: SQLQuery
        /// One pass: rows existing, and changed (``MergeTarget/classify``).
        let classify: SQLQuery
        /// Inserts the new rows, leaving out those that exist.
        let insert: SQLQuery
        /// Inserts the staged rows when none exists (``MergeTarget/insertStaged``; Citus: `insert`)…
        let insertAll: SQLQuery
        /// …and counts them in `touched`.
        let recordAll: SQLQuery
        /// Inserts the staged rows when none existed but the app inserted some meanwhile.
        let insertAllGuarded: SQLQuery
        /// Records the users of the changed rows in ``MergePlan/changedUsers``, when rows changed.
        let recordChanged: SQLQuery
        /// In the final writes: locks the changed rows in key order.
        let lockChanged: SQLQuery
        /// In the final writes: updates the rows that changed (recordings: but those that become charged).
        let update: SQLQuery
    }

    func statements(for entity: Entity) -> Statements {
        let target = MergeTarget(entity, scope: scope, narrowed: !citus, insertsInByteOrder: insertsInByteOrder,
                                 idChosen: idsChosen.contains(entity))
        let prepared = entity == .recordings ? [SQLName.recordingJobs] : []
        return Statements(
            prepare: prepared.map { LoadSQL.copyJobRequestsOfRecordings(into: $0, scope: scope) }, prepared: prepared,
            countStaged: target.countStaged, classify: target.classify(findingChanges: !citus), insert: target.insert(antiJoin: true),
            insertAll: target.insertStaged, recordAll: target.recordStaged, insertAllGuarded: target.insert(antiJoin: false),
            recordChanged: target.recordChangedUsers(into: SQLName.changedUsers), lockChanged: target.lockChanged,
            update: entity == .recordings ? target.update(where: "NOT \(Self.becomesCharged)") : target.update())
    }

    var locksParents: Bool { keys == .checkedSetBased }
    var narrowsToKnownUsers: Bool { !citus }

    func scoped(to chunk: BackfillChunk) -> any MergeStrategy {
        var plan = self
        plan.scope = chunk
        return plan
    }

    func beginMerges(on connection: PostgresConnection) throws {
        guard keys == .checkedSetBased else { return }
        try connection.setLocal("session_replication_role", to: "replica")
    }

    /// Classifies the staged rows in one pass, then inserts only where rows are new: a re-import of unchanged
    /// files reads each table once and writes nothing; a first import neither updates nor anti-joins.
    func insertNew(_ entity: Entity, countingRollup: Bool, on connection: PostgresConnection) throws -> MergeOutcome {
        let statements = statements(for: entity)
        for statement in statements.prepare { try connection.query(statement) }
        try PlannerStatistics.sample(statements.prepared, on: connection)
        let staged = try connection.query(statements.countStaged).scalar(Int.self)
        let row = try connection.query(statements.classify).singleRow()
        var outcome = MergeOutcome(existing: try row.decode(Int.self, "existing"), changed: try row.decode(Int.self, "changed"))
        if outcome.changed > 0 && !citus { try connection.query(statements.recordChanged) }
        if staged > outcome.existing {
            if outcome.existing > 0 || citus {
                outcome.inserted = try connection.query(statements.insert).scalar(Int.self)
            } else {
                (outcome.inserted, outcome.counted) = try insertAll(staged: staged, statements, countingRollup: countingRollup, on: connection)
            }
        }
        return outcome
    }

    func lockChanged(_ entity: Entity, on connection: PostgresConnection) throws {
        guard locksRowsInOrder else { return }
        try connection.query(statements(for: entity).lockChanged)
    }

    func updateChanged(_ entity: Entity, on connection: PostgresConnection) throws -> Int {
        try connection.query(statements(for: entity).update).scalar(Int.self)
    }

    func recordChargedLater(on connection: PostgresConnection) throws {
        try connection.query(chargedLater)
    }

    func updateNewlyCharged(on connection: PostgresConnection) throws -> Int {
        try connection.query(Self.updateNewlyCharged).scalar(Int.self)
    }

    /// Inserts the `staged` rows, none of which existed a statement ago: plainly, then counted from the staging.
    /// Should the app have inserted one of their keys since (a unique violation), or a user have gone (fewer
    /// rows inserted than staged, with the FK triggers, which hold no parent lock), back to the savepoint:
    /// the guarded insert skips those and counts what it inserted. With `countingRollup` the plain insert runs with
    /// the rollup's insert triggers aside (`counted`); the guarded one never does.
    private func insertAll(
        staged: Int, _ statements: Statements, countingRollup: Bool, on connection: PostgresConnection
    ) throws -> (inserted: Int, counted: Bool) {
        struct FewerInserted: Error {}
        do {
            try connection.withSavepoint {
                let inserted = countingRollup
                    ? try RollupCounting.uncounted(on: connection) { try connection.query(statements.insertAll).affectedRows }
                    : try connection.query(statements.insertAll).affectedRows
                guard inserted == staged else { throw FewerInserted() }
                try connection.query(statements.recordAll)
            }
            return (staged, countingRollup)
        } catch is FewerInserted {
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {}
        return (try connection.query(statements.insertAllGuarded).scalar(Int.self), false)
    }

    var description: String {
        let locks = keys == .checkedSetBased ? ["SET LOCAL session_replication_role = replica;"] : []
        let inserts = Entity.crmRecords.map { entity in
            let statements = statements(for: entity)
            return (["-- \(entity)"] + (statements.prepare + statements.prepared.map { "ANALYZE \($0)" } + [statements.countStaged, statements.classify])
                .map { "\($0);" }
                + ["-- when rows are new and some exist:", "\(statements.insert);",
                   "-- when none exists:", "\(statements.insertAll);", "\(statements.recordAll);",
                   "-- when none existed but the app inserted one since (back to a savepoint):", "\(statements.insertAllGuarded);",
                   "-- when rows changed:", "\(statements.recordChanged);"])
                .joined(separator: "\n")
        }
        let updates = Entity.crmRecords.map { entity in
            let statements = statements(for: entity)
            return (["-- final writes, \(entity), when rows changed:"]
                + [statements.lockChanged, statements.update].map { "\($0);" }
                + (entity == .recordings ? ["-- after the credit walk on the locked balances:", "\(chargedLater);", "\(Self.updateNewlyCharged);"] : []))
                .joined(separator: "\n")
        }
        return (locks + inserts + updates).joined(separator: "\n\n")
    }

    /// A staged recording `s` whose stored twin `t` is uncharged and becomes charged.
    static let becomesCharged: SQLQuery = "(s.credit_charged AND NOT t.credit_charged)"

    /// Recordings that exist uncharged and become charged: a charge each, booked like new ones.
    var chargedLater: SQLQuery {
        """
        INSERT INTO \(SQLName.touched) (email, charged)
        SELECT s.email, count(*) FROM \(SQLName.deduplicated(.recordings)) s
        JOIN \(SQLName.recordings) t ON t.email = s.email AND t.external_id = s.external_id AND \(scope.contains("t.email"))
            AND \(LoadSQL.ofKnownUsers("t.email", narrowed: !citus))
        WHERE \(Self.becomesCharged)
        GROUP BY s.email
        """
    }

    /// The update of the recordings that become charged.
    static let updateNewlyCharged = MergeTarget(.recordings).update(where: becomesCharged)
}
