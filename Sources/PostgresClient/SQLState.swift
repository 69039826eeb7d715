/// A PostgreSQL error code (SQLSTATE, five characters; Appendix A of the PostgreSQL manual), with the codes this
/// project handles named, so that no code compares against a bare string.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// Class 08: the connection is gone or was refused.
    public var isConnectionException: Bool { rawValue.hasPrefix("08") }

    public static let divisionByZero = SQLState(rawValue: "22012")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let integrityConstraintViolation = SQLState(rawValue: "23000")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let readOnlySQLTransaction = SQLState(rawValue: "25006")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let crashShutdown = SQLState(rawValue: "57P02")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
}
