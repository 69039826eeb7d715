import CRMSchema
import Dispatch
import Extract
import Foundation
import Logging
import PipelineCore
import PostgresClient
import Synchronization
import Validate

/// `--mode backfill`: the validated rows are staged once in UNLOGGED tables, then loaded in chunks of
/// users (ranges of emails of about `--chunk-rows` rows each), each chunk in its own transaction with the same statements as a nightly
/// import. A user's rows, stats and credits are always in one chunk, so chunks never touch the same rows
/// and `--jobs N` connections load them in parallel without deadlocks. The chunks done are recorded with
/// the staging; a re-run of the same input after a crash resumes with the chunks left.
struct BackfillScheduler {
    let importer: Importer
    let strategy: any MergeStrategy
    let rejects: RejectFileWriter
    let runID: Int64

    private var options: ImportOptions { importer.options }

    /// Identifies a backfill's input: the files' sha256 and the options that change the result.
    static func key(_ hashes: [String], options: ImportOptions) -> String {
        let parts = hashes.sorted() + [options.credits.rawValue, options.mapping?.path ?? "", String(options.chunkRows), options.source,
                                       String(options.usersSnapshot)]
        return SHA256.hexDigest(of: Array(parts.joined(separator: "\n").utf8))
    }

    /// Stages (or finds the staging of a stopped run), loads the chunks left, and drops the staging.
    func run(_ files: [InputFile], key: String, on connection: PostgresConnection) throws -> LoadTally {
        let staging = BackfillStaging(connection: connection)
        let state = try connection.query("""
            SELECT chunks, staged_rows, bounds FROM \(SQLName.backfillState) WHERE run_key = \(bind: key)
            """).rows.first
        var tally = LoadTally()
        let chunks: [BackfillChunk]
        var done: Set<Int> = []
        // What the client found of the staged keys while staging (nothing when a stopped run staged them).
        var provenDistinct: Set<Entity> = []
        if let state, try staging.rows() == state.decode(Int.self, "staged_rows"),
           case let bounds = try connection.query("""
               SELECT bound FROM \(SQLName.backfillState), unnest(bounds) WITH ORDINALITY b(bound, n) WHERE run_key = \(bind: key) ORDER BY n
               """).rows.map({ try $0.decode(String.self, "bound") }),
           try bounds.count + 1 == state.decode(Int.self, "chunks") {
            chunks = BackfillChunk.cut(by: bounds, identities: try staging.identities())
            done = Set(try connection.query("""
                SELECT unnest(done) AS chunk FROM \(SQLName.backfillState) WHERE run_key = \(bind: key)
                """).rows.map { try $0.decode(Int.self, "chunk") })
            importer.logger.notice("resuming a backfill of the same files", metadata: ["chunks done": "\(done.count) of \(chunks.count)"])
            // The rows read are the staged ones (validation rejects were written the first time).
            for (entity, count) in try staging.counts() { tally.counts[entity, default: EntityCounts()].read = count }
        } else {
            (chunks, tally, provenDistinct) = try stage(files, key: key, on: connection)
        }
        var pending = chunks.filter { !done.contains($0.index) }
        let progress = BackfillProgress(total: chunks.count, done: done.count)
        // The renamed and merged users first, alone: the range chunks then never meet a user whose rows move.
        if let identities = pending.first(where: \.isIdentities) {
            pending.removeAll { $0.isIdentities }
            try load(identities, files, key: key, provenDistinct: provenDistinct, on: connection, progress: progress)
        }
        progress.hand(pending)
        let jobs = min(options.jobs, max(pending.count, 1))
        let proven = provenDistinct
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            progress.run {
                let worker = try PostgresConnection(url: importer.url, applicationName: "crm-pipeline")
                try MergeSettings.prepareSession(worker)
                while let chunk = progress.next() {
                    try load(chunk, files, key: key, provenDistinct: proven, on: worker, progress: progress)
                }
            }
        }
        if let failure = progress.failure { throw failure }
        tally.add(progress.tally)
        try connection.transaction { connection in
            try BackfillStaging(connection: connection).drop()
            try connection.query("DELETE FROM \(SQLName.backfillState) WHERE run_key = \(bind: key)")
            return .commit(())
        }
        return tally
    }

    /// Loads one chunk in a transaction of its own on `worker`, records it done, then folds its rollup deltas.
    private func load(_ chunk: BackfillChunk, _ files: [InputFile], key: String, provenDistinct: Set<Entity>,
                      on worker: PostgresConnection, progress: BackfillProgress) throws {
        let counts = try worker.transaction { worker in
            try BackfillStaging(connection: worker).createChunk(chunk)
            let counts = try importer.mergeStaged(files, on: worker, strategy: strategy.scoped(to: chunk), rejects: rejects, runID: runID,
                                                 before: LoadTally(), provenDistinct: provenDistinct, chunk: chunk)
            try worker.query("""
                UPDATE \(SQLName.backfillState) SET done = array_append(done, \(bind: chunk.index)) WHERE run_key = \(bind: key)
                """)
            return .commit(counts)
        }
        // What the chunk left as deltas (its writes through the triggers, its counts when another chunk held the
        // folding's lock) folded on its own connection, beside the other chunks' merges, not all at the end.
        importer.foldActivityRollup(on: worker)
        importer.progress(progress.add(counts))
    }

    /// Validates and stages every file into fresh UNLOGGED tables, and records the chunking; one commit.
    /// Chunks a previous, crashed attempt committed are loaded again as no-ops (the merges are idempotent).
    private func stage(_ files: [InputFile], key: String, on connection: PostgresConnection) throws
        -> (chunks: [BackfillChunk], tally: LoadTally, provenDistinct: Set<Entity>) {
        try connection.transaction { connection in
            let staging = BackfillStaging(connection: connection)
            try connection.query("DELETE FROM \(SQLName.backfillState)")
            try staging.create()
            var phase = Phase(logger: importer.logger)
            let (tally, provenDistinct) = try RowStager(
                connection: connection, options: options, rejects: rejects, logger: importer.logger, progress: importer.progress)
                .stage(files, into: SQLName.backfillStaging, rejectedUsers: .backfillRejectedUsers)
            phase.finished("read, validate and stage")
            // The lookups below (identities, removals, bounds) read every staged row, as the merges do: their
            // settings (no JIT: it took 0.6–0.8 s of the identities' 0.9 s, spent once per backfill on one core).
            try MergeSettings.apply(on: connection)
            try staging.index()
            // The removals are judged on the whole input, before any chunk commits one.
            let removal = UserRemoval(connection: connection)
            var removals = try removal.countTombstones(in: .backfillStaging(.users))
            if options.usersSnapshot {
                if tally.unnamedUserRows > 0 { throw LoadError.snapshotUnreadable(rows: tally.unnamedUserRows) }
                try staging.collectNamedUsers()
                removals += try removal.countAbsent(source: options.source, present: BackfillStaging.snapshotEmails)
            }
            try importer.enforceDeleteLimits(removing: removals, on: connection)
            let staged = tally.totalRead - tally.totalRejected
            let chunks = max(1, Int((Double(staged) / Double(options.chunkRows)).rounded(.up)))
            let bounds = try staging.bounds(at: BackfillStaging.cutFractions(chunks: chunks, splittingLast: options.jobs > 1 ? options.jobs : 0),
                                            staged: staged)
            try connection.query("""
                INSERT INTO \(SQLName.backfillState) (run_key, run_id, chunks, staged_rows, bounds)
                VALUES (\(bind: key), \(bind: runID), \(bind: bounds.count + 1), \(bind: try staging.rows()), \(bind: bounds)::text[])
                """)
            let chunked = BackfillChunk.cut(by: bounds, identities: try staging.collectIdentities())
            phase.finished("index the staging, count removals and cut chunks")
            return .commit((chunked, tally, provenDistinct))
        }
    }
}

/// What the parallel chunk loads share: the chunks left, their tallies and the first failure, under one lock.
private final class BackfillProgress: Sendable {
    private struct State {
        var tally = LoadTally()
        var failure: (any Error)?
        var done: Int
        var pending: ArraySlice<BackfillChunk>
    }

    private let state: Mutex<State>
    private let total: Int

    init(total: Int, done: Int) {
        self.total = total
        state = Mutex(State(done: done, pending: []))
    }

    /// Adds chunks to hand out.
    func hand(_ chunks: [BackfillChunk]) {
        state.withLock { $0.pending += chunks }
    }

    /// The next chunk to load, in email order, for whichever connection is free first; nil when none is left
    /// or a load failed.
    func next() -> BackfillChunk? {
        state.withLock { $0.failure == nil ? $0.pending.popFirst() : nil }
    }

    var failure: (any Error)? { state.withLock { $0.failure } }
    var tally: LoadTally { state.withLock { $0.tally } }

    /// Runs a job's work, keeping its error (the first one stops the others between chunks).
    func run(_ work: () throws -> Void) {
        do { try work() } catch { state.withLock { if $0.failure == nil { $0.failure = error } } }
    }

    /// Adds a committed chunk's counts; returns a progress line.
    func add(_ chunk: LoadTally) -> String {
        state.withLock { state in
            state.tally.add(chunk)
            state.done += 1
            return "backfill: \(state.done) of \(total) chunks committed"
        }
    }
}
