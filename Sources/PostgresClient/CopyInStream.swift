internal import CLibPQ
import Glibc

/// A `COPY … FROM STDIN` whose data is queued rather than waited for: ``write(_:)`` hands the bytes to libpq in
/// its non-blocking mode and sends what the socket takes, so that the caller makes its next rows while the server
/// stores the last ones. It waits for the server only while more than `queueLimit` bytes are queued, and in
/// ``finish()``. (Written in blocking mode, a 2 MiB batch returned only once the server had read nearly all of
/// it: 1.2–1.6 s of a 979k-row staging was the client waiting.)
///
/// Over SSL or GSSAPI encryption the writes block as before: libpq (≤ 16 at least) may retry a pending encrypted
/// write with fewer bytes in non-blocking mode, which OpenSSL refuses ("SSL error: bad length", pgcopydb #885).
///
/// The connection runs no other statement until ``finish()`` or ``abort()``. An error the server raises
/// mid-COPY (data it refuses, a cancelled statement) is reported by ``finish()``, with its SQLSTATE.
public final class CopyInStream {
    private let connection: PostgresConnection
    private let statement: SQLQuery
    private let queueLimit: Int
    /// Bytes handed to libpq since it last had nothing left to send.
    private var queued = 0
    private var isOpen = true

    /// Starts `statement`, a `COPY table (columns) FROM STDIN …` that takes no values.
    ///
    /// - Throws: ``PostgresError`` when the server refuses the statement (no such table, no privilege).
    public init(_ statement: SQLQuery, on connection: PostgresConnection, queueLimit: Int = 8 << 20) throws {
        guard let sql = statement.plainText else {
            throw PostgresError(code: .invalidParameter, message: "a COPY statement takes no parameters: \(statement)")
        }
        (self.connection, self.statement, self.queueLimit) = (connection, statement, queueLimit)
        let start = PQexec(connection.handle, sql)
        guard let start else { throw connection.lastError() }
        defer { PQclear(start) }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            isOpen = false
            throw PQresultStatus(start) == PGRES_FATAL_ERROR
                ? connection.error(from: start)
                : PostgresError(code: .protocolViolation, message: "the statement did not start a COPY FROM STDIN")
        }
        let encrypted = PQsslInUse(connection.handle) == 1 || PQgssEncInUse(connection.handle) == 1
        guard encrypted || PQsetnonblocking(connection.handle, 1) == 0 else { throw failed(connection.lastError()) }
    }

    /// Queues `bytes` of the COPY's data and sends what the socket takes now.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(isOpen, "a COPY written after it ended")
        guard !bytes.isEmpty else { return }
        do {
            var status = put(bytes)
            if status == 0 {
                // libpq could not grow its buffer: what it holds is sent first.
                try send(all: true)
                status = put(bytes)
            }
            guard status == 1 else { throw connection.lastError() }
            queued += bytes.count
            try send(all: queued > queueLimit)
        } catch {
            throw failed(error)
        }
    }

    /// Sends what the socket takes of the queued data, without waiting: called between writes, it keeps the
    /// server fed while the caller works.
    public func sendQueued() throws {
        guard isOpen, queued > 0 else { return }
        do { try send(all: false) } catch { throw failed(error) }
    }

    /// Sends the rest, ends the COPY and waits for the server. Returns the rows it copied.
    ///
    /// - Throws: ``PostgresError``: the server's error when it refused the data or the statement was cancelled.
    @discardableResult
    public func finish() throws -> Int {
        precondition(isOpen, "a COPY finished twice")
        do { try send(all: true) } catch { throw failed(error) }
        let (copied, failure) = end(failing: false)
        if let failure { throw failure }
        return copied
    }

    /// Ends the COPY, if it is still open, as failed: the server keeps none of its rows.
    public func abort() {
        guard isOpen else { return }
        _ = end(failing: true)
    }

    /// Why this client fails a COPY; the server's error for it ends with these words (an echo, not a cause).
    private static let abortMessage = "COPY aborted by crm-pipeline"

    /// Ends the COPY after `error`, and returns what the caller should see: the server's own error if it sent one
    /// (it refused the data, the statement was cancelled), else `error`.
    private func failed(_ error: any Error) -> any Error {
        end(failing: true).failure ?? error
    }

    /// Ends the COPY (as failed, or not), reads every result (libpq sends what is queued and waits, in either mode),
    /// and leaves the connection blocking, with nothing queued. Returns the rows copied and the first error.
    private func end(failing: Bool) -> (copied: Int, failure: (any Error)?) {
        isOpen = false
        let ended = PQputCopyEnd(connection.handle, failing ? Self.abortMessage : nil) == 1
        var copied = 0
        var failure: (any Error)?
        while let result = PQgetResult(connection.handle) {
            do {
                copied = try connection.consume(result, query: statement.summary).affectedRows
            } catch let error as PostgresError where failing && error.message.hasSuffix(Self.abortMessage) {
                continue
            } catch {
                failure = failure ?? error
            }
        }
        if !ended && failure == nil { failure = connection.lastError() }
        _ = PQsetnonblocking(connection.handle, 0)
        return (copied, failure)
    }

    private func put(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        PQputCopyData(connection.handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
    }

    /// Sends queued data: what the socket takes now, or with `all`, everything, waiting for the socket.
    private func send(all: Bool) throws {
        while true {
            switch PQflush(connection.handle) {
            case 0:
                queued = 0
                return
            case 1 where !all:
                return
            case 1:
                var socket = pollfd(fd: PQsocket(connection.handle), events: Int16(POLLOUT | POLLIN), revents: 0)
                guard socket.fd >= 0 else { throw connection.lastError() }
                guard poll(&socket, 1, -1) >= 0 || errno == EINTR else { throw connection.lastError() }
                // The server may answer mid-COPY (an error, a notice): reading it lets it go on reading.
                if socket.revents & Int16(POLLIN) != 0 && PQconsumeInput(connection.handle) != 1 { throw connection.lastError() }
            default:
                throw connection.lastError()
            }
        }
    }
}

extension PostgresConnection {
    /// Whether libpq is in non-blocking mode (a ``CopyInStream`` is open on a connection without encryption).
    var isNonblocking: Bool { PQisnonblocking(handle) == 1 }
}
