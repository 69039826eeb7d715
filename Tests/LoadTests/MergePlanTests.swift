import CRMSchema
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing
import Validate

@Suite("MergePlan: the set-based statements, as data and against the database")
struct MergePlanTests {
    @Test("the plan prints every entity in load order, users first, and no statement carries a value")
    func printable() throws {
        let plan = MergePlan()
        let headers = plan.description.split(separator: "\n").filter {
            $0.hasPrefix("-- ") && !$0.hasPrefix("-- when") && !$0.hasPrefix("-- after")
        }
        #expect(headers == Entity.crmRecords.map { "-- \($0)" } + Entity.crmRecords.map { "-- final writes, \($0), when rows changed:" },
                "the inserts of every entity, then the updates, last")
        for entity in Entity.crmRecords {
            let statements = plan.statements(for: entity)
            for statement in [statements.classify, statements.update, statements.insert, statements.insertAll, statements.recordAll,
                              statements.insertAllGuarded, statements.recordChanged, statements.lockChanged] + statements.prepare {
                #expect(statement.rendered.parameters.isEmpty, "\(entity): \(statement)")
            }
            let table = SQLName.table(of: entity).sql
            #expect(statements.update.description.contains("UPDATE \(table)"))
            #expect(statements.insert.description.contains("INSERT INTO \(table)"))
            #expect(statements.insert.description.contains("LEFT JOIN \(table) t"), "rows that exist left out")
            #expect(!statements.insertAll.description.contains("LEFT JOIN \(table) t"), "nothing to leave out")
            #expect(!statements.insertAll.description.contains("ON CONFLICT") && !statements.insertAll.description.contains("RETURNING"),
                    "a plain insert, counted from the staging")
            #expect(!statements.insertAllGuarded.description.contains("LEFT JOIN \(table) t"))
            #expect(statements.insertAllGuarded.description.contains("ON CONFLICT DO NOTHING"), "rows the app inserts meanwhile")
            #expect(statements.lockChanged.description.contains("FOR NO KEY UPDATE OF t"), "the lock the update takes, taken first")
        }
        #expect(plan.statements(for: .users).insert.description.contains("INSERT INTO \(SQLName.newUsers.sql)"))
        #expect(plan.statements(for: .jobRequests).insert.description.contains("INSERT INTO \(SQLName.touched.sql)"))
        #expect(plan.statements(for: .recordings).prepare.count == 1, "the recordings' job ids")
        #expect(plan.statements(for: .recordings).update.description.contains("NOT \(MergePlan.becomesCharged)"),
                "recordings that become charged wait for the credit walk on the locked balances")
        #expect(!plan.description.contains("session_replication_role") && !plan.locksParents)
        let aside = MergePlan(keys: .checkedSetBased)
        #expect(aside.description.contains("SET LOCAL session_replication_role = replica") && aside.locksParents)
    }

    @Test("a re-import of unchanged files writes no row of any CRM table: every row keeps its version (xmin)")
    func unchangedReimport() throws {
        try TestDatabase.withFresh { database in
            _ = try ImporterTests.importer(database).run(files: try ImporterTests.samples())
            let connection = try database.connect()
            func versions() throws -> [String] {
                try [SQLName.crmUsers, .jobRequests, .recordings, .resumes, .payments, .dashboardStats, .creditLedger, .profiles].map { table in
                    try connection.query("SELECT coalesce(string_agg(xmin::text || ':' || ctid::text, ',' ORDER BY ctid), '') AS v FROM \(table)")
                        .scalar(String.self)
                }
            }
            let before = try versions()
            let summary = try ImporterTests.importer(database) { $0.force = true }.run(files: try ImporterTests.samples())
            for (entity, counts) in summary.counts {
                #expect(counts.inserted == 0 && counts.updated == 0, "\(entity)")
            }
            #expect(try versions() == before)
        }
    }

    @Test("merging inserts new rows, updates changed ones, leaves equal ones, and the upkeep keeps stats and credits right",
          arguments: [MergePlan(), MergePlan(keys: .citus)])
    func mergesAndUpkeep(plan: MergePlan) throws {
        try TestDatabase.withFresh { database in
            func load(title: String) throws -> [Entity: EntityCounts] {
                try StagedRows.inTransaction(database) { rows in
                    try rows.stage(.users, line: 2, ["email": "ann@example.com", "first_name": "Ann"])
                    try rows.stage(.jobRequests, line: 2, ["email": "ann@example.com", "external_id": "J1", "job_title": title])
                    try rows.stage(.jobRequests, line: 3, ["email": "ann@example.com", "external_id": "J2", "job_title": "Doctor"])
                    try rows.stage(.recordings, line: 2, ["email": "ann@example.com", "external_id": "R1", "job_request_external_id": "J1",
                                                          "video_url": "https://v.example.com/1", "credit_charged": "true"])
                    try rows.stage(.payments, line: 2, ["email": "ann@example.com", "external_id": "P1", "amount_cents": "900",
                                                        "currency": "EUR", "paid_at": "2024-05-02T00:00:00Z"])
                    _ = try rows.deduplicate()
                    let upkeep = Upkeep(connection: rows.connection)
                    #expect(try upkeep.standAside(), "the test's role bypasses RLS, so the triggers stand aside")
                    // As an import does: the checks find the existing users, whose stored rows the merges look for.
                    _ = try ReferenceChecks(connection: rows.connection).run(
                        credits: .charge, rejects: RejectFile().writer, lockParents: false, scope: .whole, narrowed: plan.narrowsToKnownUsers) { _ in "?" }
                    var outcomes: [Entity: MergeOutcome] = [:]
                    for entity in Entity.crmRecords {
                        outcomes[entity] = try plan.insertNew(entity, countingRollup: false, on: rows.connection)
                    }
                    try upkeep.openNewUsers(runID: 1, writesDirectly: plan.upkeepWritesDirectly, scope: .whole)
                    let tally = try FinalWrites(connection: rows.connection, strategy: plan, credits: .charge, rejects: RejectFile().writer,
                                                path: { _ in "?" }).run(outcomes, runID: 1, upkeep: upkeep)
                    return .commit(tally.counts)
                }
            }
            let first = try load(title: "Nurse")
            #expect(first[.users]?.inserted == 1)
            #expect(first[.jobRequests]?.inserted == 2)
            #expect(first[.recordings]?.inserted == 1)
            #expect(first[.payments]?.inserted == 1)

            let connection = try database.connect()
            #expect(try connection.invariantViolations() == [])
            let stats = try connection.query("""
                SELECT s.total_applications, s.total_recordings, s.credits, r.job_request_id = j.id AS linked
                FROM \(SQLName.dashboardStats) s, \(SQLName.recordings) r, \(SQLName.jobRequests) j
                WHERE s.email = 'ann@example.com' AND j.external_id = 'J1'
                """).rows[0]
            #expect(try stats.decode(Int.self, "total_applications") == 2)
            #expect(try stats.decode(Int.self, "total_recordings") == 1)
            #expect(try stats.decode(Int.self, "credits") == 4 + 3 - 1)
            #expect(try stats.decode(Bool.self, "linked"))

            let again = try load(title: "Head Nurse")
            #expect(again[.users] == counts(unchanged: 1))
            #expect(again[.jobRequests] == counts(updated: 1, unchanged: 1))
            #expect(again[.recordings] == counts(unchanged: 1))
            #expect(again[.payments] == counts(unchanged: 1))
            #expect(try connection.invariantViolations() == [])
            #expect(try connection.query("SELECT credits FROM \(SQLName.dashboardStats)").scalar(Int.self) == 6, "nothing booked twice")
        }
    }

    private func counts(updated: Int = 0, unchanged: Int = 0) -> EntityCounts {
        var counts = EntityCounts()
        counts.updated = updated
        counts.unchanged = unchanged
        return counts
    }
}
