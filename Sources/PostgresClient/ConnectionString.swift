internal import CLibPQ

/// A parsed libpq connection string or URL, whose settings can be changed and written back.
///
/// Used to point one server's settings at another database (tests, parallel loaders) without
/// touching the text of a URL by hand.
public struct ConnectionString: Sendable, Equatable {
    /// The settings that were given, by libpq keyword (`host`, `port`, `dbname`, `user`, …).
    public private(set) var settings: [String: String]

    /// Parses a `postgresql://` URL or a `key=value` string with libpq's own parser, then checks the values
    /// libpq would only check when connecting (a port that is no number, an unknown `sslmode`), so that a
    /// typo is a usage error (exit 64) that cron does not retry, rather than an unreachable server (69).
    ///
    /// - Throws: ``PostgresError`` with code `invalidConnectionString` when libpq cannot parse it or a value
    ///   is malformed; the message names the setting, never the text or a value.
    public init(_ text: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &errorMessage) else {
            // libpq's reason quotes the offending token, which may be the password: it is not shown.
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(
                code: .invalidConnectionString,
                message: "the database URL or connection string cannot be parsed: check its syntax,"
                    + " and percent-encode special characters of the password in a URL")
        }
        defer { PQconninfoFree(options) }
        var settings: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { settings[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        self.settings = settings
        if let problem = Self.malformedValue(in: settings) {
            throw PostgresError(code: .invalidConnectionString, message: "the database URL or connection string is malformed: \(problem)")
        }
    }

    /// The settings whose values libpq accepts only from a fixed set, or as numbers.
    private static let choices: [String: Set<String>] = [
        "sslmode": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        "target_session_attrs": ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"],
        "gssencmode": ["disable", "prefer", "require"],
    ]

    /// What is wrong with a value, or `nil` when libpq will accept every one.
    static func malformedValue(in settings: [String: String]) -> String? {
        if let ports = settings["port"] {
            // One port per host, comma-separated; an empty one means the default.
            let valid = ports.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { port in
                port.isEmpty || UInt16(port).map { $0 > 0 } == true
            }
            if !valid { return "the port must be a number from 1 to 65535" }
        }
        if let timeout = settings["connect_timeout"], Int(timeout) == nil {
            return "connect_timeout must be a whole number of seconds"
        }
        for (name, allowed) in choices.sorted(by: { $0.key < $1.key }) {
            if let value = settings[name], !allowed.contains(value) {
                return "\(name) must be one of \(allowed.sorted().joined(separator: ", "))"
            }
        }
        return nil
    }

    /// The password the settings carry, if any.
    var password: String? { settings["password"] }

    /// The same settings with another database name.
    public func with(database: String) -> ConnectionString {
        var copy = self
        copy.settings["dbname"] = database
        return copy
    }

    /// The same settings with another user (and no password: it was the other user's).
    public func with(user: String) -> ConnectionString {
        var copy = self
        copy.settings["user"] = user
        copy.settings["password"] = nil
        return copy
    }

    /// The settings as a `key='value'` string that libpq accepts, in a stable order.
    public var text: String {
        settings.keys.sorted().map { key in
            var quoted = "'"
            for character in settings[key] ?? "" {
                if character == "'" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return "\(key)=\(quoted)'"
        }.joined(separator: " ")
    }
}
