import PipelineCore
import Testing

@Suite("Exit status")
struct ExitStatusTests {
    @Test("codes follow sysexits.h")
    func sysexitsValues() {
        #expect(ExitStatus.ok.rawValue == 0)
        #expect(ExitStatus.usage.rawValue == 64)
        #expect(ExitStatus.dataError.rawValue == 65)
        #expect(ExitStatus.noInput.rawValue == 66)
        #expect(ExitStatus.unavailable.rawValue == 69)
        #expect(ExitStatus.software.rawValue == 70)
        #expect(ExitStatus.temporaryFailure.rawValue == 75)
    }
}

@Suite("CSV fields")
struct CSVFieldTests {
    @Test("fields are quoted only when they must be, quotes doubled", arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        ("crlf\r\nline", "\"crlf\r\nline\""), (" leading", "\" leading\""), ("", ""), ("山田 🚀", "山田 🚀"),
    ])
    func quoting(text: String, expected: String) {
        #expect(CSVField.quoted(text) == expected)
    }
}
