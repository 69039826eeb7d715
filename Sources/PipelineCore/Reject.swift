/// Why a row was not loaded: the stable codes of the reject file (SPEC §4.5).
public enum RejectReason: String, Sendable, CaseIterable, Codable {
    case invalidEmail = "invalid_email"
    case missingRequired = "missing_required"
    case invalidDate = "invalid_date"
    case futureDate = "future_date"
    case invalidURL = "invalid_url"
    case invalidNumber = "invalid_number"
    case outOfRange = "out_of_range"
    case unknownUser = "unknown_user"
    case unknownJobRequest = "unknown_job_request"
    case insufficientCredits = "insufficient_credits"
    case malformedRow = "malformed_row"
    case tooLarge = "too_large"
    /// A byte PostgreSQL cannot store in text: NUL (0x00), valid UTF-8 all the same.
    case invalidByte = "invalid_byte"
    /// A rename or merge that would make two users one, or is ambiguous (issue 25).
    case identityConflict = "identity_conflict"
    /// A row of a person erased since, older than their erasure request (issue 25).
    case erased
}

/// One rejected row: where it is, which field, what value, and why.
public struct Reject: Error, Sendable, Equatable {
    public let location: SourceLocation
    public let entity: Entity
    /// The field at fault, or `nil` for the row as a whole (a wrong field count).
    public let field: Field?
    /// The offending value, shortened to ``maximumValueLength`` characters.
    public let value: String?
    public let reason: RejectReason
    /// A sentence for the operator.
    public let message: String

    /// Values longer than this are cut, with an ellipsis.
    public static let maximumValueLength = 80

    public init(location: SourceLocation, entity: Entity, field: Field?, value: String?, reason: RejectReason, message: String) {
        self.location = location
        self.entity = entity
        self.field = field
        self.value = value.map(Self.shorten)
        self.reason = reason
        self.message = message
    }

    private static func shorten(_ value: String) -> String {
        value.count <= maximumValueLength ? value : String(value.prefix(maximumValueLength - 1)) + "…"
    }
}
