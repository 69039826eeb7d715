import CRMSchema
import Dispatch
import Extract
import Foundation
import PipelineCore
import PostgresClient
import Synchronization

/// An input file of a run, as recorded: its path, fingerprint, and whether it was skipped.
struct RecordedFile: Sendable {
    let path: String
    let sha256: String
    let bytes: Int
    var skipped = false

    /// The files at `paths`, fingerprinted on every core at once (hashing a large export is a visible part
    /// of its import), in the order given.
    static func fingerprinting(_ paths: [String]) throws -> [RecordedFile] {
        let results = Mutex([Result<RecordedFile, any Error>?](repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let result = Result { () throws -> RecordedFile in
                let (sha256, bytes) = try fingerprint(of: paths[index])
                return RecordedFile(path: paths[index], sha256: sha256, bytes: bytes)
            }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}

/// The run's row in `crm_import_runs`, written on its own connection and in its own transactions, so
/// that it survives when the import's transaction rolls back or its connection dies.
final class RunRecord {
    private let url: String?
    private var connection: PostgresConnection
    let id: Int64

    /// How long `finish` keeps trying to reconnect when the server went away (a restart takes seconds).
    static let reconnectAttempts = 15

    /// Opens the run's record (`running`).
    init(url: String?, mode: ImportOptions.Mode) throws {
        self.url = url
        connection = try Self.connect(url)
        id = try connection.query("""
            INSERT INTO \(SQLName.importRuns) (mode, status) VALUES (\(bind: mode.rawValue), \(bind: RunStatus.running.rawValue))
            RETURNING id
            """).scalar(Int64.self)
    }

    /// Marks runs still `running` as failed: called by the run that holds the lock, so any other
    /// `running` row belongs to an importer that died (killed, crashed, lost its machine).
    func closeInterruptedRuns() throws {
        try connection.query("""
            UPDATE \(SQLName.importRuns) SET status = \(bind: RunStatus.failed.rawValue), finished_at = coalesce(finished_at, now()),
                error = 'interrupted: the importer stopped before it finished (killed or crashed); nothing of it was committed'
                    || CASE WHEN mode = 'backfill' THEN ' but the chunks it had committed' ELSE '' END
            WHERE status = \(bind: RunStatus.running.rawValue) AND id <> \(bind: id)
            """)
    }

    /// The sha256 values among `hashes` that a successful run already imported.
    func alreadyImported(_ hashes: [String]) throws -> Set<String> {
        let rows = try connection.query("""
            SELECT DISTINCT f.sha256 FROM \(SQLName.importFiles) f JOIN \(SQLName.importRuns) r ON r.id = f.run_id
            WHERE r.status = \(bind: RunStatus.succeeded.rawValue) AND NOT f.skipped
              AND f.sha256 = ANY (\(bind: hashes)::text[])
            """).rows
        return Set(try rows.map { try $0.decode(String.self, "sha256") })
    }

    /// Records the outcome: status, counts, rejects by reason, the files, and the error if any.
    func finish(status: RunStatus, summary: ImportSummary, files: [RecordedFile], error: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let counts = Dictionary(uniqueKeysWithValues: summary.counts.map { ($0.key.name, $0.value) })
        let countsJSON = String(decoding: try encoder.encode(counts), as: UTF8.self)
        let rejectsJSON = String(decoding: try encoder.encode(summary.rejectsByReason), as: UTF8.self)
        try withReconnect { connection in
            try connection.transaction { connection in
                try connection.query("""
                    UPDATE \(SQLName.importRuns) SET status = \(bind: status.rawValue), finished_at = now(),
                        counts = \(bind: countsJSON)::jsonb, rejects = \(bind: rejectsJSON)::jsonb, error = \(bind: error),
                        strategy = \(bind: summary.strategy.isEmpty ? nil : summary.strategy)
                    WHERE id = \(bind: id)
                    """)
                for file in files {
                    try connection.query("""
                        INSERT INTO \(SQLName.importFiles) (run_id, path, sha256, bytes, skipped)
                        VALUES (\(bind: id), \(bind: file.path), \(bind: file.sha256), \(bind: file.bytes), \(bind: file.skipped))
                        ON CONFLICT DO NOTHING
                        """)
                }
                return .commit(())
            }
        }
    }

    private static func connect(_ url: String?) throws -> PostgresConnection {
        try PostgresConnection(url: url, applicationName: "crm-pipeline import log")
    }

    /// Runs `body`, and when the server went away (restarted, or this backend was terminated), runs it
    /// again on a new connection, once a second for up to ``reconnectAttempts`` seconds: the outcome of a
    /// run is worth waiting a little for.
    private func withReconnect(_ body: (PostgresConnection) throws -> Void) throws {
        var attempt = 0
        while true {
            do {
                return try body(connection)
            } catch let error as PostgresError where error.isConnectionProblem && attempt < Self.reconnectAttempts {
                attempt += 1
                sleep(1)
                if let fresh = try? Self.connect(url) {
                    connection = fresh
                }
            }
        }
    }
}

/// The SHA-256 and size of a file, read in 1 MiB blocks.
func fingerprint(of path: String) throws -> (sha256: String, bytes: Int) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw ExtractError.unreadable(file: path, reason: "cannot open it to compute its sha256")
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    var bytes = 0
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
        data.withUnsafeBytes { hasher.update($0) }
        bytes += data.count
    }
    return (hasher.finalize(), bytes)
}
