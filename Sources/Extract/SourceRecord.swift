import PipelineCore

/// One record as read from a file: raw text values by field, before validation.
public struct SourceRecord: Sendable, Equatable {
    /// What makes the record unusable as it was read (it becomes a reject, the file still loads).
    public enum Problem: Sendable, Equatable {
        /// The CSV row has more or fewer fields than the header.
        case wrongFieldCount(expected: Int, found: Int)
        /// A field or the whole record is over the size limit.
        case tooLarge(String)
        /// A quoted CSV field has text after its closing quote.
        case textAfterClosingQuote(field: Int)
        /// A field holds a NUL byte (0x00), which PostgreSQL cannot store in text, at this byte offset of
        /// the field's value.
        case nulByte(field: Field, offset: Int)
    }

    /// The kind of record.
    public let entity: Entity
    /// The file as given and the line where the record starts (XML: its start tag).
    public let location: SourceLocation
    /// The raw values, aligned with `entity.fields`: `nil` when the file has no such column or element.
    public var values: [String?]
    /// Set when the record could not be read whole.
    public var problem: Problem?

    public init(entity: Entity, location: SourceLocation, values: [String?], problem: Problem? = nil) {
        self.entity = entity
        self.location = location
        self.values = values
        self.problem = problem
    }

    /// The raw value of `field`, or `nil` when the record has none.
    public subscript(field: Field) -> String? {
        entity.index(of: field).flatMap { values[$0] }
    }
}

/// Anything that yields records from one input file.
public protocol RecordSource: AnyObject {
    /// The path as given.
    var path: String { get }
    /// How many bytes of the file have been read so far (for progress).
    var bytesRead: Int { get }
    /// The next record, or `nil` at the end of the file.
    ///
    /// - Throws: ``ExtractError``, `XMLError` or ``MappingError`` when the file as a whole cannot be used.
    func next() throws -> SourceRecord?
    /// What is worth telling once about the file, complete at its end: the optional fields whose mapped
    /// column or element it lacks (they are left empty).
    var notes: [String] { get }
}
