import Foundation
import Logging
import PostgresClient
import TestSupport
import Testing

@Suite("Savepoints, server notices and SQLSTATEs")
struct SavepointAndNoticeTests {
    struct Undo: Error {}

    @Test("withSavepoint keeps the body's work when it returns, undoes only it when it throws, and nests")
    func savepoints() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let count = try connection.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
                try connection.withSavepoint { try connection.query("INSERT INTO t VALUES (2)") }
                #expect(throws: Undo.self) {
                    try connection.withSavepoint {
                        try connection.query("INSERT INTO t VALUES (3)")
                        try connection.withSavepoint { try connection.query("INSERT INTO t VALUES (4)") }
                        throw Undo()
                    }
                }
                // A failed statement inside the savepoint leaves the transaction usable.
                let error = try #require(throws: PostgresError.self) {
                    try connection.withSavepoint { try connection.query("INSERT INTO t VALUES (1 / 0)") }
                }
                #expect(error.sqlState == .divisionByZero)
                return .commit(try connection.query("SELECT count(*) AS n FROM t").scalar(Int.self))
            }
            #expect(count == 2)
        }
    }

    @Test("withSavepoint outside a transaction is refused")
    func savepointNeedsTransaction() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let error = try #require(throws: PostgresError.self) { try database.connect().withSavepoint {} }
            #expect(error.code == .protocolViolation)
        }
    }

    @Test("the server's notices and warnings reach the connection's logger at their level, with their SQLSTATE")
    func notices() throws {
        let captured = CapturedLog()
        let logger = Logger(label: "test") { _ in captured }
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try PostgresConnection(url: database.url, logger: logger)
            try connection.query("DO $$ BEGIN RAISE WARNING 'disk nearly full' USING ERRCODE = '01000'; RAISE NOTICE 'just so you know'; RAISE INFO 'as asked'; END $$")
        }
        let entries = captured.entries
        #expect(entries.contains { $0.level == .warning && $0.message == "disk nearly full" && $0.metadata["sqlstate"] == "01000" })
        #expect(entries.contains { $0.level == .notice && $0.message == "just so you know" })
        #expect(entries.contains { $0.level == .info && $0.message == "as asked" })
    }

    @Test("a connection error is recognized by its SQLSTATE class, a statement error is not")
    func sqlStateClasses() {
        #expect(PostgresError(code: .server, sqlState: SQLState(rawValue: "08006"), message: "x").isConnectionProblem)
        #expect(PostgresError(code: .server, sqlState: .adminShutdown, message: "x").isConnectionProblem)
        #expect(!PostgresError(code: .server, sqlState: .uniqueViolation, message: "x").isConnectionProblem)
    }
}

/// A log handler that keeps what it is given.
final class CapturedLog: LogHandler, @unchecked Sendable {
    struct Entry {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lock = NSLock()
    private var kept: [Entry] = []
    var entries: [Entry] { lock.withLock { kept } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let entry = Entry(level: event.level, message: event.message.description, metadata: (event.metadata ?? [:]).mapValues(\.description))
        lock.withLock { kept.append(entry) }
    }
}
