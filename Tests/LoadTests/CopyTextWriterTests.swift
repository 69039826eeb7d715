@testable import Load
import Testing

@Suite("CopyTextWriter: COPY's text format")
struct CopyTextWriterTests {
    @Test("tab-separated rows, \\N for NULL, and backslash, tab, line feed and carriage return escaped")
    func rows() {
        var writer = CopyTextWriter()
        writer.appendRow(["ana@example.com", nil, "García", ""])
        writer.appendRow(["a\\b", "tab\there", "two\nlines", "cr\rhere", "日本"])
        #expect(writer.rows == 2)
        #expect(String(decoding: writer.bytes, as: UTF8.self)
            == "ana@example.com\t\\N\tGarcía\t\na\\\\b\ttab\\there\ttwo\\nlines\tcr\\rhere\t日本\n")
        writer.removeAll()
        #expect(writer.rows == 0 && writer.bytes.isEmpty)
    }
}
