import PipelineCore
import PostgresClient

/// The staging's COPY, kept open while batches of one entity follow each other (a CSV file's rows) and fed
/// without waiting (``CopyInStream``), so that the client reads and validates the next batch while the server
/// stores the last one. A COPY per 2 MiB batch, each waited for, kept the client waiting 1.2–1.6 s of a
/// 979k-row staging (2.9–3.4 s; 2.0–3.2 s streamed). A batch of another entity ends the COPY and starts the next.
///
/// Under a `statement_timeout`, which counts the time a COPY waits for its data too, each batch is a COPY of its
/// own again, ended before the reading goes on: no COPY then waits for a slow input (a pipe, a network mount).
struct StagingStream {
    let connection: PostgresConnection
    /// Whether a COPY stays open between batches (the session has no `statement_timeout`).
    private let keepsOpen: Bool
    private var open: (entity: Entity, copy: CopyInStream)?

    /// The entity whose COPY is open between batches.
    var entity: Entity? { open?.entity }

    init(connection: PostgresConnection) throws {
        self.connection = connection
        keepsOpen = try connection.query("""
            SELECT setting::bigint = 0 AS unlimited FROM pg_settings WHERE name = 'statement_timeout'
            """).scalar(Bool.self)
    }

    /// Sends `batch`, rows of `entity`, into `table`.
    mutating func send(_ batch: CopyBinaryWriter, of entity: Entity, into table: SQLName) throws {
        if let current = open, current.entity != entity { try finish() }
        if open == nil {
            let copy = try CopyInStream(StagingArea.copy(into: table, entity), on: connection)
            open = (entity, copy)
            try CopyBinaryWriter.header.withUnsafeBytes { try copy.write($0) }
        }
        guard let copy = open?.copy else { return }
        try batch.bytes.withUnsafeBytes { try copy.write($0) }
        if !keepsOpen { try finish() }
    }

    /// Sends what the socket takes of the rows sent so far, without waiting for the server.
    func sendQueued() throws {
        try open?.copy.sendQueued()
    }

    /// Ends the open COPY, if any, once the server has stored its rows.
    mutating func finish() throws {
        guard let copy = open?.copy else { return }
        open = nil
        try CopyBinaryWriter.trailer.withUnsafeBytes { try copy.write($0) }
        try copy.finish()
    }

    /// Aborts the open COPY, if any (the reading or the sending failed): the server keeps none of its rows.
    mutating func abort() {
        open?.copy.abort()
        open = nil
    }
}
