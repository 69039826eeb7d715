import PipelineCore
import Testing

@Suite("trimmingWhitespace: the ASCII fast path and the Unicode one agree")
struct TrimmingTests {
    @Test("values without surrounding whitespace come back as they are", arguments: [
        "ana@example.com", "x", "García", "a b", "\u{00E9}t\u{00E9}", "e\u{0301}", "日本", "\"quoted\"", "",
    ])
    func unchanged(value: String) {
        #expect(value.trimmingWhitespace() == value)
    }

    @Test("spaces, tabs, line breaks and Unicode spaces go at both ends, never inside", arguments: [
        ("  ana@example.com ", "ana@example.com"), ("\tx\r\n", "x"), ("\u{00A0}García\u{2003}", "García"),
        (" a b ", "a b"), ("\u{3000}日本\u{3000}", "日本"), ("   ", ""), ("\n", ""), ("x ", "x"), (" x", "x"),
    ])
    func trimmed(value: String, expected: String) {
        #expect(value.trimmingWhitespace() == expected)
    }
}
