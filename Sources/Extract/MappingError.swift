import PipelineCore

/// A mapping file that cannot be used: always a usage error (exit 64), found before anything is loaded.
public struct MappingError: UserFacingError, Equatable {
    /// Where the problem is: in the mapping file, or (for a missing column) in the data file.
    public let location: SourceLocation
    public let reason: String

    public init(_ reason: String, at location: SourceLocation) {
        self.location = location
        self.reason = reason
    }

    public var exitStatus: ExitStatus { .usage }
    public var isLocated: Bool { true }

    public var description: String { "\(location): error: \(reason)" }
}
