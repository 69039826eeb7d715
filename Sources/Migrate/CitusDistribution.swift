import Foundation
import PostgresClient

/// `migrate --citus`: distributes the CRM tables by email over a Citus cluster, co-located with
/// `"digital_resume_by_CRM"`, with `profiles` and `auth.users` as reference tables (`Citus/distribute.sql`).
/// Idempotent: run after every `migrate` on a Citus coordinator.
public enum CitusDistribution {
    /// The tables as Citus sees them: name → `distributed` or `reference`.
    public static let layoutQuery = """
        SELECT logicalrelid::regclass::text, CASE partmethod WHEN 'h' THEN 'distributed' ELSE 'reference' END
        FROM pg_dist_partition ORDER BY 1
        """

    /// Whether `migrate --citus` has distributed the CRM tables here. Read from the catalog, so that it needs
    /// no privilege on the project's functions (a role that owns nothing may run a migrate with nothing to do).
    public static func isDistributed(on connection: PostgresConnection) throws -> Bool {
        guard try connection.query("SELECT count(*) FROM pg_extension WHERE extname = 'citus'").scalar == "1" else {
            return false
        }
        return try connection.query("""
            SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = to_regclass('public."digital_resume_by_CRM"')
            """).scalar == "1"
    }

    /// Distributes what is not distributed yet.
    ///
    /// - Throws: ``MigrationError/citusMissing`` without the extension, ``MigrationError/distributionFailed(_:)``
    ///   when Citus refuses a table.
    public static func apply(on connection: PostgresConnection) throws {
        guard try connection.query("SELECT count(*) FROM pg_extension WHERE extname = 'citus'").scalar == "1" else {
            throw MigrationError.citusMissing
        }
        guard let folder = Bundle.module.url(forResource: "Citus", withExtension: nil),
              let script = try? String(contentsOf: folder.appendingPathComponent("distribute.sql"), encoding: .utf8) else {
            throw MigrationError.resourcesMissing
        }
        do {
            try connection.executeScript(script)
        } catch let error as PostgresError {
            throw MigrationError.distributionFailed(error)
        }
    }
}
