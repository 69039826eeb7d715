import PostgresClient
import TestSupport
import Testing

@Suite("Supabase's database linter", .enabled(if: TestPlatform.current == .supabase, "runs on the Supabase-shaped database"))
struct SupabaseLinterTests {
    @Test("the Security and Performance Advisors report no ERROR or WARN on the project's objects")
    func advisorsAreQuiet() throws {
        try TestDatabase.withFresh { database in
            let findings = try SupabaseLinter.findings(in: database)
            #expect(findings.isEmpty, "\(findings)")
        }
    }

    @Test("the linter is heard: a table in public without RLS is an ERROR, a function without a search_path a WARN")
    func linterFindsWhatItShould() throws {
        try TestDatabase.withFresh { database in
            try database.connect().executeScript("""
                CREATE TABLE public.leaky (email text);
                CREATE FUNCTION crm_private.loose() RETURNS int LANGUAGE sql AS 'SELECT 1';
                """)
            let findings = try SupabaseLinter.findings(in: database)
            #expect(findings.contains { $0.hasPrefix("ERROR rls_disabled_in_public public.leaky") }, "\(findings)")
            #expect(findings.contains { $0.hasPrefix("WARN function_search_path_mutable crm_private.loose") }, "\(findings)")
        }
    }
}
