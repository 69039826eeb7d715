import Foundation
import Logging
import Migrate
import PipelineCore
import PostgresClient

/// A fresh database on the private cluster that `make test` starts, dropped after the test.
///
/// The cluster is named by `DATABASE_URL`. Migrated databases are copied from a template that is
/// migrated once per test process, so that each test starts from the real schema in milliseconds.
public struct TestDatabase: Sendable {
    /// The connection string of this database.
    public let url: String
    /// The database's name.
    public let name: String

    /// The connection string of the cluster's main database, from `DATABASE_URL`.
    public static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw TestSupportError("DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        return url
    }

    /// Creates a database, lends it to `body`, and drops it afterwards.
    ///
    /// - Parameters:
    ///   - migrated: `true` for a copy of the fully migrated schema, `false` for an empty database.
    ///   - body: The test. It receives the database.
    public static func withFresh<T>(migrated: Bool = true, _ body: (TestDatabase) throws -> T) throws -> T {
        let admin = try ConnectionString(try adminURL())
        let name = "crm_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let template = migrated ? try TemplateDatabase.shared.name(admin: admin) : "template0"
        try PostgresConnection.withConnection(url: admin.text) { connection in
            try connection.query("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(template))")
        }
        defer {
            _ = try? PostgresConnection.withConnection(url: admin.text) { connection in
                try connection.query("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
            }
        }
        return try body(TestDatabase(url: admin.with(database: name).text, name: name))
    }

    /// Opens a connection to this database, named `crm-pipeline tests` (apart from the importer's).
    public func connect() throws -> PostgresConnection {
        try PostgresConnection(url: url, applicationName: "crm-pipeline tests")
    }
}

/// The migrated template database, made once per migration set and reused by later test runs.
final class TemplateDatabase: @unchecked Sendable {
    static let shared = TemplateDatabase()
    private let lock = NSLock()
    private var created: String?

    func name(admin: ConnectionString) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let created { return created }
        let migrations = try MigrationCatalog.shipped()
        let fingerprint = SHA256.hexDigest(of: Array(migrations.map(\.checksum).joined().utf8)).prefix(16)
        let name = "crm_template_\(fingerprint)"
        let exists = try PostgresConnection.withConnection(url: admin.text) { connection in
            try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).rows.count == 1
        }
        if !exists {
            // Build under a private name and rename, so that a half-built template is never used.
            let building = "\(name)_\(ProcessInfo.processInfo.processIdentifier)"
            try PostgresConnection.withConnection(url: admin.text) { connection in
                try connection.query("DROP DATABASE IF EXISTS \(quoteIdentifier(building))")
                try connection.query("CREATE DATABASE \(quoteIdentifier(building)) TEMPLATE template0")
            }
            try PostgresConnection.withConnection(url: admin.with(database: building).text) { connection in
                try Migrator(migrations: migrations, logger: Logger(label: "test-template")).migrate(connection)
            }
            try PostgresConnection.withConnection(url: admin.text) { connection in
                do {
                    try connection.query("ALTER DATABASE \(quoteIdentifier(building)) RENAME TO \(quoteIdentifier(name))")
                } catch {
                    // Another test process finished the same template first.
                    try connection.query("DROP DATABASE IF EXISTS \(quoteIdentifier(building))")
                }
            }
        }
        created = name
        return name
    }
}

/// A problem in the test set-up itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
