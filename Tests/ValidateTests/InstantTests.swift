import Testing
import Validate

@Suite("Instant: the timestamptz text every date is staged as")
struct InstantTests {
    @Test("UTC, microseconds, zero-padded; days before 1970 and leap days", arguments: [
        (Int64(0), "1970-01-01 00:00:00.000000+00"),
        (1_714_641_240_000_000, "2024-05-02 09:14:00.000000+00"),
        (1_709_164_799_999_999, "2024-02-28 23:59:59.999999+00"),
        (1_709_164_800_000_001, "2024-02-29 00:00:00.000001+00"),
        (-1, "1969-12-31 23:59:59.999999+00"),
        (-2_208_988_800_000_000, "1900-01-01 00:00:00.000000+00"),
        (253_402_300_799_000_000, "9999-12-31 23:59:59.000000+00"),
    ])
    func text(microseconds: Int64, expected: String) {
        #expect(Instant(microseconds: microseconds).description == expected)
        #expect(Instant(normalized: expected)?.microseconds == microseconds, "read back as the binary staging reads it")
    }

    @Test("only the text an Instant writes is read back", arguments: [
        "2024-05-02 09:14:00+00", "2024-05-02T09:14:00.000000+00", "2024-05-02 09:14:00.000000Z", "2024-05-02 09:14:00.000000+01",
        "2024-05-02 09:14:0x.000000+00", "", "2024-05-02 09:14:00.000000+00 ",
    ])
    func otherText(text: String) {
        #expect(Instant(normalized: text) == nil)
    }
}
