import Foundation

/// The database the tests run against, chosen for the whole test process by `CRM_TEST_PLATFORM`.
///
/// `make test` runs the suite on plain PostgreSQL first, then the database suites again on a database
/// built from Supabase's own SQL (`../shared/vendor/supabase/build.sh`), the way users meet it.
public enum TestPlatform: String, Sendable, CustomStringConvertible {
    /// A plain PostgreSQL cluster (`DATABASE_URL`): the project's shim provides `auth`, and the tests connect
    /// as a superuser.
    case plain
    /// A Supabase-shaped cluster (`CRM_TEST_SUPABASE_URL`, a `supabase_admin` connection): the tests migrate,
    /// import, report and verify as `postgres` (not a superuser), make the app's requests through
    /// `authenticator` as PostgREST does, and sign users up as GoTrue does (`supabase_auth_admin`).
    case supabase

    /// The platform of this test process: `CRM_TEST_PLATFORM`, `plain` when unset.
    public static var current: TestPlatform {
        ProcessInfo.processInfo.environment["CRM_TEST_PLATFORM"].flatMap(TestPlatform.init(rawValue:)) ?? .plain
    }

    public var description: String { rawValue }

    /// The connection string of the cluster's administration database, as its superuser.
    func adminURL() throws -> String {
        let variable = self == .plain ? "DATABASE_URL" : "CRM_TEST_SUPABASE_URL"
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            throw TestSupportError("\(variable) is not set: run the tests with `make test`, which starts the database")
        }
        return url
    }

    /// The role that migrates and imports: the superuser of the plain cluster, Supabase's `postgres`.
    var operatorRole: String? { self == .plain ? nil : "postgres" }

    /// The database a fresh, unmigrated project database is copied from.
    var emptyTemplate: String { self == .plain ? "template0" : "supabase_template" }
}
