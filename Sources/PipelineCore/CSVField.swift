/// Writing one CSV field (RFC 4180), shared by the CSV report and the synthetic exports.
public enum CSVField {
    /// The field as it goes into a CSV line: quoted, with doubled quotes, when it holds a comma, a quote,
    /// a line break (CR or LF, also a CRLF pair) or starts with a space; as it is otherwise.
    public static func quoted(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || text.utf8.first == UInt8(ascii: " ")
        guard needsQuotes else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
