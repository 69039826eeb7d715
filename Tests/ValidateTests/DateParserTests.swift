import Foundation
import Testing
import Validate

@Suite("Dates")
struct DateParserTests {
    @Test("ISO 8601 forms, all to the same UTC instant or as stated", arguments: [
        ("2024-03-14", "2024-03-14 00:00:00.000000+00"),
        ("2024-03-14T10:20", "2024-03-14 10:20:00.000000+00"),
        ("2024-03-14 10:20:30", "2024-03-14 10:20:30.000000+00"),
        ("2024-03-14T10:20:30Z", "2024-03-14 10:20:30.000000+00"),
        ("2024-03-14T10:20:30.5Z", "2024-03-14 10:20:30.500000+00"),
        ("2024-03-14T10:20:30.123456789+00:00", "2024-03-14 10:20:30.123456+00"),
        ("2024-03-14T00:46:24.713-05:00", "2024-03-14 05:46:24.713000+00"),
        ("2024-03-14T23:30:00+0130", "2024-03-14 22:00:00.000000+00"),
        ("2024-03-01T01:00:00+02", "2024-02-29 23:00:00.000000+00"),
        ("1969-12-31T23:59:59Z", "1969-12-31 23:59:59.000000+00"),
    ])
    func iso8601(text: String, expected: String) throws {
        let instant = try #require(DateParser().parse(text))
        #expect(instant.description == expected)
    }

    @Test("impossible or malformed dates are refused", arguments: [
        "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-03-14T24:00", "2024-03-14T10:60",
        "2024-03-14T10:20:61", "14/03/2024", "2024-3-14", "2024-03-14T", "2024-03-14Z", "", "yesterday",
        "2024-03-14T10:20:30+25:00", "2024-03-14T10:20:30.Z",
    ])
    func refused(text: String) {
        #expect(DateParser().parse(text) == nil)
    }

    @Test("a -05:00 instant that reads earlier sorts after a Z one")
    func ordering() throws {
        let zulu = try #require(DateParser().parse("2024-03-14T12:00:00Z"))
        let eastern = try #require(DateParser().parse("2024-03-14T08:30:00-05:00"))
        #expect(zulu < eastern)
        #expect("2024-03-14T08:30:00-05:00" < "2024-03-14T12:00:00Z")
    }

    @Test("a mapping's pattern and time zone")
    func pattern() throws {
        let parser = DateParser(patterns: ["yyyy-MM-dd HH:mm"], zone: TimeZone(identifier: "Europe/Paris")!)
        #expect(parser.parse("2024-07-01 14:30")?.description == "2024-07-01 12:30:00.000000+00")
        #expect(parser.parse("2024-01-15 14:30")?.description == "2024-01-15 13:30:00.000000+00")
        #expect(parser.parse("2024-07-01T14:30") == nil)
        #expect(parser.parse("2024-02-30 10:00") == nil)
        let salesforce = DateParser(patterns: ["yyyy-MM-dd'T'HH:mm:ss.SSSZ"])
        #expect(salesforce.parse("2024-04-11T08:30:00.000+0000")?.description == "2024-04-11 08:30:00.000000+00")
    }

    @Test("ISO dates without an offset are in the mapping's zone")
    func zoneForNaiveDates() throws {
        let parser = DateParser(zone: TimeZone(identifier: "America/New_York")!)
        #expect(parser.parse("2024-07-01T12:00")?.description == "2024-07-01 16:00:00.000000+00")
        #expect(parser.parse("2024-07-01T12:00Z")?.description == "2024-07-01 12:00:00.000000+00")
    }
}
