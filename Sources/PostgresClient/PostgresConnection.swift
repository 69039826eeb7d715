internal import CLibPQ
import Foundation
import Logging

/// One session with PostgreSQL over libpq. It closes itself when released.
///
/// Every statement with values goes through ``query(_:_:)`` with parameters (`PQexecParams`); only
/// migration scripts, which have no values, use ``executeScript(_:)``.
public final class PostgresConnection {
    let handle: OpaquePointer
    private let redactor: Redactor
    /// The server's notices and warnings, logged; kept as long as the connection.
    private let notices: NoticeLog
    /// How many ``withSavepoint(_:)`` calls are open, which names their savepoints.
    var savepointDepth = 0

    /// Where this connection goes, as `host=… port=… database=… user=…` (never a password).
    public let target: String

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - url: A `postgresql://` URL or a `key=value` connection string. When `nil`, libpq's own defaults
    ///     apply: `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGSERVICE`, `~/.pgpass`, `PGSSLMODE`.
    ///   - applicationName: Shown in `pg_stat_activity`, unless the URL names another.
    ///   - logger: Where the server's notices and warnings go, at their level.
    /// - Throws: ``PostgresError`` with code `connectionFailed`, naming host, port and database, or
    ///   `invalidConnectionString` when the URL cannot be parsed.
    public init(url: String?, applicationName: String = "crm-pipeline", logger: Logger = Logger(label: "crm-pipeline.postgres")) throws {
        // Parsed first, so that a syntax error is reported without quoting the URL (or its password).
        let parsed = try url.map { try ConnectionString($0) }
        var settings: [(String, String)] = [("application_name", applicationName)]
        if ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            settings.append(("connect_timeout", "10"))
        }
        // Values expanded from the URL override the defaults before them.
        if let url { settings.append(("dbname", url)) }
        let connection = withCStringArrays(settings) { keywords, values in
            PQconnectdbParams(keywords, values, 1)
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        handle = connection
        redactor = Redactor(password: parsed?.password, connection: connection)
        target = Self.describeTarget(of: connection)
        notices = NoticeLog(logger: logger, redactor: redactor)
        guard PQstatus(connection) == CONNECTION_OK else {
            // Every property is set, so deinit frees the failed connection.
            let message = redactor.redact(Self.trimmed(String(cString: PQerrorMessage(connection))))
            throw PostgresError(code: .connectionFailed, message: message, target: target)
        }
        notices.attach(to: connection)
    }

    deinit {
        PQfinish(handle)
    }

    /// Opens a connection, lends it to `body`, and closes it afterwards.
    @discardableResult
    public static func withConnection<T>(
        url: String?, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        let connection = try PostgresConnection(url: url)
        return try body(connection)
    }

    /// Runs one statement; its values travel as parameters (`PQexecParams`), never in the text.
    ///
    /// - Returns: The rows and the affected-row count.
    /// - Throws: ``PostgresError`` with the server's SQLSTATE, message, detail and hint.
    @discardableResult
    public func query(_ query: SQLQuery) throws -> QueryResult {
        let (sql, parameters) = query.rendered
        return try execute(sql, parameters, summary: query.summary)
    }

    /// Runs one statement whose text is a compile-time constant, with its values as positional parameters
    /// (`$1`, `$2`, …): a text that cannot have been built from data.
    @discardableResult
    public func query(_ sql: StaticString, _ parameters: [(any SQLParameter)?]) throws -> QueryResult {
        let text = sql.description
        return try execute(text, parameters.map { $0?.sqlText }, summary: SQLQuery(text: text).summary)
    }

    private func execute(_ sql: String, _ parameters: [String?], summary: String) throws -> QueryResult {
        for parameter in parameters where parameter?.utf8.contains(0) == true {
            throw PostgresError(
                code: .invalidParameter, message: "a text value contains a NUL byte, which PostgreSQL cannot store")
        }
        let result = withOptionalCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result, query: summary)
    }

    /// `value` as an SQL string literal, escaped by libpq for this connection's encoding: only for the
    /// statements that take no parameters (`SET`).
    public func escapeLiteral(_ value: String) throws -> String {
        guard let escaped = PQescapeLiteral(handle, value, value.utf8.count) else { throw lastError() }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Runs a script of several statements that carries no values (a migration file), one statement
    /// at a time, as psql does (see ``SQLScript``).
    ///
    /// - Throws: ``PostgresError`` for the first statement that fails; the rest do not run.
    public func executeScript(_ sql: String) throws {
        for statement in SQLScript.statements(in: sql) {
            try execute(text: statement)
        }
    }

    /// Runs one statement that takes no values (a script's, a `SET` with an escaped literal).
    @discardableResult
    func execute(text: String) throws -> QueryResult {
        try consume(PQexec(handle, text), query: SQLQuery(text: text).summary)
    }

    /// Turns a libpq result into a ``QueryResult`` or an error, and frees it.
    @discardableResult
    func consume(_ result: OpaquePointer?, query: String) throws -> QueryResult {
        guard let result else { throw lastError() }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return QueryResult(result, query: query)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            throw error(from: result)
        default:
            throw PostgresError(
                code: .protocolViolation,
                message: "unexpected result status \(String(cString: PQresStatus(PQresultStatus(result))))")
        }
    }

    /// The error described by a failed result.
    func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return redactor.redact(String(cString: value))
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE).map(SQLState.init(rawValue:))
        let primary = field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? Self.trimmed(redactor.redact(String(cString: PQresultErrorMessage(result))))
        let lost = sqlState == nil ? isBroken() : PQstatus(handle) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionLost : .server, sqlState: sqlState, message: primary,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL), hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME), target: target)
    }

    /// Whether the connection is gone. A statement that could not be sent (the server went away mid-run)
    /// leaves the status OK until libpq reads again: reading what is there marks a closed connection as such.
    private func isBroken() -> Bool {
        if PQstatus(handle) == CONNECTION_OK { _ = PQconsumeInput(handle) }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// The error libpq holds for the connection itself (no result was returned).
    func lastError() -> PostgresError {
        let message = redactor.redact(Self.trimmed(String(cString: PQerrorMessage(handle))))
        let lost = isBroken()
        return PostgresError(
            code: lost ? .connectionLost : .protocolViolation,
            message: message.isEmpty ? "no response from the server" : message, target: target)
    }

    private static func describeTarget(of connection: OpaquePointer) -> String {
        func value(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
            pointer.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        }
        return "host=\(value(PQhost(connection))) port=\(value(PQport(connection)))"
            + " database=\(value(PQdb(connection))) user=\(value(PQuser(connection)))"
    }

    static func trimmed(_ message: String) -> String {
        message.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Calls `body` with two NULL-terminated C string arrays built from key/value pairs.
private func withCStringArrays<T>(
    _ pairs: [(String, String)],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> T
) -> T {
    let keys = pairs.map { strdup($0.0) }
    let values = pairs.map { strdup($0.1) }
    defer { (keys + values).forEach { free($0) } }
    let keyPointers = keys.map { UnsafePointer($0) } + [nil]
    let valuePointers = values.map { UnsafePointer($0) } + [nil]
    return body(keyPointers, valuePointers)
}

/// Calls `body` with a C array of optional C strings (NULL for SQL NULL).
private func withOptionalCStrings<T>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T
) -> T {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
