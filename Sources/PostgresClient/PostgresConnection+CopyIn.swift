/// Sends the data of a `COPY … FROM STDIN` in chunks of at least 64 KiB.
///
/// Lent by ``PostgresConnection/copyIn(_:_:)`` for the duration of its closure only.
public struct CopyInWriter: ~Copyable {
    /// The size at which buffered data is sent to the server.
    public static let chunkSize = 64 * 1024

    private let stream: CopyInStream
    private var buffer: [UInt8] = []

    init(stream: CopyInStream) {
        self.stream = stream
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
        try buffer.withUnsafeBytes { try stream.write($0) }
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
        let stream = try CopyInStream(statement, on: self)
        var writer = CopyInWriter(stream: stream)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            stream.abort()
            throw error
        }
        return try stream.finish()
    }
}
