import PostgresClient
import TestSupport
import Testing

@Suite("Transactions and advisory locks")
struct TransactionTests {
    struct Abort: Error {}

    @Test("a transaction commits what its closure did")
    func commits() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            let returned = try connection.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1), (2)")
                return "done"
            }
            #expect(returned == "done")
            #expect(try database.connect().query("SELECT count(*) FROM t").scalar == "2")
        }
    }

    @Test("a throwing closure rolls back and its error comes out")
    func rollsBack() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            try connection.query("CREATE TABLE t (n int)")
            #expect(throws: Abort.self) {
                try connection.transaction { connection in
                    try connection.query("INSERT INTO t VALUES (1)")
                    throw Abort()
                }
            }
            #expect(try connection.query("SELECT count(*) FROM t").scalar == "0")
            #expect(try connection.query("SELECT current_setting('transaction_isolation') IS NOT NULL").scalar == "t")
        }
    }

    @Test("setLocal lasts until the end of the transaction only")
    func setLocal() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let connection = try database.connect()
            let inside = try connection.transaction { connection in
                try connection.setLocal("crm.bulk_load", to: "on")
                return try connection.query("SELECT current_setting('crm.bulk_load', true)").scalar
            }
            #expect(inside == "on")
            #expect(try connection.query("SELECT current_setting('crm.bulk_load', true)").scalar == "")
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
