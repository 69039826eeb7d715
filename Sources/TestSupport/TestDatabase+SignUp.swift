import Foundation
import PostgresClient

extension TestDatabase {
    /// Signs `email` up as GoTrue does and returns the new account's id. GoTrue trims and lower-cases the
    /// address; an SSO account (`sso`) is marked so, and its email need not be unique. On Supabase the row
    /// is written as `supabase_auth_admin` with the columns GoTrue writes; on plain PostgreSQL, into the
    /// shim's `auth.users`.
    @discardableResult
    public func signUp(_ email: String, sso: Bool = false) throws -> String {
        try Self.signUp([email], sso: sso, gotrue: platform == .supabase, on: try connectAsAuth())[0].userID
    }

    /// Signs every email up at once (a project that migrates its users in bulk) and returns the accounts.
    public func signUp(_ emails: [String]) throws -> [AppUser] {
        try Self.signUp(emails, gotrue: platform == .supabase, on: try connectAsAuth())
    }

    /// Opens a connection as the role that writes `auth.users`: GoTrue's `supabase_auth_admin` on Supabase, the
    /// operator on plain PostgreSQL. (For a sign-up a test holds open, with ``signUp(_:sso:gotrue:on:)``.)
    public func connectAsAuth() throws -> PostgresConnection {
        try PostgresConnection(url: platform == .plain ? url : url(as: "supabase_auth_admin"), applicationName: "gotrue (tests)")
    }

    /// Inserts one account per email on `connection` and returns them in the order given.
    ///
    /// - Parameter gotrue: Write the columns GoTrue writes (Supabase's `auth.users`), else only the shim's.
    public static func signUp(_ emails: [String], sso: Bool = false, gotrue: Bool, on connection: PostgresConnection) throws -> [AppUser] {
        let query: SQLQuery = gotrue
            ? """
            INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_sso_user)
            SELECT '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
                   lower(btrim(e.email)), '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), \(bind: sso)
            FROM unnest(\(bind: emails)::text[]) WITH ORDINALITY AS e(email, n) ORDER BY e.n
            RETURNING id, email
            """
            : """
            INSERT INTO auth.users (id, email, is_sso_user)
            SELECT gen_random_uuid(), lower(btrim(e.email)), \(bind: sso)
            FROM unnest(\(bind: emails)::text[]) WITH ORDINALITY AS e(email, n) ORDER BY e.n
            RETURNING id, email
            """
        let accounts = Dictionary(try connection.query(query).rows.map { (try $0.decode(String.self, "email"), try $0.decode(String.self, "id")) },
                                  uniquingKeysWith: { first, _ in first })
        return try emails.map { email in
            let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
            guard let id = accounts[normalized] else { throw TestSupportError("no account was made for \(email)") }
            return AppUser(email: normalized, userID: id)
        }
    }
}
