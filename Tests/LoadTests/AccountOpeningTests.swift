import CRMSchema
import Foundation
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// AccountOpening on its own: a new user's profile, ledger and stats written once with their final values.
@Suite("Opening new users' accounts")
struct AccountOpeningTests {
    /// Inserts CRM users `emails` with the triggers aside, as the merges do, and records them as new with what
    /// the merges inserted for each (`payments`, `charged` recordings).
    static func newUsers(_ rows: StagedRows, _ users: [(email: String, payments: Int, charged: Int)]) throws {
        #expect(try Upkeep(connection: rows.connection).standAside())
        for user in users {
            try rows.connection.query("INSERT INTO \(SQLName.crmUsers) (email) VALUES (\(bind: user.email))")
            try rows.connection.query("INSERT INTO \(SQLName.newUsers) (email) VALUES (\(bind: user.email))")
            try rows.connection.query("""
                INSERT INTO \(SQLName.touched) (email, recordings, payments, charged)
                VALUES (\(bind: user.email), \(bind: user.charged), \(bind: user.payments), \(bind: user.charged))
                """)
        }
    }

    @Test("each new user gets profile, stats and ledger with the rule's balance, and leaves touched and new_users")
    func opens() throws {
        try TestDatabase.withFresh { database in
            let opened = try StagedRows.inTransaction(database) { rows in
                try Self.newUsers(rows, [("open1@example.com", 1, 2), ("open2@example.com", 0, 0)])
                let opened = try AccountOpening(connection: rows.connection).openNewAccounts(ref: "import:5")
                #expect(try rows.connection.query("SELECT count(*) AS n FROM \(SQLName.touched)").scalar(Int.self) == 0)
                #expect(try rows.connection.query("SELECT count(*) AS n FROM \(SQLName.newUsers)").scalar(Int.self) == 0)
                return .commit(opened)
            }
            #expect(opened == 2)
            let connection = try database.connect()
            for (email, payments, charged) in [("open1@example.com", 1, 2), ("open2@example.com", 0, 0)] {
                let balance = CreditRule.balance(payments: payments, chargedRecordings: charged)
                let row = try connection.query("""
                    SELECT p.credits AS profile, s.credits AS stats, s.total_recordings AS recordings,
                           (SELECT sum(delta)::integer FROM \(SQLName.creditLedger) l WHERE l.email = p.email) AS ledger
                    FROM \(SQLName.profiles) p JOIN \(SQLName.dashboardStats) s ON s.email = p.email WHERE p.email = \(bind: email)
                    """).singleRow()
                #expect(try row.decode(Int.self, "profile") == balance && row.decode(Int.self, "stats") == balance)
                #expect(try row.decode(Int.self, "ledger") == balance && row.decode(Int.self, "recordings") == charged)
            }
        }
    }

    @Test("opened profiles take time-ordered keys (UUID version 7) in place of random ones, and keep an app's own default")
    func orderedProfileKeys() throws {
        try TestDatabase.withFresh { database in
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            try Self.open(database, ["v7a@example.com", "v7b@example.com"], ref: "import:7")
            let after = Int64(Date().timeIntervalSince1970 * 1000)
            let connection = try database.connect()
            let keys = try connection.query("""
                SELECT substr(id::text, 15, 1) AS version, ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint AS millis
                FROM \(SQLName.profiles) ORDER BY email
                """).rows
            #expect(keys.count == 2)
            for key in keys {
                #expect(try key.decode(String.self, "version") == "7")
                #expect(try (before...after).contains(key.decode(Int64.self, "millis")))
            }
            try connection.query("ALTER TABLE \(SQLName.profiles) ALTER COLUMN id SET DEFAULT overlay(md5(random()::text) PLACING '4' FROM 13 FOR 1)::uuid")
            try Self.open(database, ["own@example.com"], ref: "import:8")
            #expect(try connection.query("""
                SELECT substr(id::text, 15, 1) AS version FROM \(SQLName.profiles) WHERE email = 'own@example.com'
                """).scalar(String.self) == "4")
        }
    }

    /// Opens the accounts of new users `emails` (no payments, no recordings) in a committed transaction.
    private static func open(_ database: TestDatabase, _ emails: [String], ref: String) throws {
        let opened = try StagedRows.inTransaction(database) { rows in
            try newUsers(rows, emails.map { ($0, 0, 0) })
            return .commit(try AccountOpening(connection: rows.connection).openNewAccounts(ref: ref))
        }
        #expect(opened == emails.count)
    }

    @Test("a new user charged more recordings than the rule gives is refused, and nothing is opened")
    func refusesOverdraft() throws {
        try TestDatabase.withFresh { database in
            let charged = CreditRule.openingCredits + 1
            let error = try #require(throws: PostgresError.self) {
                try StagedRows.inTransaction(database) { rows in
                    try Self.newUsers(rows, [("over@example.com", 0, charged)])
                    return .commit(try AccountOpening(connection: rows.connection).openNewAccounts(ref: "import:6"))
                }
            }
            #expect(error.sqlState == .checkViolation, "\(error)")
            #expect(try database.connect().query("SELECT count(*) AS n FROM \(SQLName.profiles)").scalar(Int.self) == 0)
        }
    }
}
