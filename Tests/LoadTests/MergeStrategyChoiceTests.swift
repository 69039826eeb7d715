import CRMSchema
import Foundation
@testable import Load
import Logging
import PipelineCore
import PostgresClient
import Synchronization
import TestSupport
import Testing

@Suite("The merge strategy a run chooses, by what its role may do")
struct MergeStrategyChoiceTests {
    @Test("the operator may set session_replication_role (a superuser; Supabase's postgres through supautils): keys checked set-based")
    func operatorTakesTheFastPath() throws {
        try TestDatabase.withFresh { database in
            let notices = NoticeLog()
            let strategy = try MergeStrategyChoice(connection: try database.connect(), logger: notices.logger).choose()
            #expect(strategy.name == MergePlan(keys: .checkedSetBased).name)
            #expect(notices.messages.isEmpty)
        }
    }

    @Test("a bulk loader that may not set session_replication_role gets the FK triggers, and a notice says why")
    func roleWithoutTheSettingTakesTheTriggers() throws {
        try TestDatabase.withFresh { database in
            // BYPASSRLS makes it a bulk loader; it may call what the choice asks, and nothing else.
            let role = "crm_loader_" + UUID().uuidString.prefix(8).lowercased()
            let superuser = try database.connectAsSuperuser()
            try superuser.executeScript("""
                CREATE ROLE \(role) LOGIN BYPASSRLS;
                GRANT USAGE ON SCHEMA crm_private TO \(role);
                GRANT EXECUTE ON FUNCTION crm_private.crm_is_distributed(), crm_private.crm_is_bulk_loader() TO \(role);
                """)
            defer { try? superuser.executeScript("DROP OWNED BY \(role); DROP ROLE \(role);") }
            let notices = NoticeLog()
            let strategy = try PostgresConnection.withConnection(url: database.url(as: role)) {
                try MergeStrategyChoice(connection: $0, logger: notices.logger).choose()
            }
            #expect(strategy.name == MergePlan(keys: .triggersRowByRow).name)
            #expect(notices.messages.count == 1)
            #expect(notices.messages.first?.contains("may not set session_replication_role") == true)
        }
    }
}

extension MergeStrategyChoiceTests {
    @Test("a nightly counts its plain inserts into the report rollup only where the rollup's insert triggers fire always and know the switch (0026)",
          arguments: [
              "ALTER TABLE crm_payments DISABLE TRIGGER crm_payments_rollup_inserts",
              """
              CREATE OR REPLACE TRIGGER crm_resumes_rollup_inserts AFTER INSERT ON crm_resumes REFERENCING NEW TABLE AS new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION crm_private.crm_activity_of_resumes();
              ALTER TABLE crm_resumes ENABLE ALWAYS TRIGGER crm_resumes_rollup_inserts;
              """,
          ])
    func rollupCountingFollowsTheTriggers(change: String) throws {
        try TestDatabase.withFresh { database in
            func fire() throws -> Bool? {
                (try MergeStrategyChoice(connection: try database.connect(), logger: NoticeLog().logger).choose() as? MergePlan)?.rollupTriggersFire
            }
            #expect(try fire() == true)
            try database.connectAsSuperuser().executeScript(change)
            #expect(try fire() == false)
        }
    }
}

extension MergeStrategyChoiceTests {
    @Test("the inserts sort their keys by bytes where the database's collation orders as the bytes do (C.UTF-8, as Supabase's), by the collation elsewhere (ICU)")
    func insertOrderFollowsTheCollation() throws {
        try TestDatabase.withFresh { database in
            let plan = try #require(try MergeStrategyChoice(connection: try database.connect(), logger: NoticeLog().logger).choose() as? MergePlan)
            #expect(plan.insertsInByteOrder)
            #expect(plan.statements(for: .recordings).insertAll.description.contains(#"ORDER BY s."email" COLLATE "C", s."external_id" COLLATE "C""#))
            #expect(!MergeTarget(.recordings).insertStaged.description.contains("COLLATE"))
        }
        for (provider, collation, bytes) in [("c", "C", true), ("c", "POSIX", true), ("c", "C.UTF-8", true), ("c", "C.utf8", true),
                                             ("c", "en_US.UTF-8", false), ("c", "de_DE", false), ("c", "Cx", false),
                                             ("i", "C.UTF-8", false), ("b", "C", false)] {
            #expect(MergeStrategyChoice.ordersAsBytes(provider: provider, collation: collation) == bytes, "\(provider) \(collation)")
        }
        let name = "crm_test_icu_" + UUID().uuidString.prefix(8).lowercased()
        let admin = try TestDatabase.adminURL()
        try PostgresConnection.withConnection(url: admin) { connection in
            try connection.query("CREATE DATABASE \(ident: name) TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8'")
        }
        defer { _ = try? PostgresConnection.withConnection(url: admin) { try $0.query("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)") } }
        let icu = try ConnectionString(admin).with(database: name).text
        #expect(try PostgresConnection.withConnection(url: icu) {
            try MergeStrategyChoice(connection: $0, logger: NoticeLog().logger).collationOrdersAsBytes()
        } == false)
    }
}

/// The messages of `notice` level and above a logger was given.
private final class NoticeLog: Sendable {
    private let recorded = Mutex<[String]>([])

    var messages: [String] { recorded.withLock { $0 } }

    var logger: Logger {
        Logger(label: "crm-pipeline.tests") { _ in NoticeHandler(log: self) }
    }

    fileprivate func record(_ message: String) { recorded.withLock { $0.append(message) } }
}

private struct NoticeHandler: LogHandler {
    let log: NoticeLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .notice

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { log.record(event.message.description) }
}

extension MergeStrategyChoiceTests {
    @Test("the inserts take the ids the client chose where a table's own default is a random UUID, and an app's own default elsewhere")
    func idsChosenWhereTheDefaultIsRandom() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            func plan() throws -> MergePlan {
                try #require(try MergeStrategyChoice(connection: connection, logger: NoticeLog().logger).choose() as? MergePlan)
            }
            #expect(try plan().idsChosen == [.jobRequests, .recordings, .resumes, .payments])
            #expect(try plan().statements(for: .recordings).insertAll.description.contains(#""id""#))
            #expect(try !plan().statements(for: .users).insertAll.description.contains(#""id""#))
            // An app's own default (a sequence's numbers in a UUID): the recordings take it, the others still the client's.
            try connection.query("CREATE SEQUENCE recording_numbers")
            try connection.query("""
                ALTER TABLE \(SQLName.recordings) ALTER COLUMN id
                SET DEFAULT ('00000000-0000-4000-8000-' || lpad(nextval('recording_numbers')::text, 12, '0'))::uuid
                """)
            #expect(try plan().idsChosen == [.jobRequests, .resumes, .payments])
            let summary = try ImporterTests.importer(database).run(files: try ImporterTests.samples())
            let recordings = try connection.query("""
                SELECT count(*) FILTER (WHERE id::text LIKE '00000000-0000-4000-8000-%') AS own, count(*) AS all FROM \(SQLName.recordings)
                """).singleRow()
            #expect(try recordings.decode(Int.self, "all") == summary.counts[.recordings]?.inserted)
            #expect(try recordings.decode(Int.self, "own") == recordings.decode(Int.self, "all"))
            // The client's: version 4, one each.
            let resumes = try connection.query("""
                SELECT count(*) FILTER (WHERE substr(id::text, 15, 1) = '4' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) AS random,
                       count(DISTINCT id) AS distinct, count(*) AS all FROM \(SQLName.resumes)
                """).singleRow()
            #expect(try resumes.decode(Int.self, "all") > 0)
            #expect(try resumes.decode(Int.self, "random") == resumes.decode(Int.self, "all"))
            #expect(try resumes.decode(Int.self, "distinct") == resumes.decode(Int.self, "all"))
        }
    }
}
