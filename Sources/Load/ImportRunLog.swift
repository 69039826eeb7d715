import Extract
import Foundation
import PipelineCore
import PostgresClient

/// The run's row in `crm_private.crm_import_runs`, written on its own connection and in its own transactions, so
/// that it survives when the import's transaction rolls back or its connection dies.
final class ImportRunLog {
    private let url: String?
    private var connection: PostgresConnection
    let id: Int64

    /// How long `finish` keeps trying to reconnect when the server went away (a restart takes seconds).
    static let reconnectAttempts = 15

    init(url: String?, mode: ImportOptions.Mode) throws {
        self.url = url
        connection = try Self.connect(url)
        let id = try connection.query(
            "INSERT INTO crm_private.crm_import_runs (mode) VALUES ($1) RETURNING id", [mode.rawValue]).scalar
        self.id = Int64(id ?? "") ?? 0
    }

    /// Marks runs still `running` as failed: called by the run that holds the lock, so any other
    /// `running` row belongs to an importer that died (killed, crashed, lost its machine).
    func closeInterruptedRuns() throws {
        try connection.query("""
            UPDATE crm_private.crm_import_runs SET status = 'failed', finished_at = coalesce(finished_at, now()),
                error = 'interrupted: the importer stopped before it finished (killed or crashed); nothing of it was committed'
                    || CASE WHEN mode = 'backfill' THEN ' but the chunks it had committed' ELSE '' END
            WHERE status = 'running' AND id <> $1
            """, [id])
    }

    /// The sha256 values among `hashes` that a successful run already imported.
    func alreadyImported(_ hashes: [String]) throws -> Set<String> {
        let rows = try connection.query("""
            SELECT DISTINCT f.sha256 FROM crm_private.crm_import_files f JOIN crm_private.crm_import_runs r ON r.id = f.run_id
            WHERE r.status = 'succeeded' AND NOT f.skipped AND f.sha256 = ANY ($1::text[])
            """, ["{" + hashes.joined(separator: ",") + "}"]).rows
        return Set(rows.compactMap { $0.first ?? nil })
    }

    /// Records the outcome: status, counts, rejects by reason, the files, and the error if any.
    func finish(status: String, summary: ImportSummary, files: [(path: String, sha256: String, bytes: Int, skipped: Bool)], error: String?) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let counts = Dictionary(uniqueKeysWithValues: summary.counts.map { ($0.key.name, $0.value) })
        let countsJSON = String(decoding: try encoder.encode(counts), as: UTF8.self)
        let rejectsJSON = String(decoding: try encoder.encode(summary.rejectsByReason), as: UTF8.self)
        try withReconnect { connection in
            try connection.transaction { connection in
                try connection.query("""
                    UPDATE crm_private.crm_import_runs SET status = $2, finished_at = now(), counts = $3::jsonb, rejects = $4::jsonb, error = $5
                    WHERE id = $1
                    """, [id, status, countsJSON, rejectsJSON, error])
                for file in files {
                    try connection.query("""
                        INSERT INTO crm_private.crm_import_files (run_id, path, sha256, bytes, skipped) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT DO NOTHING
                        """, [id, file.path, file.sha256, file.bytes, file.skipped])
                }
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
