import PostgresClient
import TestSupport
import Testing

@Suite("Account links, through the binary")
struct AccountLinkImportTests {
    @Test("an import links each CRM user to the one non-SSO account of its email, matched exactly; SSO accounts and emails not stored lower-case are left alone")
    func linksTheAccountOfTheEmail() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let account = try database.signUp("plain@example.com")
            try database.signUp("sso@example.com", sso: true)
            // Written by something other than GoTrue, not lower-cased.
            try database.connectAsSuperuser().query("INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), 'Mixed@Example.com')")
            harness.write("users.csv", "email,first_name\n PLAIN@Example.com ,Pat\nsso@example.com,Sam\nmixed@example.com,Max\n")
            let outcome = try harness.run()
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let links = try database.connect().query("""
                SELECT u.email, u.user_id AS crm_user_id, p.user_id AS profile_user_id
                FROM "digital_resume_by_CRM" u JOIN profiles p USING (email) ORDER BY u.email
                """).all(as: LinkedAccounts.self)
            #expect(links == [
                LinkedAccounts(email: "mixed@example.com", crmUserID: nil, profileUserID: nil),
                LinkedAccounts(email: "plain@example.com", crmUserID: account, profileUserID: account),
                LinkedAccounts(email: "sso@example.com", crmUserID: nil, profileUserID: nil),
            ])
            #expect(try harness.invariantViolations().isEmpty)
        }
    }
}

/// A CRM user's email and the account its CRM row and its profile are linked to.
private struct LinkedAccounts: Equatable {
    let email: String
    let crmUserID: String?
    let profileUserID: String?
}

extension LinkedAccounts: RowDecodable {
    init(row: Row) throws {
        email = try row.decode(String.self, "email")
        crmUserID = try row.decode(String?.self, "crm_user_id")
        profileUserID = try row.decode(String?.self, "profile_user_id")
    }
}
