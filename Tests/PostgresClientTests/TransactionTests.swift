import PostgresClient
import TestSupport
import Testing

@Suite("Transactions and advisory locks")
struct TransactionTests {
    struct Abort: Error {}

    @Test("a transaction whose body ends in .commit keeps its work and returns the body's value")
    func commits() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let returned = try connection.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1), (2)")
                return .commit("done")
            }
            #expect(returned == "done")
            #expect(try database.connect().query("SELECT count(*) AS n FROM t").scalar(Int.self) == 2)
        }
    }

    @Test("a body that ends in .rollback undoes its work and still returns its value (a dry run)")
    func rollbackEnd() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let seen = try connection.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1), (2), (3)")
                return .rollback(try connection.query("SELECT count(*) FROM t").scalar(Int.self))
            }
            #expect(seen == 3)
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("a throwing body rolls back and its error comes out; the connection is usable afterwards")
    func rollsBack() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            #expect(throws: Abort.self) {
                try connection.transaction { connection -> TransactionEnd<Void> in
                    try connection.query("INSERT INTO t VALUES (1)")
                    throw Abort()
                }
            }
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
            // A new transaction can begin: the failed one was closed.
            try connection.transaction { _ in .commit(()) }
        }
    }

    @Test("a transaction inside a transaction is refused, and the outer one goes on")
    func nestingRefused() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            try connection.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
                let error = #expect(throws: PostgresError.self) {
                    try connection.transaction { _ in .commit(()) }
                }
                #expect(error?.code == .nestedTransaction)
                try connection.query("INSERT INTO t VALUES (2)")
                return .commit(())
            }
            #expect(try connection.query("SELECT count(*) FROM t").scalar(Int.self) == 2)
        }
    }

    @Test("isolation and read-only reach the server", arguments: [
        (IsolationLevel.readCommitted, false, "read committed"),
        (.repeatableRead, true, "repeatable read"),
        (.serializable, false, "serializable"),
    ])
    func isolation(level: IsolationLevel, readOnly: Bool, expected: String) throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let (isolation, readOnlySetting) = try connection.transaction(isolation: level, readOnly: readOnly) { connection in
                let row = try connection.query(
                    "SELECT current_setting('transaction_isolation') AS isolation, current_setting('transaction_read_only') AS ro"
                ).rows[0]
                return .commit((try row.decode(String.self, "isolation"), try row.decode(String.self, "ro")))
            }
            #expect(isolation == expected)
            #expect(readOnlySetting == (readOnly ? "on" : "off"))
        }
    }

    @Test("a read-only transaction refuses writes")
    func readOnlyRefusesWrites() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction(readOnly: true) { connection in
                    try connection.query("INSERT INTO t VALUES (1)")
                    return .commit(())
                }
            }
            #expect(error?.sqlState == .readOnlySQLTransaction)
        }
    }

    @Test("setLocal lasts until the end of the transaction only")
    func setLocal() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let inside = try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                return .commit(try connection.query("SELECT current_setting('crm.bulk_load', true)").scalar(String.self))
            }
            #expect(inside == "on")
            #expect(try connection.query("SELECT current_setting('crm.bulk_load', true)").scalar(String.self) == "")
        }
    }

    @Test("an advisory lock excludes a second session until released")
    func advisoryLock() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let first = try database.connect()
            let second = try database.connect()
            let ranWhileHeld = try first.withAdvisoryLock(42) {
                try second.withAdvisoryLock(42) { true }
            }
            #expect(ranWhileHeld == .some(nil))
            #expect(try second.withAdvisoryLock(42) { true } == true)
        }
    }
}
