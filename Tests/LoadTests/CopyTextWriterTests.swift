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

extension CopyTextWriterTests {
    @Test("a UUID field is its two words in hex, 8-4-4-4-12; the client's random ones are version 4, variant 1, and distinct")
    func uuids() {
        var writer = CopyTextWriter()
        writer.appendField(uuid: (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210))
        writer.appendField(uuid: (0, .max))
        writer.endRow()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "01234567-89ab-cdef-fedc-ba9876543210\t00000000-0000-0000-ffff-ffffffffffff\n")
        var ids = RandomUUIDs()
        var seen = Set<String>()
        writer.removeAll()
        // More than one refill's worth.
        for _ in 0..<5_000 {
            writer.appendField(uuid: ids.next())
            let text = String(decoding: writer.bytes, as: UTF8.self)
            writer.removeAll()
            seen.insert(text)
            let digits = Array(text)
            #expect(text.count == 36 && digits[14] == "4" && "89ab".contains(digits[19]), "\(text)")
        }
        #expect(seen.count == 5_000)
    }
}
