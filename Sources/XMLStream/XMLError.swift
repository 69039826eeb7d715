import PipelineCore

/// Why an XML document was refused. Every case names the file and a line.
public struct XMLError: UserFacingError, Equatable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The document cannot be opened.
        case unreadable
        /// The document is not well-formed XML (libxml2's reason).
        case malformed
        /// The document has a DOCTYPE or an entity other than the five predefined ones: refused
        /// before anything is expanded or fetched.
        case forbiddenConstruct
    }

    public let kind: Kind
    public let location: SourceLocation
    public let reason: String

    public init(kind: Kind, location: SourceLocation, reason: String) {
        self.kind = kind
        self.location = location
        self.reason = reason
    }

    /// Every case names its file (and line), as `file:line: error: …`.
    public var isLocated: Bool { true }

    public var exitStatus: ExitStatus {
        kind == .unreadable ? .noInput : .dataError
    }

    /// `path:line:column: error: reason`, as Yams and compilers print it.
    public var description: String {
        "\(location): error: \(reason)"
    }
}
