import PostgresClient

extension TestDatabase {
    /// Signs `email` up as GoTrue does and returns the new account's id. GoTrue trims and lower-cases the
    /// address; an SSO account (`sso`) is marked so, and its email need not be unique. On Supabase the row
    /// is written as `supabase_auth_admin` with the columns GoTrue writes; on plain PostgreSQL, into the
    /// shim's `auth.users`.
    @discardableResult
    public func signUp(_ email: String, sso: Bool = false) throws -> String {
        let query: SQLQuery = platform == .plain
            ? "INSERT INTO auth.users (id, email, is_sso_user) VALUES (gen_random_uuid(), lower(btrim(\(bind: email))), \(bind: sso)) RETURNING id"
            : """
            INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                    raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_sso_user)
            VALUES ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
                    lower(btrim(\(bind: email))), '', now(), '{"provider": "email", "providers": ["email"]}', '{}', now(), now(),
                    \(bind: sso))
            RETURNING id
            """
        let role = platform == .plain ? nil : "supabase_auth_admin"
        return try PostgresConnection.withConnection(url: role.map { url(as: $0) } ?? url) { connection in
            try connection.query(query).scalar(String.self)
        }
    }
}
