import CLibPQ

/// A parsed libpq connection string or URL, whose settings can be changed and written back.
///
/// Used to point one server's settings at another database (tests, parallel loaders) without
/// touching the text of a URL by hand.
public struct ConnectionString: Sendable, Equatable {
    /// The settings that were given, by libpq keyword (`host`, `port`, `dbname`, `user`, …).
    public private(set) var settings: [String: String]

    /// Parses a `postgresql://` URL or a `key=value` string with libpq's own parser.
    ///
    /// - Throws: ``PostgresError`` with code `invalidConnectionString` when libpq cannot parse it; the message
    ///   never quotes the text.
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
