import Dispatch
import Extract
import Foundation
import Logging
import Validate
import PipelineCore
import PostgresClient

/// `--mode backfill`: the validated rows are staged once in UNLOGGED tables, then loaded in chunks of
/// users (by a hash of the email), each chunk in its own transaction with the same statements as a
/// nightly import. A user's rows, stats and credits are always in one chunk, so chunks never touch the
/// same rows and `--jobs N` connections load them in parallel without deadlocks. The chunks done are
/// recorded with the staging; a re-run of the same input after a crash resumes with the chunks left.
extension Importer {
    /// Identifies a backfill's input: the files' sha256 and the options that change the result.
    static func backfillKey(_ hashes: [String], options: ImportOptions) -> String {
        let parts = hashes.sorted() + [options.credits.rawValue, options.mapping?.path ?? "", String(options.chunkRows)]
        return SHA256.hexDigest(of: Array(parts.joined(separator: "\n").utf8))
    }

    func backfill(
        _ files: [InputFile], key: String, on connection: PostgresConnection, rejects: RejectFileWriter, runID: Int64,
        summary: inout ImportSummary
    ) throws {
        let state = try connection.query(
            "SELECT chunks, done, staged_rows FROM crm_private.crm_backfill_state WHERE run_key = $1", [key]).rows.first
        let chunks: Int
        var done: Set<Int> = []
        if let state, let count = state[0].flatMap({ Int($0) }), try stagedRows(on: connection) == Int(state[2] ?? "") {
            chunks = count
            done = Set((state[1] ?? "{}").trimmingCharacters(in: ["{", "}"]).split(separator: ",").compactMap { Int($0) })
            logger.notice("resuming a backfill of the same files", metadata: ["chunks done": "\(done.count) of \(chunks)"])
            try recountStaged(files, on: connection, summary: &summary)
        } else {
            chunks = try stagePersistently(files, key: key, on: connection, rejects: rejects, runID: runID, summary: &summary)
        }
        let pending = (0..<chunks).filter { !done.contains($0) }
        let shared = BackfillProgress(summary: summary, total: chunks, done: done.count)
        let jobs = min(options.jobs, max(pending.count, 1))
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            shared.run {
                let worker = try PostgresConnection(url: url, applicationName: "crm-pipeline")
                for chunk in pending where chunk % jobs == job {
                    guard !shared.stopped else { return }
                    var counts = ImportSummary()
                    try worker.transaction { worker in
                        for entity in Entity.allCases { try worker.query(StagingSQL.chunk(entity), [chunks, chunk]) }
                        try createWorkTables(on: worker)
                        try worker.query(StagingSQL.chunkRejectedUsers, [chunks, chunk])
                        try mergeStaged(files, on: worker, rejects: rejects, runID: runID, summary: &counts)
                        try worker.query("UPDATE crm_private.crm_backfill_state SET done = array_append(done, $2) WHERE run_key = $1", [key, chunk])
                    }
                    progress(shared.add(counts))
                }
            }
        }
        if let failure = shared.failure { throw failure }
        summary = shared.summary
        try connection.transaction { connection in
            for entity in Entity.allCases { try connection.query("DROP TABLE IF EXISTS \(StagingSQL.persistent(entity))") }
            try connection.query("DROP TABLE IF EXISTS \(StagingSQL.persistentRejectedUsers)")
            try connection.query("DELETE FROM crm_private.crm_backfill_state WHERE run_key = $1", [key])
        }
    }

    /// Validates and stages every file into fresh UNLOGGED tables, and records the chunking; one commit.
    /// Chunks a previous, crashed attempt committed are loaded again as no-ops (the merges are idempotent).
    /// - Returns: The number of chunks.
    private func stagePersistently(
        _ files: [InputFile], key: String, on connection: PostgresConnection, rejects: RejectFileWriter, runID: Int64,
        summary: inout ImportSummary
    ) throws -> Int {
        try connection.transaction { connection in
            try connection.query("DELETE FROM crm_private.crm_backfill_state")
            for entity in Entity.allCases {
                try connection.query("DROP TABLE IF EXISTS \(StagingSQL.persistent(entity))")
                try connection.query(StagingSQL.createPersistent(entity))
            }
            try connection.query("DROP TABLE IF EXISTS \(StagingSQL.persistentRejectedUsers)")
            try connection.query("CREATE UNLOGGED TABLE \(StagingSQL.persistentRejectedUsers) (email text PRIMARY KEY)")
            let started = Date()
            try stage(files, into: StagingSQL.persistent, rejectedUsers: StagingSQL.persistentRejectedUsers, on: connection,
                      rejects: rejects, summary: &summary)
            logger.info("read, validate and stage done", metadata: ["seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
            let staged = summary.totalRead - summary.totalRejected
            let chunks = max(1, Int((Double(staged) / Double(options.chunkRows)).rounded(.up)))
            try connection.query(
                "INSERT INTO crm_private.crm_backfill_state (run_key, run_id, chunks, staged_rows) VALUES ($1, $2, $3, $4)",
                [key, runID, chunks, try stagedRows(on: connection)])
            return chunks
        }
    }

    /// The rows in the persistent staging (0 when it is gone, as after a server crash).
    private func stagedRows(on connection: PostgresConnection) throws -> Int {
        var total = 0
        for entity in Entity.allCases {
            guard try connection.query("SELECT to_regclass($1) IS NOT NULL", [StagingSQL.persistent(entity)]).scalar == "t" else { return 0 }
            total += Int(try connection.query("SELECT count(*) FROM \(StagingSQL.persistent(entity))").scalar ?? "") ?? 0
        }
        return total
    }

    /// On a resumed run, the rows read are the staged ones (validation rejects were written the first time).
    private func recountStaged(_ files: [InputFile], on connection: PostgresConnection, summary: inout ImportSummary) throws {
        for entity in Entity.allCases {
            let count = Int(try connection.query("SELECT count(*) FROM \(StagingSQL.persistent(entity))").scalar ?? "") ?? 0
            summary.counts[entity, default: EntityCounts()].read = count
        }
    }
}

/// What the parallel chunk loads share: the summary and the first failure.
private final class BackfillProgress: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var summary: ImportSummary
    private(set) var failure: (any Error)?
    private let total: Int
    private var done: Int

    init(summary: ImportSummary, total: Int, done: Int) {
        self.summary = summary
        self.total = total
        self.done = done
    }

    var stopped: Bool { lock.withLock { failure != nil } }

    /// Runs a job's work, keeping its error (the first one stops the others between chunks).
    func run(_ work: () throws -> Void) {
        do { try work() } catch { lock.withLock { if failure == nil { failure = error } } }
    }

    /// Adds a committed chunk's counts; returns a progress line.
    func add(_ chunk: ImportSummary) -> String {
        lock.withLock {
            for (entity, counts) in chunk.counts {
                var total = summary.counts[entity, default: EntityCounts()]
                total.inserted += counts.inserted
                total.updated += counts.updated
                total.unchanged += counts.unchanged
                total.rejected += counts.rejected
                total.duplicates += counts.duplicates
                summary.counts[entity] = total
            }
            for (reason, count) in chunk.rejectsByReason { summary.rejectsByReason[reason, default: 0] += count }
            summary.mergedRows += chunk.mergedRows
            done += 1
            return "backfill: \(done) of \(total) chunks committed"
        }
    }
}
