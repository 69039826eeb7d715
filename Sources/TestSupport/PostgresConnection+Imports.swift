import Foundation
import PostgresClient

extension PostgresConnection {
    /// Waits (up to 5 s) until no importer connection (data or run log) is left on this database: after a `kill -9` the
    /// server notices the closed socket and rolls back on its own time.
    public func waitUntilImportsGone() throws {
        for _ in 0..<100 {
            let busy = try query("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name IN ('crm-pipeline', 'crm-pipeline import log')
                """).scalar(Int.self)
            if busy == 0 { return }
            usleep(50_000)
        }
    }

    /// Waits (up to 30 s) until the importer's connection on this database waits on a lock: another
    /// connection holds what its statement needs.
    public func waitUntilImportWaitsOnLock() throws {
        try waitUntilWaitingOnLock(application: "crm-pipeline")
    }

    /// Waits (up to 30 s) until a connection of `application` on this database waits on a lock.
    public func waitUntilWaitingOnLock(application: String) throws {
        let deadline = Date().addingTimeInterval(30)
        while try query("""
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = \(bind: application) AND wait_event_type = 'Lock'
            """).scalar(Int.self) == 0 {
            guard Date() < deadline else { throw TestSupportError("timed out waiting for \(application) to wait on a lock") }
            usleep(50_000)
        }
    }
}
