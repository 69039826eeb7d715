import CRMSchema
import PipelineCore
import PostgresClient

/// How the deduplicated staging reaches the CRM tables. A strategy merges one entity at a time, in
/// `Entity.crmRecords` order (users first: the children need them), in two steps (issue 24): new rows are
/// inserted while the app goes on undisturbed (``insertNew(_:countingRollup:on:)``), and rows that exist and changed are
/// updated last, in ``FinalWrites``, locked in key order first where the platform can
/// (``lockChanged(_:on:)``, ``updateChanged(_:on:)``), so that the app never waits on them for long.
protocol MergeStrategy: Sendable {
    /// Its name, for the log and the run record.
    var name: String { get }
    /// Whether the upkeep writes in as few passes as the data allows (``Upkeep``) rather than through the
    /// upkeep functions.
    var upkeepWritesDirectly: Bool { get }
    /// Whether the reference checks must lock the parents they find (``ReferenceChecks``): no FK trigger will.
    var locksParents: Bool { get }
    /// Whether the final writes lock the rows they will write in one order before writing (plain PostgreSQL;
    /// Citus runs no multi-shard `SELECT … FOR UPDATE`).
    var locksRowsInOrder: Bool { get }
    /// Whether the statements may look for stored child rows among the known users' only (not on Citus).
    var narrowsToKnownUsers: Bool { get }
    /// Runs after the reference checks, before the first merge, in the merge's transaction.
    func beginMerges(on connection: PostgresConnection) throws
    /// The same strategy for one backfill chunk: the stored rows read for its range only.
    func scoped(to chunk: BackfillChunk) -> any MergeStrategy
    /// Whether the report rollup's statement triggers fire on the tables (not on Citus), so that an import may let
    /// them stand aside and count its rows itself (``RollupCounting``).
    var rollupTriggersFire: Bool { get }
    /// Inserts the staged rows of `entity` that are new, and counts those that exist and changed. With
    /// `countingRollup`, staged rows inserted whole are inserted with the rollup's insert triggers aside
    /// (``MergeOutcome/counted``): the caller counts them.
    func insertNew(_ entity: Entity, countingRollup: Bool, on connection: PostgresConnection) throws -> MergeOutcome
    /// Locks the stored rows of `entity` that the staging changes, in key order (with ``locksRowsInOrder``).
    func lockChanged(_ entity: Entity, on connection: PostgresConnection) throws
    /// Updates the stored rows of `entity` that the staging changes, but the recordings that become charged;
    /// returns how many.
    func updateChanged(_ entity: Entity, on connection: PostgresConnection) throws -> Int
    /// Counts the stored recordings that this import charges (they were uncharged) in `touched`.
    func recordChargedLater(on connection: PostgresConnection) throws
    /// Updates the stored recordings that become charged (once the credit walk on the locked balances let their
    /// charges through); returns how many.
    func updateNewlyCharged(on connection: PostgresConnection) throws -> Int
}

/// What the insert step of a merge found: rows inserted, rows that exist, and how many of those change.
struct MergeOutcome: Sendable, Equatable {
    var inserted = 0
    var existing = 0
    var changed = 0
    /// Whether the rows inserted are the staged rows, inserted with the report rollup's insert triggers aside:
    /// the import counts them into the rollup (``RollupCounting``).
    var counted = false

    /// The entity's counts once `updated` of the changed rows were updated.
    func counts(updated: Int) -> EntityCounts {
        var counts = EntityCounts()
        counts.inserted = inserted
        counts.updated = updated
        counts.unchanged = existing - updated
        return counts
    }
}
