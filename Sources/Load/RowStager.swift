import CRMSchema
import Extract
import Foundation
import Logging
import PipelineCore
import PostgresClient
import Validate

/// Reads every file, validates each record, and COPYs the valid ones into the staging in 2 MiB batches per
/// entity (memory stays flat); rejected rows go to the reject file, the emails of rejected users into a
/// table of their own (their children are rejected by the checks).
struct RowStager {
    private static let batchBytes = 2 << 20

    let connection: PostgresConnection
    let options: ImportOptions
    let rejects: RejectFileWriter
    /// Receives the files' notes (a mapped optional column a file lacks), once per file.
    let logger: Logger
    /// Receives short progress lines (rows read, MB/s) while files are read.
    let progress: @Sendable (String) -> Void

    /// Stages `files` into `table(entity)` and the rejected users into `rejectedUsers`.
    ///
    /// - Returns: The rows read and rejected, per entity and reason.
    func stage(_ files: [InputFile], into table: (Entity) -> SQLName, rejectedUsers: SQLName) throws -> LoadTally {
        var tally = LoadTally()
        var batches = [Entity: CopyTextWriter]()
        var sequence: Int64 = 0
        var rejectedEmails = CopyTextWriter()
        let started = Date()
        let totalBytes = files.map(\.path).uniqued().reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        var bytesBefore = 0
        for (fileIndex, file) in files.enumerated() {
            let source = try file.open(mapping: options.mapping, options: options.csv)
            var validator = RecordValidator(mapping: options.mapping?.applying(to: file.innerName), creditPolicy: options.credits)
            defer { bytesBefore += source.bytesRead }
            defer { for note in source.notes { logger.notice("\(note)") } }
            while let record = try source.next() {
                sequence += 1
                tally.counts[record.entity, default: EntityCounts()].read += 1
                switch validator.validate(record) {
                case .success(let valid):
                    batches[valid.entity, default: CopyTextWriter()].appendRow(
                        [String(sequence), String(fileIndex), String(valid.location.line)] + valid.values)
                    if batches[valid.entity]!.bytes.count >= Self.batchBytes {
                        try flush(valid.entity, &batches, into: table(valid.entity))
                    }
                case .failure(let reject):
                    tally.count(reject)
                    try rejects.write(reject)
                    // (An email with a NUL byte cannot be staged, and no row can name it either.)
                    if record.entity == .users, let email = record[.email].map(EmailAddress.normalize), !email.isEmpty,
                       !email.utf8.contains(0) {
                        rejectedEmails.appendRow([email])
                    }
                }
                if sequence % 50_000 == 0 {
                    report(file: file.name, rows: sequence, bytes: bytesBefore + source.bytesRead, of: totalBytes, since: started)
                }
            }
        }
        for entity in Entity.allCases { try flush(entity, &batches, into: table(entity)) }
        if rejectedEmails.rows > 0 {
            let raw = SQLName("rejected_users_raw")
            try connection.query("CREATE TEMP TABLE \(raw) (email text) ON COMMIT DROP")
            try connection.copyIn("COPY \(raw) (email) FROM STDIN") { writer in
                try rejectedEmails.bytes.withUnsafeBytes { try writer.write($0) }
            }
            try connection.query("INSERT INTO \(rejectedUsers) SELECT DISTINCT email FROM \(raw) ON CONFLICT DO NOTHING")
        }
        report(file: nil, rows: sequence, bytes: totalBytes, of: totalBytes, since: started)
        return tally
    }

    private func flush(_ entity: Entity, _ batches: inout [Entity: CopyTextWriter], into table: SQLName) throws {
        guard let batch = batches[entity], batch.rows > 0 else { return }
        try connection.copyIn(StagingArea.copy(into: table, entity)) { writer in
            try batch.bytes.withUnsafeBytes { try writer.write($0) }
        }
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
