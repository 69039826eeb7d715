import CRMSchema
import Extract
import Foundation
import Logging
import PipelineCore
import PostgresClient

/// `crm-pipeline import`: extract → validate → dedupe → check → merge → upkeep, in one transaction
/// (nightly) or in resumable chunks (``BackfillScheduler``). Each stage is a type of its own that returns
/// what it did (a ``LoadTally``); the summary is their sum.
public struct Importer: Sendable {
    let url: String?
    private(set) var options: ImportOptions
    let logger: Logger
    let progress: @Sendable (String) -> Void
    /// The merge strategy; `nil` lets each run choose (``MergeStrategyChoice``). Tests set it to compare them.
    var strategy: (any MergeStrategy)?

    /// - Parameters:
    ///   - url: The database, as for every command.
    ///   - progress: Receives short progress lines (rows read, MB/s) while files are read.
    public init(url: String?, options: ImportOptions, logger: Logger, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.url = url
        self.options = options
        self.logger = logger
        self.progress = progress
    }

    /// Runs the import of `files`.
    ///
    /// - Returns: The summary, also when rows were rejected (under the thresholds).
    /// - Throws: ``LoadError``, ``ExtractError``, ``MappingError``, `XMLError` or `PostgresError`; nothing
    ///   of the run is committed then (a backfill keeps its committed chunks), and its run record says why.
    public func run(files: [InputFile]) throws -> ImportSummary {
        guard options.mode == .backfill || options.jobs == 1 else {
            throw LoadError.usage("--jobs needs --mode backfill: a nightly import is one transaction on one connection")
        }
        let started = Date()
        let connection = try PostgresConnection(url: url)
        try MergeSettings.prepareSession(connection)
        let record = try RunRecord(url: url, mode: options.mode)
        var summary = ImportSummary()
        summary.runID = record.id
        summary.dryRun = options.dryRun
        var recorded: [RecordedFile] = []
        let rejects = RejectFileWriter(path: options.rejectFile ?? "crm-import-\(record.id).rejects.jsonl")
        do {
            guard try connection.tryAdvisoryLock(AdvisoryLockKey.importer) else { throw LoadError.locked }
            defer { _ = try? connection.advisoryUnlock(AdvisoryLockKey.importer) }
            try record.closeInterruptedRuns()
            let strategy = try self.strategy ?? MergeStrategyChoice(connection: connection, logger: logger).choose()
            summary.strategy = strategy.name
            logger.info("merge strategy", metadata: ["strategy": "\(strategy.name)"])
            if !options.dryRun {
                let changes = try Upkeep.catchUpEveryProfile(on: connection)
                if changes > 0 { logger.info("profiles caught up with the app's own writes", metadata: ["changes": "\(changes)"]) }
            }
            // One fingerprint per file on disk: an archive is skipped or read as a whole.
            recorded = try RecordedFile.fingerprinting(files.map(\.path).uniqued())
            let seen = options.force ? [] : try record.alreadyImported(recorded.map(\.sha256))
            for index in recorded.indices where seen.contains(recorded[index].sha256) {
                recorded[index].skipped = true
                summary.skippedFiles.append(recorded[index].path)
                logger.notice("skipping a file already imported (use --force to import it again)", metadata: ["file": "\(recorded[index].path)"])
            }
            let skippedPaths = Set(recorded.filter(\.skipped).map(\.path))
            let toRead = files.filter { !skippedPaths.contains($0.path) }
            var importer = self
            if options.usersSnapshot && !skippedPaths.isEmpty {
                // Users of the files skipped would look absent: no removal by snapshot from a partial read.
                importer.options.usersSnapshot = false
                logger.notice("files of the snapshot were imported before and are skipped: no user is removed as absent this run (--force reads them all)")
            }
            if options.mode == .backfill {
                let key = BackfillScheduler.key(recorded.filter { !$0.skipped }.map(\.sha256), options: importer.options)
                summary.tally = try BackfillScheduler(importer: importer, strategy: strategy, rejects: rejects, runID: record.id)
                    .run(toRead, key: key, on: connection)
            } else {
                summary.tally = try connection.transaction { connection in
                    let tally = try importer.load(toRead, on: connection, strategy: strategy, rejects: rejects, runID: record.id)
                    return options.dryRun ? .rollback(tally) : .commit(tally)
                }
            }
            summary.rejectFile = rejects.count > 0 ? rejects.path : nil
            if !options.dryRun { foldActivityRollup(on: connection) }
        } catch {
            summary.elapsed = Date().timeIntervalSince(started)
            try? record.finish(status: .failed, summary: summary, files: recorded, error: "\(error)")
            if let error = error as? PostgresError {
                throw options.mode == .backfill ? LoadError.backfillStopped(error) : LoadError.database(error)
            }
            throw error
        }
        summary.elapsed = Date().timeIntervalSince(started)
        try record.finish(status: options.dryRun ? .dryRun : .succeeded, summary: summary, files: recorded, error: nil)
        return summary
    }

    /// Folds the report rollup's deltas (migration 0024) into its per-month rows after the run, or a backfill's
    /// chunk, committed. A failure is only logged: the import is committed, and the next fold (or `verify
    /// --fix`) folds what this one left.
    func foldActivityRollup(on connection: PostgresConnection) {
        do {
            let folded = try connection.query("SELECT \(SQLName.activityFold)() AS folded").scalar(Int64.self)
            logger.info("report rollup folded", metadata: ["deltas": "\(folded)"])
        } catch {
            logger.warning("the report rollup was not folded (the next import folds it)", metadata: ["error": "\(error)"])
        }
    }

    /// Everything inside a nightly import's transaction.
    private func load(
        _ files: [InputFile], on connection: PostgresConnection, strategy: any MergeStrategy, rejects: RejectFileWriter, runID: Int64
    ) throws -> LoadTally {
        try StagingArea(connection: connection).createTemporary()
        var phase = Phase(logger: logger)
        let (read, provenDistinct) = try RowStager(connection: connection, options: options, rejects: rejects, logger: logger, progress: progress)
            .stage(files, into: SQLName.staged, rejectedUsers: .rejectedUsers)
        phase.finished("read, validate and stage")
        return try mergeStaged(files, on: connection, strategy: strategy, rejects: rejects, runID: runID, before: read,
                               provenDistinct: provenDistinct)
    }

    /// From the staging to the CRM tables: dedupe, checks, thresholds, merges, upkeep. `before` is what the
    /// load counted so far (the thresholds apply to it and this stage's rejects together); `chunk`, a backfill's
    /// chunk (whose removals were judged on the whole input), or `nil` for a nightly load; `provenDistinct`, the
    /// entities whose staged keys the client found distinct (``StagedKeys``).
    func mergeStaged(
        _ files: [InputFile], on connection: PostgresConnection, strategy: any MergeStrategy, rejects: RejectFileWriter, runID: Int64,
        before: LoadTally, provenDistinct: Set<Entity>, chunk: BackfillChunk? = nil
    ) throws -> LoadTally {
        var phase = Phase(logger: logger)
        try MergeSettings.apply(on: connection)
        func path(_ index: Int) -> String { files.indices.contains(index) ? files[index].name : "?" }
        var tally = before
        tally.add(try Deduplication(connection: connection).deduplicate(provenDistinct: provenDistinct) { "\(path($0)):\($1)" })
        phase.finished("deduplicate")
        // Erased people's older rows go first, whatever else the export says of them.
        for reject in try Erasures(connection: connection).refuseErased(path: path) {
            tally.count(reject)
            try rejects.write(reject)
        }
        let removal = UserRemoval(connection: connection)
        try removal.collectTombstones()
        let identity = IdentityChanges(connection: connection)
        for reject in try identity.collect(path: path) {
            tally.count(reject)
            try rejects.write(reject)
        }
        if options.usersSnapshot {
            // What the snapshot names: every users row it has, kept, removed, rejected or moved (a backfill's whole input).
            // The stored users it names by CRM id or merge are named too: a renamed user's old email is not absent.
            let present: SQLQuery = chunk == nil
                ? """
                  SELECT email FROM \(SQLName.deduplicated(.users)) UNION SELECT email FROM \(SQLName.removedUsers)
                  UNION SELECT email FROM \(SQLName.rejectedUsers) UNION SELECT from_email FROM \(SQLName.identityMoves)
                  UNION SELECT email FROM \(SQLName.identityKnown)
                  """
                : BackfillStaging.snapshotEmails
            try removal.collectAbsent(source: options.source, present: present,
                                      scope: chunk?.contains("c.email") ?? "true")
        }
        let upkeep = Upkeep(connection: connection)
        let privileged = try upkeep.standAside()
        if chunk != nil && !strategy.locksRowsInOrder {
            // Citus: one chunk writes at a time (AdvisoryLockKey.citusChunkWrites); their reads and staging overlap.
            try connection.query("SELECT pg_advisory_xact_lock(\(bind: AdvisoryLockKey.citusChunkWrites)) AS locked")
        }
        if privileged { try upkeep.catchUpStagedProfiles() }
        // Renames and merges move users' rows before the checks, so that everything after sees one user each.
        let moved = try identity.apply(lockInOrder: strategy.locksRowsInOrder, privileged: privileged)
        for (entity, counts) in moved { tally.counts[entity, default: EntityCounts()].add(counts) }
        tally.add(try ReferenceChecks(connection: connection)
            .run(credits: options.credits, rejects: rejects, lockParents: strategy.locksParents, scope: chunk ?? .whole,
                 narrowed: strategy.narrowsToKnownUsers, path: path))
        try enforceThresholds(tally)
        if chunk == nil {
            if options.usersSnapshot && tally.unnamedUserRows > 0 { throw LoadError.snapshotUnreadable(rows: tally.unnamedUserRows) }
            try enforceDeleteLimits(removing: try removal.count(), on: connection)
            if options.dryRun {
                for user in try removal.listed() {
                    try rejects.writeRemoval(email: user.email, why: user.why,
                                             at: user.location.map { SourceLocation(file: path($0.file), line: $0.line) })
                }
            }
        }
        phase.finished("check references and credits")

        if !privileged {
            logger.warning("this database role cannot let the triggers stand aside (Row Level Security applies to it): loading row by row through them")
        }
        try strategy.beginMerges(on: connection)
        var outcomes: [Entity: MergeOutcome] = [:]
        var statistics = PlannerStatistics(connection: connection, logger: logger)
        // The plain inserts are counted into the report rollup here rather than by its triggers (RollupCounting).
        let countsRollup = privileged && strategy.rollupTriggersFire
        for entity in Entity.crmRecords {
            try statistics.refresh()
            outcomes[entity] = try strategy.insertNew(entity, countingRollup: countsRollup, on: connection)
            phase.finished("insert \(entity)")
        }
        let counted = Entity.crmRecords.filter { outcomes[$0]?.counted == true }
        if !counted.isEmpty {
            try RollupCounting.count(counted, on: connection)
            phase.finished("count the inserted rows for the report rollup")
        }
        try statistics.refresh()
        if privileged {
            try upkeep.openNewUsers(runID: runID, writesDirectly: strategy.upkeepWritesDirectly, scope: chunk ?? .whole)
            phase.finished("open new users' accounts")
        }
        try removal.recordSource(options.source, snapshot: options.usersSnapshot, scope: chunk ?? .whole)
        try statistics.refresh()
        tally.add(try FinalWrites(connection: connection, strategy: strategy, credits: options.credits, rejects: rejects, path: path)
            .run(outcomes, runID: runID, upkeep: privileged ? upkeep : nil))
        phase.finished("final writes (changed rows, stats and credits)")
        if !counted.isEmpty {
            try RollupCounting.add(on: connection)
            phase.finished("add them to the report rollup")
        }
        return tally
    }

    /// Refuses to remove more stored users than `--max-deletes`, or a larger share than `--max-delete-rate`
    /// (from ``ImportOptions/deleteRateFloor`` removals on) of the stored users: of the source's, for a snapshot.
    func enforceDeleteLimits(removing deletes: Int, on connection: PostgresConnection) throws {
        guard deletes > 0 else { return }
        let stored = try connection.query(options.usersSnapshot
            ? "SELECT count(*) AS n FROM \(SQLName.userSources) WHERE source = \(bind: options.source)"
            : "SELECT count(*) AS n FROM \(SQLName.crmUsers)").scalar(Int.self)
        if let maxDeletes = options.maxDeletes, deletes > maxDeletes {
            throw LoadError.tooManyDeletes(deletes: deletes, stored: stored, limit: "--max-deletes \(maxDeletes)")
        }
        if deletes > ImportOptions.deleteRateFloor, stored > 0, Double(deletes) / Double(stored) > options.maxDeleteRate {
            throw LoadError.tooManyDeletes(deletes: deletes, stored: stored, limit: "--max-delete-rate \(options.maxDeleteRate)")
        }
    }

    private func enforceThresholds(_ tally: LoadTally) throws {
        let (rejected, read) = (tally.totalRejected, tally.totalRead)
        if let maxErrors = options.maxErrors, rejected > maxErrors {
            throw LoadError.tooManyRejects(rejected: rejected, read: read, limit: "--max-errors \(maxErrors)")
        }
        if let rate = options.maxErrorRate, read > 0, Double(rejected) / Double(read) > rate {
            throw LoadError.tooManyRejects(rejected: rejected, read: read, limit: "--max-error-rate \(rate)")
        }
    }
}
