import Foundation
@testable import PostgresClient
import TestSupport
import Testing

@Suite("COPY FROM STDIN streamed without waiting (CopyInStream)")
struct CopyInStreamTests {
    /// `rows` lines `n,user<n>@example.com`, starting at `first`.
    static func rows(_ first: Int, _ count: Int) -> [UInt8] {
        Array((first..<first + count).map { "\($0),user\($0)@example.com\n" }.joined().utf8)
    }

    /// Writes `pieces` pieces of 5,000 rows, from row `first`.
    static func write(_ pieces: Range<Int>, to stream: CopyInStream) throws {
        for piece in pieces { try rows(piece * 5_000, 5_000).withUnsafeBytes { try stream.write($0) } }
    }

    /// A fresh database with a table `t (n int, email text)`, a connection to it (set up by `prepare`), and a CSV
    /// COPY into `t` streamed on that connection.
    static func withStream(
        queueLimit: Int = 8 << 20, prepare: (PostgresConnection) throws -> Void = { _ in },
        _ body: (TestDatabase, PostgresConnection, CopyInStream) throws -> Void
    ) throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int, email text)")
            try prepare(connection)
            let stream = try CopyInStream("COPY t (n, email) FROM STDIN (FORMAT csv)", on: connection, queueLimit: queueLimit)
            try body(database, connection, stream)
        }
    }

    @Test("megabytes written in pieces past the queue limit all arrive, and the connection runs statements afterwards")
    func manyPiecesPastTheLimit() throws {
        try Self.withStream(queueLimit: 64 << 10) { _, connection, stream in
            var written = 0
            for piece in 0..<100 {
                let bytes = Self.rows(piece * 5_000, 5_000)
                try bytes.withUnsafeBytes { try stream.write($0) }
                try stream.sendQueued()
                written += bytes.count
            }
            #expect(written > 10 << 20, "well past the 64 KiB queue limit")
            #expect(connection.isNonblocking, "queued, not waited for")
            #expect(try stream.finish() == 500_000)
            #expect(!connection.isNonblocking)
            let totals = try connection.query("SELECT count(*) AS row_count, count(DISTINCT n) AS distinct_n FROM t").singleRow()
            #expect(try totals.decode(Int.self, "row_count") == 500_000)
            #expect(try totals.decode(Int.self, "distinct_n") == 500_000)
        }
    }

    @Test("data the server refuses early in a long stream: finish reports the server's error with its SQLSTATE, nothing is kept")
    func refusedMidStream() throws {
        try Self.withStream(queueLimit: 64 << 10) { _, connection, stream in
            let bad = Array("not-a-number,x@example.com\n".utf8)
            try bad.withUnsafeBytes { try stream.write($0) }
            // The server has refused the COPY by now; what follows is read and dropped, not waited for forever.
            try Self.write(0..<40, to: stream)
            let error = try #require(throws: PostgresError.self) { try stream.finish() }
            #expect(error.sqlState == .invalidTextRepresentation)
            #expect(error.code == .server)
            #expect(!connection.isNonblocking)
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("a statement_timeout that ends the COPY between writes is what the stream reports (57014), not a protocol error")
    func cancelledBetweenWrites() throws {
        try Self.withStream(prepare: { try $0.query("SET statement_timeout = '200ms'") }) { _, connection, stream in
            try Self.rows(0, 1_000).withUnsafeBytes { try stream.write($0) }
            Thread.sleep(forTimeInterval: 0.6)
            let error = try #require(throws: PostgresError.self) {
                try Self.write(1..<20, to: stream)
                try stream.finish()
            }
            #expect(error.sqlState == SQLState(rawValue: "57014"), "\(error)")
            try connection.query("RESET statement_timeout")
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("aborted with megabytes queued: nothing is kept, and the connection runs statements afterwards")
    func abortedWithDataQueued() throws {
        try Self.withStream { _, connection, stream in
            try Self.write(0..<40, to: stream)
            stream.abort()
            stream.abort()
            #expect(!connection.isNonblocking)
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("the server's session ended mid-COPY (pg_terminate_backend): a lost connection, reported without hanging")
    func terminatedMidStream() throws {
        var pid = 0
        try Self.withStream(queueLimit: 64 << 10, prepare: { pid = try $0.query("SELECT pg_backend_pid() AS pid").scalar(Int.self) }) {
            database, _, stream in
            try Self.rows(0, 5_000).withUnsafeBytes { try stream.write($0) }
            #expect(try database.connect().query("SELECT pg_terminate_backend(\(bind: pid)) AS ended").scalar(Bool.self))
            let error = try #require(throws: PostgresError.self) {
                try Self.write(1..<40, to: stream)
                try stream.finish()
            }
            #expect(error.code == .connectionLost || error.sqlState == .adminShutdown, "\(error)")
            #expect(try database.connect().query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }
}
