import Foundation
import Logging
import Migrate
import PipelineCore
import PostgresClient

/// A fresh database on the cluster that `make test` starts, dropped after the test.
///
/// The cluster is the current ``TestPlatform``'s. Migrated databases are copied from a template that is
/// migrated once per test process, so that each test starts from the real schema in milliseconds.
public struct TestDatabase: Sendable {
    /// The connection string of this database, as the role that migrates, imports and reports.
    public let url: String
    /// The database's name.
    public let name: String
    /// The platform it lives on.
    public let platform: TestPlatform
    private let admin: ConnectionString

    /// The connection string of the current platform's administration database, as its superuser.
    public static func adminURL() throws -> String {
        try TestPlatform.current.adminURL()
    }

    /// Creates a database, lends it to `body`, and drops it afterwards.
    ///
    /// - Parameters:
    ///   - migrated: `true` for a copy of the fully migrated schema, `false` for an empty project database
    ///     (on Supabase, what a new project holds before the app adds anything).
    ///   - body: The test. It receives the database.
    public static func withFresh<T>(migrated: Bool = true, _ body: (TestDatabase) throws -> T) throws -> T {
        let platform = TestPlatform.current
        let admin = try ConnectionString(try platform.adminURL())
        let name = "crm_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let template = migrated ? try TemplateDatabase.shared.name(platform: platform, admin: admin) : platform.emptyTemplate
        try createDatabase(name, from: template, platform: platform, admin: admin)
        defer {
            _ = try? PostgresConnection.withConnection(url: admin.text) { connection in
                try connection.query("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)")
            }
        }
        return try body(TestDatabase(platform: platform, admin: admin, name: name))
    }

    private init(platform: TestPlatform, admin: ConnectionString, name: String) {
        self.platform = platform
        self.admin = admin
        self.name = name
        let database = admin.with(database: name)
        url = (platform.operatorRole.map { database.with(user: $0) } ?? database).text
    }

    /// Copies `template` to `name`. On Supabase the copy belongs to `postgres` and gets the database
    /// privileges a project's `postgres` database has, as `build.sh newdb` does.
    static func createDatabase(_ name: String, from template: String, platform: TestPlatform, admin: ConnectionString) throws {
        try PostgresConnection.withConnection(url: admin.text) { connection in
            let owner: SQLQuery = platform.operatorRole.map { " OWNER \(ident: $0)" } ?? ""
            try connection.query("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)\(owner)")
            guard platform == .supabase else { return }
            // The database privileges Supabase gives postgres's own database, granted on the copy.
            let grants = try connection.query("""
                SELECT a.privilege_type, a.grantee::regrole::text AS grantee
                FROM pg_database d, aclexplode(d.datacl) a
                WHERE d.datname = 'postgres' AND a.grantee <> 0 AND a.grantee <> d.datdba
                """).rows
            for grant in grants {
                let privilege = try grant.decode(String.self, "privilege_type")
                guard ["CREATE", "CONNECT", "TEMPORARY"].contains(privilege) else { continue }
                let keyword: SQLQuery = privilege == "CREATE" ? "CREATE" : privilege == "CONNECT" ? "CONNECT" : "TEMPORARY"
                try connection.query("GRANT \(keyword) ON DATABASE \(ident: name) TO \(ident: try grant.decode(String.self, "grantee"))")
            }
        }
    }

    /// The connection string of this database as another role (`authenticator`, `supabase_auth_admin`).
    public func url(as role: String) -> String {
        admin.with(database: name).with(user: role).text
    }

    /// Opens a connection as the role that migrates and imports, named `crm-pipeline tests` (apart from
    /// the importer's).
    public func connect() throws -> PostgresConnection {
        try PostgresConnection(url: url, applicationName: "crm-pipeline tests")
    }

    /// Opens a connection as the cluster's superuser, for what no project role may do (sabotage a trigger
    /// on `auth.users`, say).
    public func connectAsSuperuser() throws -> PostgresConnection {
        try PostgresConnection(url: admin.with(database: name).text, applicationName: "crm-pipeline tests")
    }

    /// Opens a connection as PostgREST does, as `authenticator`; ``PostgresConnection/asRole(_:_:)`` then
    /// becomes `anon`, `authenticated` or `service_role` for one request.
    public func connectAsAPI() throws -> PostgresConnection {
        try PostgresConnection(url: url(as: "authenticator"), applicationName: "crm-pipeline tests")
    }
}

/// The migrated template database, made once per migration set and platform and reused by later test runs.
// @unchecked: its mutable state is only read and written while holding `lock`.
final class TemplateDatabase: @unchecked Sendable {
    static let shared = TemplateDatabase()
    private let lock = NSLock()
    private var created: [TestPlatform: String] = [:]

    func name(platform: TestPlatform, admin: ConnectionString) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let name = created[platform] { return name }
        let migrations = try MigrationCatalog.shipped()
        let fingerprint = SHA256.hexDigest(of: Array(migrations.map(\.checksum).joined().utf8)).prefix(16)
        let name = "crm_template_\(fingerprint)"
        let exists = try PostgresConnection.withConnection(url: admin.text) { connection in
            try connection.query("SELECT 1 FROM pg_database WHERE datname = \(bind: name)").rows.count == 1
        }
        if !exists {
            try build(name, platform: platform, admin: admin, migrations: migrations)
        }
        if platform == .supabase {
            try PostgresConnection.withConnection(url: admin.text) { try $0.query(Self.supautilsReplicationRole) }
        }
        created[platform] = name
        return name
    }

    /// Builds under a private name and renames, so that a half-built template is never used. On the plain
    /// cluster the test roles are made first: PostgREST's `authenticator`, which Supabase has.
    private func build(_ name: String, platform: TestPlatform, admin: ConnectionString, migrations: [Migration]) throws {
        let building = "\(name)_\(ProcessInfo.processInfo.processIdentifier)"
        try PostgresConnection.withConnection(url: admin.text) { connection in
            try connection.query("DROP DATABASE IF EXISTS \(ident: building)")
        }
        try TestDatabase.createDatabase(building, from: platform.emptyTemplate, platform: platform, admin: admin)
        let database = admin.with(database: building)
        try PostgresConnection.withConnection(url: (platform.operatorRole.map { database.with(user: $0) } ?? database).text) {
            try Migrator(migrations: migrations, logger: Logger(label: "test-template")).migrate($0)
        }
        if platform == .plain {
            try PostgresConnection.withConnection(url: database.text) { try $0.executeScript(AppTraffic.loginRoleSQL) }
        }
        try PostgresConnection.withConnection(url: admin.text) { connection in
            do {
                try connection.query("ALTER DATABASE \(ident: building) RENAME TO \(ident: name)")
            } catch {
                // Another test process finished the same template first.
                try connection.query("DROP DATABASE IF EXISTS \(ident: building)")
            }
        }
    }

    /// What supautils lets Supabase's `postgres` do that this cluster, which has no supautils, must grant
    /// itself: set `session_replication_role` (one of its `privileged_role_allowed_configs`; Supabase's
    /// restore guide relies on it), so that imports there take the fast merge path as on Supabase.
    static let supautilsReplicationRole: SQLQuery = "GRANT SET ON PARAMETER session_replication_role TO postgres"
}

/// A problem in the test set-up itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
