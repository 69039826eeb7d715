import CRMSchema
import Foundation
import PostgresClient
import Report
import TestSupport
import Testing

/// The monthly rollup the reports read (migration 0024): kept exact by every kind of write, read by the reports
/// with the same results as the tables, checked and rebuilt by `verify`, folded beside the live app.
@Suite("The report rollup")
struct RollupTests {
    static let now = Date(timeIntervalSince1970: 1_765_000_000)

    /// A report of `kind` for `period`, rendered as JSON, read from the rollup or from the tables.
    static func render(_ kind: ReportKind, _ period: ReportPeriod, _ database: TestDatabase, rollup: Bool, top: Int = 25) throws -> String {
        let builder = ReportBuilder(connection: try database.connect(), period: period, periodGiven: true, top: top, now: now, useRollup: rollup)
        return ReportFormat.json.render(try builder.build(kind))
    }

    /// The periods a report may read: one month (rollup), three months (rollup), days (the tables either way).
    static let periods = [
        ReportPeriod.month("2025-06")!, ReportPeriod.month("2025-12")!, ReportPeriod.days(from: "2025-04-01", to: "2025-06-30")!,
        ReportPeriod.days(from: "2025-06-10", to: "2025-07-20")!,
    ]

    static func expectReportsAgree(_ database: TestDatabase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for period in periods {
            for kind in [ReportKind.summary, .users] {
                let fromRollup = try render(kind, period, database, rollup: true)
                let fromTables = try render(kind, period, database, rollup: false)
                #expect(fromRollup == fromTables, "\(kind) \(period.label)", sourceLocation: sourceLocation)
            }
        }
    }

    /// The deltas each fold of an import's `--log-level info` log found, in order.
    static func foldedDeltas(_ log: String) -> [Int] {
        log.matches(of: /deltas=(\d+) \[Load\] report rollup folded/).compactMap { Int($0.1) }
    }

    static func drift(_ connection: PostgresConnection) throws -> [String] {
        try connection.query("SELECT concat_ws(' ', month, email, expected, found) AS line FROM \(SQLName.activityDrift)()")
            .rows.map { try $0.decode(String.self, "line") }
    }

    static func importExport(_ database: TestDatabase, users: Int) throws {
        let folder = try GeneratedExport.make("rollup", ["--users", "\(users)", "--seed", "27", "--months", "12"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try CommandLineRunner.run(["import", folder, "--database-url", database.url, "--reject-file", folder + "/r.jsonl"])
        guard outcome.status == 0 else { throw TestSupportError("import exited \(outcome.status): \(outcome.standardError)") }
    }

    @Test("an import folds its deltas; the app's inserts, deletes, moves between months, later charges and cascades, and writes with the other triggers standing aside, keep the rollup exact before and after folding; reports read from it equal reports read from the tables")
    func everyWriteKeepsTheRollupExact() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connectAsSuperuser()
            try Self.importExport(database, users: 300)
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDeltas)").scalar(Int64.self) == 0)
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityMonths)").scalar(Int64.self) > 300)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)

            let someone: SQLQuery = "(SELECT email FROM \(SQLName.crmUsers) ORDER BY email LIMIT 1 OFFSET 7)"
            try connection.query("""
                INSERT INTO \(SQLName.jobRequests) (email, job_title, created_at)
                SELECT email, 'Nurse', '2025-06-15T10:00:00Z' FROM \(SQLName.crmUsers) ORDER BY email LIMIT 20
                """)
            try connection.query("DELETE FROM \(SQLName.recordings) WHERE id IN (SELECT id FROM \(SQLName.recordings) ORDER BY id LIMIT 15)")
            try connection.query("UPDATE \(SQLName.resumes) SET created_at = '2025-12-31T23:59:59Z' WHERE id IN (SELECT id FROM \(SQLName.resumes) ORDER BY id LIMIT 10)")
            try connection.query("""
                UPDATE \(SQLName.recordings) r SET credit_charged = true
                WHERE NOT r.credit_charged AND r.email IN (SELECT email FROM \(SQLName.dashboardStats) WHERE credits > 0 ORDER BY email LIMIT 5)
                """)
            try connection.query("UPDATE \(SQLName.crmUsers) SET first_name = 'Unchanged month' WHERE email IN (SELECT email FROM \(SQLName.crmUsers) LIMIT 30)")
            try connection.query("DELETE FROM \(SQLName.crmUsers) WHERE email = \(someone)")
            try connection.transaction { connection in
                // An import's renames and merges copy rows with the row triggers off: the rollup's fire still.
                try connection.setLocal("session_replication_role", to: "replica")
                try connection.query("""
                    INSERT INTO \(SQLName.payments) (email, external_id, amount_cents, currency, paid_at)
                    SELECT email, 'rollup-' || email, 900, 'EUR', '2025-06-30T23:59:59Z' FROM \(SQLName.crmUsers) ORDER BY email LIMIT 12
                    """)
                return .commit(())
            }
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDeltas)").scalar(Int64.self) > 0)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)

            #expect(try connection.query("SELECT \(SQLName.activityFold)() AS folded").scalar(Int64.self) > 0)
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDeltas)").scalar(Int64.self) == 0)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)
        }
    }

    @Test("a nightly counts the rows it inserts into the rollup itself (no delta left to fold); a row it changes later goes through the triggers; the rollup stays exact")
    func nightlyCountsItsInserts() throws {
        try TestDatabase.withFresh { database in
            let folder = try GeneratedExport.make("rollup-count", ["--users", "150", "--seed", "28", "--months", "12"])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let connection = try database.connectAsSuperuser()
            /// Imports the folder at `info`; the deltas its fold found.
            func importFolded(_ extra: [String] = []) throws -> Int {
                let outcome = try CommandLineRunner.run(["import", folder, "--database-url", database.url, "--reject-file", folder + "/r.jsonl",
                                                         "--log-level", "info"] + extra)
                guard outcome.status == 0 else { throw TestSupportError("import exited \(outcome.status): \(outcome.standardError)") }
                #expect(outcome.standardError.contains("add them to the report rollup done") == extra.isEmpty)
                return try #require(Self.foldedDeltas(outcome.standardError).first)
            }
            #expect(try importFolded() == 0)
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityMonths)").scalar(Int64.self) > 150)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)

            // One recording moved to another month: an update of a stored row, counted by the triggers.
            let recordings = folder + "/recordings.csv"
            var lines = try String(contentsOfFile: recordings, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            var fields = lines[1].split(separator: ",", omittingEmptySubsequences: false)
            fields[fields.count - 1] = "2024-01-15T00:00:00Z"
            lines[1] = fields.joined(separator: ",")[...]
            try lines.joined(separator: "\n").write(toFile: recordings, atomically: true, encoding: .utf8)
            #expect(try importFolded(["--force"]) > 0)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)
        }
    }

    @Test("a backfill's chunks, on two connections, add the rows they count to the folded rows (or as deltas while the other chunk holds the folding's lock); after it nothing is left to fold and the rollup is exact")
    func backfillChunksCountTheirInserts() throws {
        try TestDatabase.withFresh { database in
            let folder = try GeneratedExport.make("rollup-backfill", ["--users", "150", "--seed", "29", "--months", "12"])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let outcome = try CommandLineRunner.run(["import", folder, "--database-url", database.url, "--reject-file", folder + "/r.jsonl",
                                                     "--mode", "backfill", "--jobs", "2", "--chunk-rows", "150", "--log-level", "info"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let chunks = outcome.standardError.matches(of: /backfill: \d+ of (\d+) chunks committed/).last.flatMap { Int($0.1) }
            #expect(try #require(chunks) > 2)
            #expect(outcome.standardError.matches(of: /add them to the report rollup done/).count == chunks)
            // The folds after the chunks' commits find only what a chunk appended beside another's add, not every row.
            let folds = Self.foldedDeltas(outcome.standardError)
            #expect(folds.count == chunks.map { $0 + 1 })  // and the backfill's own at the end
            let connection = try database.connectAsSuperuser()
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDeltas)").scalar(Int64.self) == 0)
            let counted = try connection.query("SELECT count(*) AS n FROM \(SQLName.activityMonths)").scalar(Int.self)
            #expect(counted > 150)
            #expect(folds.reduce(0, +) < counted)
            #expect(try Self.drift(connection) == [])
            try Self.expectReportsAgree(database)
        }
    }

    @Test("the rollup's insert switch (crm.rollup_counted) is ignored for an authenticated user: their rows are still counted")
    func switchIgnoredForTheApp() throws {
        try TestDatabase.withFresh { database in
            let id = try database.signUp("zoe@example.com")
            try database.connect().query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('zoe@example.com')"#)
            let counted = try database.connectAsSuperuser().transaction { connection in
                try connection.query("SET LOCAL ROLE authenticated")
                try connection.setLocal("request.jwt.claims", to: #"{"role":"authenticated","sub":"\#(id)"}"#)
                try connection.setLocal(ReportRollup.switchSetting, to: "on")
                try connection.query("INSERT INTO crm_job_requests (email, job_title) VALUES ('zoe@example.com', 'Nurse')")
                try connection.query("RESET ROLE")
                return .rollback(try connection.query("SELECT coalesce(sum(applications), 0) AS n FROM \(SQLName.activityDeltas)").scalar(Int.self))
            }
            #expect(counted == 1)
        }
    }

    @Test("a month's active users and top users from the rollup (migration 0025) equal the tables' while unfolded deltas make a user active and top, and the top one inactive; verify sees a wrong count")
    func activeAndTopUsersWithUnfoldedDeltas() throws {
        try TestDatabase.withFresh { database in
            try Self.importExport(database, users: 120)
            let connection = try database.connectAsSuperuser()
            let june = ReportPeriod.month("2025-06")!
            let inJune: SQLQuery = "created_at >= '2025-06-01T00:00:00Z' AND created_at < '2025-07-01T00:00:00Z'"
            let top = try connection.query("""
                SELECT email FROM \(SQLName.activityMonths) WHERE month = '2025-06-01'
                ORDER BY applications + recordings + resumes DESC, email LIMIT 1
                """).scalar(String.self)
            let idle = try connection.query("""
                SELECT email FROM \(SQLName.crmUsers) u
                WHERE NOT EXISTS (SELECT FROM \(SQLName.activityMonths) m
                                  WHERE m.month = '2025-06-01' AND m.email = u.email AND m.applications + m.recordings + m.resumes > 0)
                ORDER BY email DESC LIMIT 1
                """).scalar(String.self)
            /// The top lists of 1, 3 and more than all users from the rollup equal the tables'; whether `idle` is in them.
            func expectTopListsAgree(idleOnTop: Bool) throws {
                for kind in [ReportKind.summary, .users] {
                    for limit in [1, 3, 200] {
                        let fromRollup = try Self.render(kind, june, database, rollup: true, top: limit)
                        #expect(fromRollup == (try Self.render(kind, june, database, rollup: false, top: limit)), "\(kind) top \(limit)")
                        #expect(fromRollup.contains(idle) == (idleOnTop || limit == 200), "\(kind) top \(limit)")
                        #expect(fromRollup.contains(top) == (limit == 200), "\(kind) top \(limit)")
                    }
                }
                #expect(try Self.drift(connection) == [])
            }
            for table in [SQLName.jobRequests, .recordings, .resumes] {
                try connection.query("DELETE FROM \(table) WHERE email = \(bind: top) AND \(inJune)")
            }
            try expectTopListsAgree(idleOnTop: false)
            try connection.query("""
                INSERT INTO \(SQLName.jobRequests) (email, job_title, created_at)
                SELECT \(bind: idle), 'Nurse', '2025-06-15T10:00:00Z' FROM generate_series(1, 40)
                """)
            #expect(try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDeltas)").scalar(Int64.self) > 0)
            try expectTopListsAgree(idleOnTop: true)

            _ = try connection.query("SELECT \(SQLName.activityFold)() AS folded").scalar(Int64.self)
            #expect(try Self.drift(connection) == [])
            try connection.query("UPDATE \(SQLName.activityTotals) SET active_users = active_users + 1 WHERE month = '2025-06-01'")
            #expect(try Self.drift(connection).count == 1)
            let found = try Verifier(connection: try database.connect()).check().map(\.description)
            #expect(found.contains { $0.hasPrefix("-  report rollup 2025-06, all users (applications/recordings/resumes/sign-ups/payments/charged/active users)") })
        }
    }

    @Test("verify reports a rollup row that differs from the tables and a rollup trigger that would not fire for an import; --fix rebuilds the rollup")
    func verifyChecksAndRebuilds() throws {
        try TestDatabase.withFresh { database in
            try Self.importExport(database, users: 60)
            let connection = try database.connectAsSuperuser()
            let tampered = try connection.query("""
                UPDATE \(SQLName.activityMonths) SET recordings = recordings + 2
                WHERE (month, email) = (SELECT month, email FROM \(SQLName.activityMonths) ORDER BY month DESC, email LIMIT 1)
                RETURNING to_char(month, 'YYYY-MM') AS month, email
                """).singleRow()
            let month = try tampered.decode(String.self, "month"), email = try tampered.decode(String.self, "email")
            try connection.query("ALTER TABLE \(SQLName.recordings) ENABLE TRIGGER crm_recordings_rollup_inserts")
            let verifier = Verifier(connection: try database.connect())

            let found = try verifier.check().map(\.description)
            #expect(found.contains { $0.hasPrefix("\(email)  report rollup \(month) (applications/recordings/resumes/sign-ups/payments/charged)") })
            #expect(found.contains("-  trigger crm_recordings_rollup_inserts on crm_recordings: expected present and enabled always, found enabled for some sessions only"))

            #expect(try verifier.fix().contains { $0.hasPrefix("report rollup: rebuilt from the tables") })
            #expect(try Self.drift(connection) == [])
            try connection.query("ALTER TABLE \(SQLName.recordings) ENABLE ALWAYS TRIGGER crm_recordings_rollup_inserts")
            #expect(try verifier.check() == [])
            #expect(try verifier.fix() == [])
        }
    }

    @Test("a rollup not filled yet (migrations deployed by `migrate --print`) is read from the tables, reported by verify and filled by verify --fix")
    func verifyFillsAnUnfilledRollup() throws {
        try TestDatabase.withFresh { database in
            try Self.importExport(database, users: 60)
            let connection = try database.connectAsSuperuser()
            try connection.query("UPDATE \(SQLName.activityRollupState) SET in_use = false")
            try connection.query("DELETE FROM \(SQLName.activityMonths)")
            try connection.query("DELETE FROM \(SQLName.activityTotals)")
            try Self.expectReportsAgree(database)
            let verifier = Verifier(connection: try database.connect())
            #expect(try verifier.check().map(\.description) == ["-  report rollup: expected filled and in use, found not filled (verify --fix fills it)"])

            #expect(try verifier.fix() == ["report rollup: filled from the tables and put in use"])
            #expect(try connection.query("SELECT in_use FROM \(SQLName.activityRollupState)").scalar(Bool.self))
            #expect(try verifier.check() == [])
            try Self.expectReportsAgree(database)
        }
    }

    @Test("folding and rebuilding beside four app sessions: no app request fails or waits on the rollup, and it stays exact")
    func foldBesideTheApp() throws {
        try TestDatabase.withFresh { database in
            let emails = (0..<40).map { "rollup.app\($0)@example.com" }
            let connection = try database.connectAsSuperuser()
            try connection.query("INSERT INTO \(SQLName.crmUsers) (email) SELECT unnest(\(bind: emails)::text[])")
            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: try database.signUp(emails), sessions: 4))
            let verifier = Verifier(connection: try database.connect())
            for round in 0..<30 {
                _ = try connection.query("SELECT \(SQLName.activityFold)() AS folded").scalar(Int64.self)
                if round % 10 == 9 {
                    try connection.query("UPDATE \(SQLName.activityTotals) SET applications = applications + 1")
                    #expect(try verifier.fix().contains { $0.hasPrefix("report rollup: rebuilt") })
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            let app = try traffic.stop().window()
            #expect(app.requests > 0)
            #expect(app.failures == [:], "\(app)")
            #expect(try Self.drift(connection) == [])
            #expect(try connection.invariantViolations() == [])
        }
    }
}
