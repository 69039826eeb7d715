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
}
