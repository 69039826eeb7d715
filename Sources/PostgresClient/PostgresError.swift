import PipelineCore

/// An error from PostgreSQL or from libpq, with the server's fields kept apart.
///
/// `description` is a sentence for the operator: the server's message and hint, and where a connection
/// failed, the host, port and database. It never contains a password, and it leaves out the server's
/// `detail` (which often quotes row values, such as an email); `detail` stays available to callers.
public struct PostgresError: UserFacingError, CustomDebugStringConvertible {
    /// What kind of failure this is. New codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed = "connection failed"
            case connectionLost = "connection lost"
            case server = "server error"
            case invalidParameter = "invalid parameter"
            case invalidConnectionString = "invalid connection string"
            case protocolViolation = "unexpected response"
            case unexpectedResult = "unexpected result"
            case nestedTransaction = "nested transaction"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection could not be established.
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection broke (server restart, terminated backend, network).
        public static let connectionLost = Code(.connectionLost)
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code(.server)
        /// A parameter value cannot be sent (a text value containing NUL).
        public static let invalidParameter = Code(.invalidParameter)
        /// The database URL or connection string cannot be parsed.
        public static let invalidConnectionString = Code(.invalidConnectionString)
        /// libpq returned something this client did not expect.
        public static let protocolViolation = Code(.protocolViolation)
        /// A result is not what the code reading it expects (a column missing, NULL, of another type).
        public static let unexpectedResult = Code(.unexpectedResult)
        /// A transaction was begun while one is open on the connection.
        public static let nestedTransaction = Code(.nestedTransaction)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The SQLSTATE the server sent, when there is one (``SQLState/uniqueViolation``, …).
    public var sqlState: SQLState?
    /// The primary message (the server's, or libpq's).
    public var message: String
    /// The server's detail line; may contain row values, so it is not part of `description`.
    public var detail: String?
    /// The server's hint, if any.
    public var hint: String?
    /// The name of the violated constraint, if any.
    public var constraint: String?
    /// Where the connection was going: `host=… port=… database=…` (never a password).
    public var target: String?

    public init(
        code: Code, sqlState: SQLState? = nil, message: String, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, target: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.target = target
    }

    /// Whether the error means the database went away, rather than that a statement was wrong.
    public var isConnectionProblem: Bool {
        if code == .connectionFailed || code == .connectionLost { return true }
        guard let sqlState else { return false }
        return sqlState.isConnectionException || [.adminShutdown, .crashShutdown, .cannotConnectNow].contains(sqlState)
    }

    public var exitStatus: ExitStatus {
        if code == .invalidConnectionString { return .usage }
        return isConnectionProblem ? .unavailable : .software
    }

    public var description: String {
        var text: String
        switch code {
        case .connectionFailed:
            text = "cannot connect to PostgreSQL" + (target.map { " (\($0))" } ?? "") + ": " + message
        case .connectionLost:
            // libpq's own text spans several indented lines: one line reads better in a log.
            let flat = message.split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace() }.joined(separator: " ")
            text = "lost the connection to PostgreSQL" + (target.map { " (\($0))" } ?? "") + ": " + flat
        default:
            text = message
        }
        if code != .connectionFailed, let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let hint {
            text += "\nhint: \(hint)"
        } else if code == .connectionLost {
            text += "\nhint: the server restarted or ended this session (a restart, pg_terminate_backend, a timeout); run the command again once it is back"
        }
        return text
    }

    public var debugDescription: String {
        description + (detail.map { "\ndetail: \($0)" } ?? "")
    }
}
