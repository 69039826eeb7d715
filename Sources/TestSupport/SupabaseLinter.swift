import Foundation
import PostgresClient

/// Supabase's database linter (splinter: the queries behind Studio's Security and Performance Advisors),
/// from `../shared/vendor/supabase/splinter`, run the way Studio runs it.
public enum SupabaseLinter {
    /// The linter's query: every lint in one statement.
    static var queryPath: String { SharedFolder.path + "/vendor/supabase/splinter/splinter.sql" }

    /// The lints at level WARN or ERROR on the project's schemas (`public`, `crm_private`), one line each:
    /// `LEVEL name schema.object: detail`. Empty when the advisors have nothing to say about the project.
    public static func findings(in database: TestDatabase) throws -> [String] {
        let script = try String(contentsOfFile: queryPath, encoding: .utf8)
        // The file sets the search path first (so that names in the details come out qualified), then queries.
        guard let query = script.split(separator: ";", maxSplits: 1).last, script.hasPrefix("set local search_path") else {
            throw TestSupportError("\(queryPath) does not start with splinter's `set local search_path`")
        }
        let lints = SQLQuery(unsafeShippedSQL: String(query))
        return try database.connectAsSuperuser().transaction { connection in
            // What PostgREST exposes on a Supabase project, as Studio sets it for the advisors.
            try connection.setLocal("pgrst.db_schemas", to: "public, graphql_public")
            try connection.query("SET LOCAL search_path = ''")
            return .commit(try connection.query("""
                SELECT lints.level || ' ' || lints.name || ' ' || (lints.metadata ->> 'schema') || '.'
                       || (lints.metadata ->> 'name') || ': ' || lints.detail AS finding
                FROM (\(lints)) lints
                WHERE lints.level IN ('ERROR', 'WARN') AND lints.metadata ->> 'schema' IN ('public', 'crm_private')
                ORDER BY 1
                """).rows.map { try $0.decode(String.self, "finding") })
        }
    }
}
