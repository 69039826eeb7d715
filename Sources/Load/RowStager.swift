import CRMSchema
import Extract
import Foundation
import Logging
import PipelineCore
import PostgresClient
import Validate

/// Reads every file, validates the records on worker threads (``RecordBatch``: the reading, the validation
/// and the loading overlap, on every core) and COPYs the valid ones into the staging in 2 MiB batches per
/// entity, in the order read, through one COPY while the entity stays the same (``StagingStream``; memory stays
/// flat); rejected rows go to the reject file in that order too, the emails of rejected users into a table of their
/// own (their children are rejected by the checks).
struct RowStager {
    private static let batchBytes = 2 << 20
    /// Record batches validated at once beyond the one being read: enough to keep every core busy.
    private static let batchesInFlight = 4

    let connection: PostgresConnection
    let options: ImportOptions
    let rejects: RejectFileWriter
    /// Receives the files' notes (a mapped optional column a file lacks), once per file.
    let logger: Logger
    /// Receives short progress lines (rows read, MB/s) while files are read.
    let progress: @Sendable (String) -> Void

    /// Stages `files` into `table(entity)` and the rejected users into `rejectedUsers`.
    ///
    /// - Returns: The rows read and rejected, per entity and reason, and the entities whose staged rows have
    ///   distinct keys for sure (``StagedKeys``).
    func stage(_ files: [InputFile], into table: (Entity) -> SQLName, rejectedUsers: SQLName) throws
        -> (tally: LoadTally, provenDistinct: Set<Entity>) {
        var tally = LoadTally()
        var keys = StagedKeys()
        var batches = [Entity: CopyBinaryWriter]()
        var sequence: Int64 = 0
        var rejectedEmails = CopyTextWriter()
        let started = Date()
        let totalBytes = files.map(\.path).uniqued().reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        var bytesBefore = 0
        var work = OrderedResults<RecordBatch.Validated>(window: Self.batchesInFlight)
        var stream = try StagingStream(connection: connection)
        // When reading or loading fails, the workers still running are waited for, and the open COPY is aborted.
        defer {
            while work.next() != nil {}
            stream.abort()
        }
        func take(_ validated: RecordBatch.Validated) throws {
            tally.extraAddresses += validated.extraAddresses
            keys.add(validated.keyHashes)
            for (entity, count) in validated.read { tally.counts[entity, default: EntityCounts()].read += count }
            for (reject, rejectedUser) in validated.rejects {
                tally.count(reject)
                try rejects.write(reject)
                if let rejectedUser { rejectedEmails.appendRow([rejectedUser]) }
                // A users row whose email is no valid address names no stored user for sure.
                if reject.entity == .users && !(rejectedUser.map(EmailAddress.isValid) ?? false) { tally.unnamedUserRows += 1 }
            }
            // The entity whose COPY is open takes its rows at once; another's wait for 2 MiB before they take the COPY over.
            // (The open entity has nothing gathered: its rows were sent when its COPY opened.)
            for (entity, rows) in validated.rows {
                if stream.entity == entity {
                    try stream.send(rows, of: entity, into: table(entity))
                    continue
                }
                batches[entity, default: CopyBinaryWriter()].append(rows)
                if batches[entity]!.bytes.count >= Self.batchBytes { try flush(entity, &batches, into: table(entity), through: &stream) }
            }
            try stream.sendQueued()
        }
        let (credits, now) = (options.credits, Date())
        for (fileIndex, file) in files.enumerated() {
            let source = try file.open(mapping: options.mapping, options: options.csv)
            let mapping = options.mapping?.applying(to: file.innerName)
            defer { bytesBefore += source.bytesRead }
            defer { for note in source.notes { logger.notice("\(note)") } }
            var batch = RecordBatch(fileIndex: fileIndex, firstSequence: sequence + 1)
            func send() throws {
                let full = batch
                batch = RecordBatch(fileIndex: fileIndex, firstSequence: sequence + 1)
                if let done = work.submit({ full.validated(mapping: mapping, creditPolicy: credits, now: now) }) { try take(done) }
            }
            while let record = try source.next() {
                sequence += 1
                batch.records.append(record)
                if batch.records.count == RecordBatch.size { try send() }
                if sequence % 50_000 == 0 {
                    report(file: file.name, rows: sequence, bytes: bytesBefore + source.bytesRead, of: totalBytes, since: started)
                }
            }
            if !batch.records.isEmpty { try send() }
        }
        while let done = work.next() { try take(done) }
        for entity in Entity.allCases { try flush(entity, &batches, into: table(entity), through: &stream) }
        try stream.finish()
        if rejectedEmails.rows > 0 {
            let raw = SQLName.rejectedUsersRaw
            try connection.query("CREATE TEMP TABLE \(raw) (email text) ON COMMIT DROP")
            try connection.copyIn("COPY \(raw) (email) FROM STDIN") { writer in
                try rejectedEmails.bytes.withUnsafeBytes { try writer.write($0) }
            }
            try connection.query("INSERT INTO \(rejectedUsers) SELECT DISTINCT email FROM \(raw) ON CONFLICT DO NOTHING")
        }
        report(file: nil, rows: sequence, bytes: totalBytes, of: totalBytes, since: started)
        if tally.extraAddresses > 0 {
            logger.notice("email cells held several addresses: each row kept its first valid one",
                          metadata: ["addresses left out": "\(tally.extraAddresses)"])
        }
        return (tally, keys.provenDistinct())
    }

    private func flush(
        _ entity: Entity, _ batches: inout [Entity: CopyBinaryWriter], into table: SQLName, through stream: inout StagingStream
    ) throws {
        guard let batch = batches[entity], batch.rows > 0 else { return }
        try stream.send(batch, of: entity, into: table)
        batches[entity]?.removeAll()
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
