import Foundation
import PostgresClient
import Synchronization

/// How `migrate` waits for the table locks its statements need on a live database (issue 24): an `ALTER
/// TABLE` queued behind an open app transaction makes every later app query on that table queue behind it,
/// so each attempt waits at most ``timeout`` (`SET LOCAL lock_timeout`), then the migration is rolled back,
/// and tried again after a pause that doubles, ``attempts`` times in all.
public struct LockWaitPolicy: Sendable, Equatable {
    /// How long a statement may wait for a lock, in seconds: the longest the app waits behind a migration.
    public var timeout: Double
    /// Attempts in all, the first included.
    public var attempts: Int
    /// The pause after the first failed attempt, in seconds; it doubles after each, up to 30 s.
    public var firstPause: Double

    public init(timeout: Double = 1, attempts: Int = 8, firstPause: Double = 0.5) {
        self.timeout = timeout
        self.attempts = attempts
        self.firstPause = firstPause
    }

    /// The pause after failed attempt `attempt` (1-based).
    func pause(after attempt: Int) -> Double {
        min(30, firstPause * pow(2, Double(attempt - 1)))
    }

    /// `lock_timeout` in PostgreSQL's form (milliseconds).
    var setting: String { "\(max(1, Int((timeout * 1000).rounded())))ms" }
}

/// A session that held a lock a migration waited for, as `pg_stat_activity` showed it.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    public let pid: Int
    public let user: String?
    public let application: String?
    public let client: String?
    public let state: String?
    /// Seconds since its transaction began.
    public let transactionSeconds: Double?

    public var description: String {
        var parts = ["pid \(pid)"]
        if let application, !application.isEmpty { parts.append("application \"\(application)\"") }
        if let user { parts.append("user \(user)") }
        if let client { parts.append("from \(client)") }
        if let state { parts.append(state) }
        if let transactionSeconds { parts.append(String(format: "in a transaction for %.0f s", transactionSeconds)) }
        return parts.joined(separator: ", ")
    }
}

/// Watches, on a connection of its own, which sessions block another one (`pg_blocking_pids`) while it
/// waits, and keeps the last ones seen: once the wait ends with a lock timeout, the holders are gone from
/// the waiting session's view, but not from this one's.
final class LockHolderWatcher: Sendable {
    private let seen = Mutex<[LockHolder]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts watching the session `pid` through a connection `connect` opens (on the watching thread).
    init(pid: Int, connect: @escaping @Sendable () throws -> PostgresConnection) {
        Thread.detachNewThread { [self] in
            defer { finished.signal() }
            guard let connection = try? connect() else { return }
            while !stopping.load(ordering: .relaxed) {
                if let holders = try? Self.holders(of: pid, on: connection), !holders.isEmpty {
                    seen.withLock { $0 = holders }
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// Stops watching and returns the holders last seen.
    func stop() -> [LockHolder] {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        return seen.withLock { $0 }
    }

    private static func holders(of pid: Int, on connection: PostgresConnection) throws -> [LockHolder] {
        try connection.query("""
            SELECT a.pid, a.usename::text AS usename, a.application_name, host(a.client_addr) AS client, a.state,
                   extract(epoch FROM now() - a.xact_start)::float8 AS seconds
            FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids(\(bind: pid)))
            ORDER BY a.xact_start
            """).rows.map { row in
            LockHolder(pid: try row.decode(Int.self, "pid"), user: try row.decode(String?.self, "usename"),
                       application: try row.decode(String?.self, "application_name"), client: try row.decode(String?.self, "client"),
                       state: try row.decode(String?.self, "state"), transactionSeconds: try row.decode(Double?.self, "seconds"))
        }
    }
}
