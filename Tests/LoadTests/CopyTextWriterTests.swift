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

extension CopyTextWriterTests {
    @Test("numbers are written in decimal beside text fields, the staging's seq, file and line")
    func numbers() {
        var writer = CopyTextWriter()
        for number: Int64 in [0, 7, 10, 1_234_567, -42, .max, .min] {
            writer.appendField(number)
            writer.appendField("x")
            writer.endRow()
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self)
            == "0\tx\n7\tx\n10\tx\n1234567\tx\n-42\tx\n9223372036854775807\tx\n-9223372036854775808\tx\n")
        #expect(writer.rows == 7)
    }
}
