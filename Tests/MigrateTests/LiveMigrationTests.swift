import Dispatch
import Foundation
import Logging
import Migrate
import PipelineCore
import PostgresClient
import Synchronization
import TestSupport
import Testing

/// `migrate` on a database the app is using (issue 24): a statement waits for a table lock at most the lock
/// timeout, the migration is tried again after a pause, and when the lock stays taken migrate stops with the
/// holder named, the migration unapplied. Outcomes only, never times.
@Suite("Migrations beside the live app")
struct LiveMigrationTests {
    let logger = Logger(label: "live-migration-tests")

    /// The shipped migrations and one more that alters a table the app writes.
    static func withColumn() throws -> [Migration] {
        try MigrationCatalog.shipped() + [try #require(Migration(fileName: "9001_app_column.sql",
                                                                 sql: "ALTER TABLE crm_job_requests ADD COLUMN note text;"))]
    }

    /// An app transaction left open with a job request inserted: it holds crm_job_requests (ROW EXCLUSIVE).
    static func openAppTransaction(_ database: TestDatabase) throws -> PostgresConnection {
        try database.connect().query(#"INSERT INTO "digital_resume_by_CRM" (email) VALUES ('ann@example.com')"#)
        let app = try PostgresConnection(url: database.url, applicationName: "app (held open)")
        try app.query("BEGIN")
        try app.query("INSERT INTO crm_job_requests (email, job_title) VALUES ('ann@example.com', 'Nurse')")
        return app
    }

    @Test("while an app transaction holds the table every attempt times out: migrate stops naming the holder, the migration unapplied")
    func holderNeverEnds() throws {
        try TestDatabase.withFresh { database in
            let app = try Self.openAppTransaction(database)
            let holder = try app.query("SELECT pg_backend_pid() AS pid").scalar(Int.self)
            let url = database.url
            let migrator = Migrator(migrations: try Self.withColumn(), logger: logger,
                                    lockWait: LockWaitPolicy(timeout: 0.2, attempts: 3, firstPause: 0.05))
            let error = try #require(throws: MigrationError.self) {
                try migrator.migrate(try database.connect()) { try PostgresConnection(url: url) }
            }
            guard case .locked(let name, _, let holders) = error else {
                Issue.record("expected .locked, got \(error)")
                return
            }
            #expect(name == "9001_app_column.sql")
            #expect(holders.map(\.pid) == [holder])
            #expect(holders.first?.application == "app (held open)")
            #expect(error.exitStatus == .temporaryFailure)
            #expect(error.description.contains("SELECT pg_terminate_backend(\(holder));"))
            // The app's own transaction was never disturbed, and the migration left nothing behind.
            try app.query("COMMIT")
            let states = try migrator.status(on: try database.connect()).map(\.state)
            #expect(states.last == .pending)
            #expect(try database.connect().query("""
                SELECT count(*) AS n FROM pg_attribute WHERE attrelid = 'crm_job_requests'::regclass AND attname = 'note'
                """).scalar(Int.self) == 0)
        }
    }

    @Test("the app's transaction ends between two attempts: the migration is applied, and the app's requests meanwhile succeed")
    func holderEndsBetweenAttempts() throws {
        try TestDatabase.withFresh { database in
            let app = try Self.openAppTransaction(database)
            let migrator = Migrator(migrations: try Self.withColumn(), logger: logger,
                                    lockWait: LockWaitPolicy(timeout: 0.3, attempts: 20, firstPause: 0.1))
            let url = database.url
            let migrated = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<[Migration], any Error>?>(nil)
            DispatchQueue.global().async {
                let result = Result { try migrator.migrate(try PostgresConnection(url: url)) { try PostgresConnection(url: url) } }
                outcome.withLock { $0 = result }
                migrated.signal()
            }
            // Another request of the app reads the table while migrate waits behind the open transaction: it
            // queues behind migrate's lock request for one timeout at most, and succeeds.
            try database.connect().waitUntilWaitingOnLock(application: "crm-pipeline")
            let reader = try PostgresConnection(url: url, applicationName: "app (reader)")
            #expect(try reader.query("SELECT count(*) AS n FROM crm_job_requests").scalar(Int.self) == 0)
            try app.query("COMMIT")
            #expect(migrated.wait(timeout: .now() + 60) == .success)
            let applied = try #require(try outcome.withLock { $0 }?.get())
            #expect(applied.map(\.name) == ["9001_app_column.sql"])
        }
    }

    @Test("the report rollup's migration on a database with rows, beside four app sessions: filled from the tables after it commits, exact, and no app request fails")
    func rollupFilledBesideTheApp() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let shipped = try MigrationCatalog.shipped()
            let beforeRollup = Array(shipped.prefix { $0.name < "0024" })
            try Migrator(migrations: beforeRollup, logger: logger).migrate(try database.connect())
            let emails = (0..<40).map { "rollup.app\($0)@example.com" }
            let connection = try database.connect()
            try connection.executeScript(AppTraffic.loginRoleSQL)  // as the migrated template has it
            try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email, created_at) SELECT unnest(\#(bind: emails)::text[]), '2025-03-01'"#)
            try connection.query("""
                INSERT INTO crm_job_requests (email, job_title, created_at)
                SELECT email, 'Nurse', '2025-04-01'::timestamptz + n * interval '1 day' FROM "digital_resume_by_CRM", generate_series(1, 30) n
                """)
            let traffic = AppTraffic(.init(url: database.url(as: "authenticator"), users: try database.signUp(emails), sessions: 4))
            Thread.sleep(forTimeInterval: 0.3)
            let applied = try Migrator(migrations: shipped, logger: logger).migrate(try database.connect())
            Thread.sleep(forTimeInterval: 0.3)
            let app = try traffic.stop().window()

            #expect(applied.map(\.name) == shipped.map(\.name).filter { $0 >= "0024" })
            #expect(app.requests > 0)
            #expect(app.failures == [:], "\(app)")
            #expect(try connection.query("SELECT in_use FROM crm_private.crm_activity_rollup_state").scalar(Bool.self))
            #expect(try connection.query("SELECT count(*) AS n FROM crm_private.crm_activity_drift()").scalar(Int.self) == 0)
            #expect(try connection.query("SELECT sum(applications)::int AS n FROM crm_private.crm_activity_months WHERE month = '2025-04-01'")
                .scalar(Int.self) == 40 * 29)
        }
    }
}
