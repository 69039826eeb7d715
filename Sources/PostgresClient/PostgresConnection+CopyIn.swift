internal import CLibPQ

/// Sends the data of a `COPY … FROM STDIN` in chunks of at least 64 KiB.
///
/// Lent by ``PostgresConnection/copyIn(_:_:)`` for the duration of its closure only.
public struct CopyInWriter: ~Copyable {
    /// The size at which buffered data is sent to the server.
    public static let chunkSize = 64 * 1024

    private let connection: PostgresConnection
    private var buffer: [UInt8] = []

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(Self.chunkSize * 2)
    }

    /// Appends bytes to the COPY stream.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try flush() }
    }

    /// Appends the UTF-8 bytes of `text` to the COPY stream.
    public mutating func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Sends everything buffered so far.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBytes { bytes in
            PQputCopyData(connection.handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        guard status == 1 else { throw connection.lastError() }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension PostgresConnection {
    /// Runs a `COPY … FROM STDIN` statement and lends a writer for its data to `body`.
    ///
    /// If `body` throws, the COPY is aborted (the server discards every row it received) and the
    /// caller's error is rethrown.
    ///
    /// - Parameters:
    ///   - statement: The `COPY table (columns) FROM STDIN …` statement (it takes no values).
    ///   - body: Writes the data in the format the statement names.
    /// - Returns: The number of rows the server copied.
    /// - Throws: The error of `body`, or ``PostgresError`` when the server rejects the data.
    @discardableResult
    public func copyIn(_ statement: SQLQuery, _ body: (inout CopyInWriter) throws -> Void) throws -> Int {
        guard let sql = statement.plainText else {
            throw PostgresError(code: .invalidParameter, message: "a COPY statement takes no parameters: \(statement)")
        }
        let start = PQexec(handle, sql)
        guard let start else { throw lastError() }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            defer { PQclear(start) }
            throw PQresultStatus(start) == PGRES_FATAL_ERROR
                ? error(from: start)
                : PostgresError(code: .protocolViolation, message: "the statement did not start a COPY FROM STDIN")
        }
        PQclear(start)

        var writer = CopyInWriter(connection: self)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(handle, "COPY aborted by crm-pipeline")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw lastError() }
        var copied = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle) {
            do { copied = try consume(result, query: statement.summary).affectedRows } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        return copied
    }

    /// Reads and discards every pending result, so that the connection is ready for the next statement.
    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}
