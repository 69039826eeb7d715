import CRMSchema
import Foundation
import PostgresClient

/// `migrate --citus`: distributes the CRM tables by email over a Citus cluster, co-located with
/// `"digital_resume_by_CRM"`, with `profiles` and `auth.users` as reference tables (`Citus/distribute.sql`).
/// Idempotent: run after every `migrate` on a Citus coordinator.
public enum CitusDistribution {
    /// The tables as Citus sees them: `(table, "distributed" or "reference")`, by name.
    public static func layout(on connection: PostgresConnection) throws -> [(table: String, kind: String)] {
        try connection.query("""
            SELECT logicalrelid::regclass::text AS table_name,
                   CASE partmethod WHEN 'h' THEN 'distributed' ELSE 'reference' END AS kind
            FROM pg_dist_partition ORDER BY 1
            """).rows.map { (try $0.decode(String.self, "table_name"), try $0.decode(String.self, "kind")) }
    }

    /// Whether the citus extension is installed in this database.
    private static func hasCitus(_ connection: PostgresConnection) throws -> Bool {
        try connection.query("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS installed").scalar(Bool.self)
    }

    /// Whether `migrate --citus` has distributed the CRM tables here. Read from the catalog, so that it needs
    /// no privilege on the project's functions (a role that owns nothing may run a migrate with nothing to do).
    public static func isDistributed(on connection: PostgresConnection) throws -> Bool {
        guard try hasCitus(connection) else { return false }
        return try connection.query("""
            SELECT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(\(bind: SQLName.crmUsers.sql))) AS distributed
            """).scalar(Bool.self)
    }

    /// Distributes what is not distributed yet.
    ///
    /// - Throws: ``MigrationError/citusMissing`` without the extension, ``MigrationError/distributionFailed(_:)``
    ///   when Citus refuses a table.
    public static func apply(on connection: PostgresConnection) throws {
        guard try hasCitus(connection) else {
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
