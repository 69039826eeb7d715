import Foundation
import PostgresClient
@testable import Report
import Testing

@Suite("Report buckets and the summary document")
struct ReportBucketsTests {
    private static func day(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "T00:00:00Z")! }

    @Test("a month: twelve month buckets, the period is the last")
    func month() throws {
        let buckets = ReportBuckets(period: try #require(ReportPeriod.month("2024-05")), months: 12)
        #expect(buckets.bounds.count == 13)
        #expect(buckets.bounds.first == Self.day("2023-06-01") && buckets.bounds.last == Self.day("2024-06-01"))
        #expect(buckets.periodBuckets == 12...12)
        #expect(buckets.firstMonth == Self.day("2023-06-01"))
    }

    @Test("days inside a month cut it in three; the period is the middle bucket")
    func daysInsideAMonth() throws {
        let buckets = ReportBuckets(period: try #require(ReportPeriod.days(from: "2024-05-10", to: "2024-05-19")), months: 12)
        #expect(buckets.bounds.suffix(4) == [Self.day("2024-05-01"), Self.day("2024-05-10"), Self.day("2024-05-20"), Self.day("2024-06-01")])
        #expect(buckets.bounds[buckets.periodBuckets.lowerBound - 1] == Self.day("2024-05-10"))
        #expect(buckets.bounds[buckets.periodBuckets.upperBound] == Self.day("2024-05-20"))
        #expect(buckets.periodBuckets.count == 1)
    }

    @Test("a period that starts before the series adds its start as the first bound")
    func longerThanTheSeries() throws {
        let buckets = ReportBuckets(period: try #require(ReportPeriod.days(from: "2022-03-01", to: "2024-05-31")), months: 12)
        #expect(buckets.bounds.first == Self.day("2022-03-01"))
        #expect(buckets.periodBuckets == 1...13)
        #expect(buckets.firstMonth == Self.day("2023-06-01"))
    }

    @Test("a summary document without its parts or a figure is an unexpected result, not a crash")
    func malformedDocument() throws {
        for json in ["[]", "{\"figures\": {}}", "not json"] {
            #expect(throws: PostgresError.self) { try SummaryDocument.decode(json) }
        }
        let document = try SummaryDocument.decode(#"{"figures": {"users_total": 3}, "months": [], "top": []}"#)
        #expect(try document.figure("users_total") == 3)
        let error = try #require(throws: PostgresError.self) { try document.figure("users_new") }
        #expect(error.code == .unexpectedResult && error.message.contains("users_new"))
        let mistyped = try SummaryDocument.decode(#"{"figures": {}, "months": [{"month": 5}], "top": []}"#)
        #expect(throws: PostgresError.self) { try mistyped.months([ReportColumn("month", "Month", .text)]) }
        let empty = try SummaryDocument.decode(#"{"figures": {}, "months": [{"month": null}], "top": []}"#)
        #expect(try empty.months([ReportColumn("month", "Month", .text)]) == [[.empty]])
    }
}
