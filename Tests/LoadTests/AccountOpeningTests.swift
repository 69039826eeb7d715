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
    /// Stages CRM users `emails` with the time-ordered profile keys the client makes, inserts them with the triggers
    /// aside, as the merges do, and records them as new with what the merges inserted for each (`payments`, `charged`
    /// recordings).
    static func newUsers(_ rows: inout StagedRows, _ users: [(email: String, payments: Int, charged: Int)]) throws {
        #expect(try Upkeep(connection: rows.connection).standAside())
        var ids = RandomUUIDs()
        for (line, user) in users.enumerated() {
            let key = ids.nextTimeOrdered()
            let hex = String(format: "%016llx%016llx", key.high, key.low)
            try rows.stage(.users, line: line + 2, ["email": user.email, "profile_id": hex])
        }
        _ = try rows.deduplicate()
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
                try Self.newUsers(&rows, [("open1@example.com", 1, 2), ("open2@example.com", 0, 0)])
                let opened = try AccountOpening(connection: rows.connection).openNewAccounts(ref: "import:5")
                // The keys are the ones staged with each user: its profile's, and one per movement of its ledger.
                let keyed = try rows.connection.query("""
                    SELECT (SELECT count(*) FROM \(SQLName.profiles) p JOIN \(SQLName.deduplicated(.users)) d ON d.profile_id = p.id) AS profiles,
                           (SELECT count(*) FROM \(SQLName.creditLedger) l JOIN \(SQLName.deduplicated(.users)) d ON d.email = l.email
                            AND l.id = CASE l.reason WHEN 'initial' THEN d.ledger_initial_id WHEN 'payment' THEN d.ledger_payment_id
                                                     ELSE d.ledger_recording_id END) AS ledger
                    """).singleRow()
                #expect(try keyed.decode(Int.self, "profiles") == 2 && keyed.decode(Int.self, "ledger") == 4)
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
            let connection = try database.connect()
            // The client's clock (which makes them), in the keys' milliseconds.
            func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
            func keys(_ emails: [String]) throws -> [(version: String, millis: Int64)] {
                try connection.query("""
                    SELECT substr(id::text, 15, 1) AS version, ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint AS millis
                    FROM \(SQLName.profiles) WHERE email = ANY(\(bind: emails)::text[]) ORDER BY email
                    """).rows.map { (try $0.decode(String.self, "version"), try $0.decode(Int64.self, "millis")) }
            }
            let before = now()
            try Self.open(database, ["v7a@example.com", "v7b@example.com"], ref: "import:7")
            let after = now()
            let ordered = try keys(["v7a@example.com", "v7b@example.com"])
            #expect(ordered.count == 2)
            #expect(ordered.allSatisfy { $0.version == "7" && (before...after).contains($0.millis) }, "\(ordered) not in \(before)...\(after)")
            // uuid-ossp's generator, in a schema off the search path (Supabase keeps it in `extensions`): random too.
            try connection.query("CREATE SCHEMA ossp")
            try connection.query("CREATE FUNCTION ossp.uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()'")
            try connection.query("ALTER TABLE \(SQLName.profiles) ALTER COLUMN id SET DEFAULT ossp.uuid_generate_v4()")
            try Self.open(database, ["ossp@example.com"], ref: "import:8")
            #expect(try keys(["ossp@example.com"]).map(\.version) == ["7"])
            // An app's own default (here always version 4, never one of the random generators above) is kept.
            try connection.query("ALTER TABLE \(SQLName.profiles) ALTER COLUMN id SET DEFAULT overlay(md5(random()::text) PLACING '4' FROM 13 FOR 1)::uuid")
            try Self.open(database, ["own@example.com"], ref: "import:9")
            #expect(try keys(["own@example.com"]).map(\.version) == ["4"])
        }
    }

    /// Opens the accounts of new users `emails` (no payments, no recordings) in a committed transaction.
    private static func open(_ database: TestDatabase, _ emails: [String], ref: String) throws {
        let opened = try StagedRows.inTransaction(database) { rows in
            try newUsers(&rows, emails.map { ($0, 0, 0) })
            return .commit(try AccountOpening(connection: rows.connection).openNewAccounts(ref: ref))
        }
        #expect(opened == emails.count)
    }

    @Test("two new users of one account: the first email's profile takes the account, the other's none; a user without one takes none")
    func sharedAccount() throws {
        try TestDatabase.withFresh { database in
            let account = try database.signUp("jo.elsewhere@example.com")
            let accounts = try StagedRows.inTransaction(database) { rows in
                // The users of the account in the order opposite to their emails', and one without an account.
                try Self.newUsers(&rows, [("jo.old@example.com", 0, 0), ("jo.new@example.com", 0, 0), ("solo@example.com", 0, 0)])
                try rows.connection.query("""
                    UPDATE \(SQLName.crmUsers) SET user_id = \(bind: account)::uuid WHERE email LIKE 'jo.%'
                    """)
                #expect(try AccountOpening(connection: rows.connection).openNewAccounts(ref: "import:7") == 3)
                return .commit(try rows.connection.query("""
                    SELECT email, user_id::text AS account FROM \(SQLName.profiles) ORDER BY email
                    """).rows.map { try [$0.decode(String.self, "email"), $0.decode(String?.self, "account") ?? "none"] })
            }
            #expect(accounts == [["jo.new@example.com", account], ["jo.old@example.com", "none"], ["solo@example.com", "none"]])
        }
    }

    @Test("a new user charged more recordings than the rule gives is refused, and nothing is opened")
    func refusesOverdraft() throws {
        try TestDatabase.withFresh { database in
            let charged = CreditRule.openingCredits + 1
            let error = try #require(throws: PostgresError.self) {
                try StagedRows.inTransaction(database) { rows in
                    try Self.newUsers(&rows, [("over@example.com", 0, charged)])
                    return .commit(try AccountOpening(connection: rows.connection).openNewAccounts(ref: "import:6"))
                }
            }
            #expect(error.sqlState == .checkViolation, "\(error)")
            #expect(try database.connect().query("SELECT count(*) AS n FROM \(SQLName.profiles)").scalar(Int.self) == 0)
        }
    }
}
