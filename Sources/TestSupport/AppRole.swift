import PostgresClient

/// A database role the app uses, as Supabase's PostgREST assumes it for a request.
public enum AppRole: Sendable, CustomStringConvertible {
    /// Not signed in.
    case anon
    /// Signed in as the `auth.users` row with this id.
    case authenticated(userID: String)
    /// The backend's full-access role (BYPASSRLS).
    case serviceRole

    var roleName: String {
        switch self {
        case .anon: "anon"
        case .authenticated: "authenticated"
        case .serviceRole: "service_role"
        }
    }

    var claims: String {
        switch self {
        case .anon: #"{"role":"anon"}"#
        case .authenticated(let userID): #"{"role":"authenticated","sub":"\#(userID)"}"#
        case .serviceRole: #"{"role":"service_role"}"#
        }
    }

    public var description: String { roleName }
}

extension PostgresConnection {
    /// Runs `body` as `role` the way PostgREST does (`SET LOCAL ROLE` and the JWT claims, inside a
    /// transaction), then rolls everything back, so each check starts from the same data.
    ///
    /// - Returns: What `body` returns.
    @discardableResult
    public func asRole<T>(_ role: AppRole, _ body: (PostgresConnection) throws -> T) throws -> T {
        try transaction { connection in
            try connection.query("SET LOCAL ROLE \(ident: role.roleName)")
            try connection.setLocal("request.jwt.claims", to: role.claims)
            return .rollback(try body(connection))
        }
    }
}
