/// Where a record or an error comes from: the file as the user gave it, and a 1-based line.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The path exactly as given on the command line (or found in a given folder).
    public let file: String
    /// The 1-based line where the record starts (in XML: the line of its start tag).
    public let line: Int
    /// The 1-based column, when known.
    public let column: Int?

    public init(file: String, line: Int, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `path:line:column`, the form editors and Yams use.
    public var description: String {
        "\(file):\(line)" + (column.map { ":\($0)" } ?? "")
    }
}
