import Extract
import Foundation
import Logging
import PipelineCore
import PostgresClient
import Validate

/// `crm-pipeline import`: extract → validate → dedupe → load, in one transaction (nightly mode).
///
/// Validated rows stream into TEMP staging tables with COPY (in 2 MiB batches, so memory stays flat);
/// deduplication, the referential and credit checks and the merges are set-based statements; the row
/// triggers stand aside and the stats and credits are kept with one statement each. A malformed file,
/// rejects over the threshold or any database error roll everything back.
public final class Importer: @unchecked Sendable {  // every stored property is immutable
    /// Serializes imports on one database (`pg_try_advisory_lock`).
    static let lockKey: Int64 = 0x4352_4D5F_494D_5054  // "CRM_IMPT"
    private static let batchBytes = 2 << 20

    let url: String?
    let options: ImportOptions
    let logger: Logger
    let progress: @Sendable (String) -> Void

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
    ///   of the run is committed then, and its `crm_private.crm_import_runs` row says why.
    public func run(files: [InputFile]) throws -> ImportSummary {
        guard options.mode == .backfill || options.jobs == 1 else {
            throw LoadError.usage("--jobs needs --mode backfill: a nightly import is one transaction on one connection")
        }
        let started = Date()
        let connection = try PostgresConnection(url: url)
        let log = try ImportRunLog(url: url, mode: options.mode)
        var summary = ImportSummary()
        summary.runID = log.id
        summary.dryRun = options.dryRun
        var fileRecords: [(path: String, sha256: String, bytes: Int, skipped: Bool)] = []
        let rejectPath = options.rejectFile ?? "crm-import-\(log.id).rejects.jsonl"
        do {
            guard try connection.tryAdvisoryLock(Self.lockKey) else { throw LoadError.locked }
            defer { _ = try? connection.advisoryUnlock(Self.lockKey) }
            try log.closeInterruptedRuns()
            if !options.dryRun { try catchUpProfiles(on: connection) }

            for file in files {
                let (sha256, bytes) = try fingerprint(of: file.path)
                fileRecords.append((file.path, sha256, bytes, false))
            }
            let seen = options.force ? [] : try log.alreadyImported(fileRecords.map(\.sha256))
            for index in fileRecords.indices where seen.contains(fileRecords[index].sha256) {
                fileRecords[index].skipped = true
                summary.skippedFiles.append(fileRecords[index].path)
                logger.notice("skipping a file already imported (use --force to import it again)", metadata: ["file": "\(fileRecords[index].path)"])
            }
            let toRead = zip(files, fileRecords).filter { !$0.1.skipped }.map(\.0)
            let rejects = RejectFileWriter(path: rejectPath)
            if options.mode == .backfill {
                let key = Self.backfillKey(fileRecords.filter { !$0.skipped }.map(\.sha256), options: options)
                try backfill(toRead, key: key, on: connection, rejects: rejects, runID: log.id, summary: &summary)
            } else {
                try connection.transaction { connection in
                    try load(toRead, on: connection, rejects: rejects, runID: log.id, summary: &summary)
                    if options.dryRun { throw DryRunFinished() }
                }
            }
            summary.rejectFile = rejects.count > 0 ? rejects.path : nil
        } catch is DryRunFinished {
            summary.rejectFile = summary.totalRejected > 0 ? rejectPath : nil
        } catch {
            summary.elapsed = Date().timeIntervalSince(started)
            try? log.finish(status: "failed", summary: summary, files: fileRecords, error: "\(error)")
            if let error = error as? PostgresError {
                throw options.mode == .backfill ? LoadError.backfillStopped(error) : LoadError.database(error)
            }
            throw error
        }
        summary.elapsed = Date().timeIntervalSince(started)
        try log.finish(status: options.dryRun ? "dry_run" : "succeeded", summary: summary, files: fileRecords, error: nil)
        return summary
    }

    private struct DryRunFinished: Error {}

    /// On Citus, everything the app's own writes left for the catch-up (profiles, sign-up links), for
    /// every CRM user, in its own transaction before the import's; nothing on plain PostgreSQL, whose
    /// triggers leave nothing to catch up.
    private func catchUpProfiles(on connection: PostgresConnection) throws {
        guard try connection.query(UpkeepSQL.isBulkLoader).scalar == "t" else { return }
        let changes = try connection.query(UpkeepSQL.catchUpEveryProfile).scalar ?? "0"
        if changes != "0" {
            logger.info("profiles caught up with the app's own writes", metadata: ["changes": "\(changes)"])
        }
    }

    /// Everything inside a nightly import's transaction.
    private func load(
        _ files: [InputFile], on connection: PostgresConnection, rejects: RejectFileWriter, runID: Int64,
        summary: inout ImportSummary
    ) throws {
        for entity in Entity.allCases { try connection.query(StagingSQL.createStaging(entity)) }
        try createWorkTables(on: connection)
        let started = Date()
        try stage(files, into: StagingSQL.staged, rejectedUsers: "rejected_users", on: connection, rejects: rejects, summary: &summary)
        logger.info("read, validate and stage done", metadata: ["seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
        try mergeStaged(files, on: connection, rejects: rejects, runID: runID, summary: &summary)
    }

    /// The per-transaction tables every load needs besides the staging itself, and the credit walk.
    /// (The function first: Citus refuses DDL after a parallel read of a distributed table.)
    func createWorkTables(on connection: PostgresConnection) throws {
        try connection.query(CheckSQL.createCreditCheck)
        try connection.query(StagingSQL.createRejectedUsers)
        try connection.query(StagingSQL.createTouched)
        try connection.query(StagingSQL.createNewUsers)
    }

    /// From the temporary staging tables to the CRM tables: dedupe, checks, thresholds, merges, upkeep.
    func mergeStaged(
        _ files: [InputFile], on connection: PostgresConnection, rejects: RejectFileWriter, runID: Int64,
        summary: inout ImportSummary
    ) throws {
        var phase = Date()
        func finished(_ name: String) {
            logger.info("\(name) done", metadata: ["seconds": "\(String(format: "%.2f", Date().timeIntervalSince(phase)))"])
            phase = Date()
        }
        for entity in Entity.allCases {
            guard try connection.query(StagingSQL.hasDuplicates(entity)).scalar == "t" else {
                try connection.query(StagingSQL.copyWithoutDuplicates(entity))
                continue
            }
            try connection.query(StagingSQL.deduplicate(entity))
            for row in try connection.query(StagingSQL.mergedRows(entity)).rows {
                summary.counts[entity, default: EntityCounts()].duplicates += 1
                summary.mergedRows.append("\(entity): \(location(row[0], row[1], files)) merged into \(location(row[2], row[3], files))")
            }
        }
        finished("deduplicate")
        try connection.setLocal(UpkeepSQL.standAsideSetting, to: "on")
        let privileged = try connection.query(UpkeepSQL.isBulkLoader).scalar == "t"
        if privileged { try connection.query(UpkeepSQL.catchUpStagedProfiles) }
        try check(on: connection, files: files, rejects: rejects, summary: &summary)
        try enforceThresholds(summary)
        finished("check references and credits")

        if !privileged {
            logger.warning("this database role cannot let the triggers stand aside (it needs superuser or BYPASSRLS): loading row by row through them")
        }
        for entity in Entity.allCases {
            let target = MergeTarget.target(for: entity)
            let existing = Int(try connection.query(target.countExisting).scalar ?? "") ?? 0
            if entity == .recordings {
                try connection.query(MergeTarget.collectRecordingJobs)
                try connection.query(MergeTarget.chargedLater)
            }
            let updated = Int(try connection.query(target.update).scalar ?? "") ?? 0
            let inserted = Int(try connection.query(target.insert).scalar ?? "") ?? 0
            var counts = summary.counts[entity, default: EntityCounts()]
            counts.updated += updated
            counts.inserted += inserted
            counts.unchanged += existing - updated
            summary.counts[entity] = counts
            if entity == .users && privileged {
                try connection.query(UpkeepSQL.usersCreated)
            }
            finished("merge \(entity)")
        }
        if privileged {
            try connection.query(UpkeepSQL.adjustStats)
            try connection.query(UpkeepSQL.bookCredits, ["import:\(runID)"])
            for statement in UpkeepSQL.balancesFollowUpkeep { try connection.query(statement) }
            try connection.query(UpkeepSQL.linkAccounts)
            finished("stats and credits upkeep")
        }
    }

    /// Reads, validates and COPYs every file into the staging tables `table(entity)`, and the emails of
    /// rejected user records into `rejectedUsers` (both SQL names, quoted where they need it).
    func stage(
        _ files: [InputFile], into table: (Entity) -> String, rejectedUsers: String, on connection: PostgresConnection,
        rejects: RejectFileWriter, summary: inout ImportSummary
    ) throws {
        var batches = [Entity: CopyTextWriter]()
        var sequence: Int64 = 0
        var rejectedEmails = CopyTextWriter()
        let started = Date()
        let totalBytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int) ?? 0) }
        var bytesBefore = 0
        for (fileIndex, file) in files.enumerated() {
            let source = try file.open(mapping: options.mapping, options: options.csv)
            var validator = RecordValidator(mapping: options.mapping?.applying(to: file.path), creditPolicy: options.credits)
            defer { bytesBefore += source.bytesRead }
            while let record = try source.next() {
                sequence += 1
                summary.counts[record.entity, default: EntityCounts()].read += 1
                switch validator.validate(record) {
                case .success(let valid):
                    batches[valid.entity, default: CopyTextWriter()].appendRow(
                        [String(sequence), String(fileIndex), String(valid.location.line)] + valid.values)
                    if batches[valid.entity]!.bytes.count >= Self.batchBytes {
                        try flush(valid.entity, &batches, into: table(valid.entity), on: connection)
                    }
                case .failure(let reject):
                    try note(reject, rejects: rejects, summary: &summary)
                    // (An email with a NUL byte cannot be staged, and no row can name it either.)
                    if record.entity == .users, let email = record[.email].map(EmailAddress.normalize), !email.isEmpty,
                       !email.utf8.contains(0) {
                        rejectedEmails.appendRow([email])
                    }
                }
                if sequence % 50_000 == 0 {
                    report(file: file.path, rows: sequence, bytes: bytesBefore + source.bytesRead, of: totalBytes, since: started)
                }
            }
        }
        for entity in Entity.allCases { try flush(entity, &batches, into: table(entity), on: connection) }
        if rejectedEmails.rows > 0 {
            try connection.query("CREATE TEMP TABLE rejected_users_raw (email text) ON COMMIT DROP")
            try connection.copyIn("COPY rejected_users_raw (email) FROM STDIN") { writer in
                try rejectedEmails.bytes.withUnsafeBytes { try writer.write($0) }
            }
            try connection.query("INSERT INTO \(rejectedUsers) SELECT DISTINCT email FROM rejected_users_raw ON CONFLICT DO NOTHING")
        }
        report(file: nil, rows: sequence, bytes: totalBytes, of: totalBytes, since: started)
    }

    private func flush(
        _ entity: Entity, _ batches: inout [Entity: CopyTextWriter], into table: String, on connection: PostgresConnection
    ) throws {
        guard let batch = batches[entity], batch.rows > 0 else { return }
        try connection.copyIn(StagingSQL.copy(into: table, entity)) { writer in
            try batch.bytes.withUnsafeBytes { try writer.write($0) }
        }
        batches[entity]?.removeAll()
    }

    /// The referential and credit checks, each rejecting rows set-based.
    func check(on connection: PostgresConnection, files: [InputFile], rejects: RejectFileWriter, summary: inout ImportSummary) throws {
        func reject(_ sql: String, _ entity: Entity, _ field: Field, _ reason: RejectReason) throws {
            for row in try connection.query(sql).rows {
                let file = Int(row[0] ?? "").map { files[$0].path } ?? "?"
                let location = SourceLocation(file: file, line: Int(row[1] ?? "") ?? 0)
                try note(Reject(location: location, entity: entity, field: field, value: row[2], reason: reason,
                                  message: row[3] ?? reason.rawValue), rejects: rejects, summary: &summary)
            }
        }
        for statement in CheckSQL.collectKnownRows { try connection.query(statement) }
        for entity in [Entity.jobRequests, .recordings, .resumes, .payments] {
            try reject(CheckSQL.unknownUser(entity), entity, .email, .unknownUser)
        }
        try reject(CheckSQL.unknownJobRequest, .recordings, .jobRequestExternalID, .unknownJobRequest)
        if options.credits == .charge {
            try reject(CheckSQL.insufficientCredits, .recordings, .creditCharged, .insufficientCredits)
        }
    }

    func note(_ reject: Reject, rejects: RejectFileWriter, summary: inout ImportSummary) throws {
        summary.counts[reject.entity, default: EntityCounts()].rejected += 1
        summary.rejectsByReason[reject.reason.rawValue, default: 0] += 1
        try rejects.write(reject)
    }

    private func enforceThresholds(_ summary: ImportSummary) throws {
        let rejected = summary.totalRejected
        let read = summary.totalRead
        if let maxErrors = options.maxErrors, rejected > maxErrors {
            throw LoadError.tooManyRejects(rejected: rejected, read: read, limit: "--max-errors \(maxErrors)")
        }
        if let rate = options.maxErrorRate, read > 0, Double(rejected) / Double(read) > rate {
            throw LoadError.tooManyRejects(rejected: rejected, read: read, limit: "--max-error-rate \(rate)")
        }
    }

    private func location(_ file: String?, _ line: String?, _ files: [InputFile]) -> String {
        let path = Int(file ?? "").map { files[$0].path } ?? "?"
        return "\(path):\(line ?? "?")"
    }

    /// Rows, MB/s, share done and time left, for the progress line.
    private func report(file: String?, rows: Int64, bytes: Int, of total: Int, since start: Date) {
        let seconds = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(bytes) / seconds
        let done = total > 0 ? Double(bytes) / Double(total) : 1
        let left = rate > 0 ? Double(total - bytes) / rate : 0
        let place = file.map { "reading \(($0 as NSString).lastPathComponent): " } ?? "read: "
        progress(place + String(format: "%lld rows, %.1f MB/s, %.0f%%, %@", rows, rate / 1_048_576, done * 100,
                                file == nil ? "validating and loading…" : String(format: "ETA %.0f s", left)))
    }
}
