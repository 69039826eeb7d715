import Foundation
import Logging
import Migrate
import PostgresClient
import TestSupport

/// `migrate` beside the app: a pending migration alters a table the app writes (crm_job_requests) while a
/// transaction that read it (a report left idle in transaction) holds it for `holdSeconds` (or for the whole
/// run), as the CLI runs it (the same Migrator, its lock-wait policy, a second session naming the holders).
struct MigrateScenario {
    let bench: LiveAppBench
    /// How long the app transaction holds the table; `nil` for longer than migrate tries.
    let holdSeconds: Double?
    let policy: LockWaitPolicy

    var description: String {
        holdSeconds.map { String(format: "a transaction that read crm_job_requests stays open %g s", $0) }
            ?? "a transaction that read crm_job_requests stays open throughout"
    }

    /// Runs it on a fresh copy of the base with `shape` traffic; returns the outcome ("applied on attempt N" or
    /// the error), the seconds, and the app's requests before and during.
    func measure(shape: TrafficShape, users: [AppUser]) throws -> (outcome: String, seconds: Double, before: [AppRequest], during: [AppRequest]) {
        let name = "bench_live_run"
        try bench.recreate(name, from: LiveAppBench.base)
        let url = bench.url(name)
        let migrations = try MigrationCatalog.shipped()
            + [Migration(fileName: "9001_app_column.sql", sql: "ALTER TABLE crm_job_requests ADD COLUMN note text;")!]
        let traffic = AppTraffic(.init(url: bench.url(name, as: "authenticator"), users: users, sessions: shape.sessions,
                                       roundsPerSecond: shape.roundsPerSecond))
        Thread.sleep(forTimeInterval: 3)
        let holding = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0), ended = DispatchSemaphore(value: 0)
        let holdSeconds = holdSeconds
        Thread.detachNewThread {
            defer { ended.signal() }
            guard let holder = try? PostgresConnection(url: url, applicationName: "report (idle in transaction)") else {
                holding.signal()
                return
            }
            _ = try? holder.query("BEGIN")
            _ = try? holder.query("SELECT count(*) FROM crm_job_requests")
            holding.signal()
            _ = released.wait(timeout: holdSeconds.map { .now() + $0 } ?? .distantFuture)
            _ = try? holder.query("COMMIT")
        }
        holding.wait()
        let start = traffic.elapsed
        let clock = Date()
        var outcome: String
        do {
            let applied = try Migrator(migrations: migrations, logger: Logger(label: "bench"), lockWait: policy)
                .migrate(try PostgresConnection(url: url, applicationName: "crm-pipeline")) { try PostgresConnection(url: url) }
            outcome = "applied \(applied.map(\.name).joined(separator: ", "))"
        } catch let error as MigrationError {
            guard case .locked(_, _, let holders) = error else { throw error }
            outcome = "exit 75, not applied; holder named: \(holders.first?.application ?? "none")"
        }
        let seconds = Date().timeIntervalSince(clock)
        let end = traffic.elapsed
        released.signal()
        ended.wait()
        Thread.sleep(forTimeInterval: 1)
        let log = try traffic.stop()
        return (outcome, seconds, log.requests(to: start), log.requests(from: start, to: end))
    }
}
