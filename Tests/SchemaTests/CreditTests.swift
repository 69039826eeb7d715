import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Credits and the ledger")
struct CreditTests {
    @Test("a charged recording uses one credit, an uncharged one none, a payment grants three")
    func basicMovements() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("max@example.com")
            try fixture.recording("max@example.com", charged: true)
            try fixture.recording("max@example.com", charged: false)
            #expect(try fixture.credits("max@example.com") == 3)
            try fixture.payment("max@example.com")
            #expect(try fixture.credits("max@example.com") == 6)
            let reasons = try fixture.connection.query(
                "SELECT reason, delta FROM crm_credit_ledger WHERE email = $1 ORDER BY created_at, reason", ["max@example.com"])
            #expect(Set(try reasons.all(as: LedgerEntry.self).map(\.description)) == ["initial:4", "recording:-1", "payment:3"])
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("an INSERT … SELECT of 1,000 charged recordings moves stats and credits by 1,000")
    func thousandRecordings() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("ned@example.com")
            try fixture.payment("ned@example.com", count: 334)  // 4 + 1,002 credits
            try fixture.connection.query("""
                INSERT INTO crm_recordings (email, video_url, credit_charged)
                SELECT 'ned@example.com', 'https://v.example.com/' || n, true FROM generate_series(1, 1000) n
                """)
            #expect(try fixture.stats("ned@example.com") == ["0", "1000", "0"])
            #expect(try fixture.credits("ned@example.com") == 6)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("when credits run out, the whole multi-row statement fails and nothing moves")
    func runsOutOfCredits() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("oda@example.com")
            expectSQLState(.checkViolation) {
                try fixture.connection.query("""
                    INSERT INTO crm_recordings (email, video_url)
                    SELECT 'oda@example.com', 'https://v.example.com/' || n FROM generate_series(1, 1000) n
                    """)
            }
            #expect(try fixture.stats("oda@example.com") == ["0", "0", "0"])
            #expect(try fixture.credits("oda@example.com") == 4)
            #expect(try fixture.count("crm_credit_ledger", email: "oda@example.com") == 1)
        }
    }

    @Test("a recording without credits fails with a message the app can show")
    func clearErrorForTheApp() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("pia@example.com")
            for _ in 0..<4 { try fixture.recording("pia@example.com") }
            let error = try #require(throws: PostgresError.self) { try fixture.recording("pia@example.com") }
            #expect(error.sqlState == .checkViolation)
            #expect(error.message.contains("insufficient credits"))
            #expect(error.hint?.contains("payment") == true)
            #expect(try fixture.credits("pia@example.com") == 0)
        }
    }

    @Test("marking an uncharged recording as charged uses a credit then, once")
    func chargedLater() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("quy@example.com")
            try fixture.recording("quy@example.com", charged: false)
            try fixture.connection.query("UPDATE crm_recordings SET credit_charged = true WHERE email = 'quy@example.com'")
            try fixture.connection.query("UPDATE crm_recordings SET duration_seconds = 30 WHERE email = 'quy@example.com'")
            #expect(try fixture.credits("quy@example.com") == 3)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("credits never go below zero, even when written directly")
    func balanceConstraint() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("ray@example.com")
            expectSQLState(.checkViolation) {
                try fixture.connection.query("UPDATE profiles SET credits = -1 WHERE email = 'ray@example.com'")
            }
        }
    }

    @Test("the credit triggers take their movement from the rule: a payment and a charged recording, as CreditRule says")
    func triggersFollowTheRule() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("rule@example.com")
            try fixture.payment("rule@example.com", count: 2)
            try fixture.recording("rule@example.com", charged: true)
            #expect(try fixture.credits("rule@example.com") == CreditRule.balance(payments: 2, chargedRecordings: 1))
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }
}
