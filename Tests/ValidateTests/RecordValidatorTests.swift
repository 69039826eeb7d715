import Extract
import Foundation
import PipelineCore
import Testing
import Validate

func record(_ entity: Entity, _ values: [Field: String], line: Int = 7, problem: SourceRecord.Problem? = nil) -> SourceRecord {
    SourceRecord(
        entity: entity, location: SourceLocation(file: "in.csv", line: line),
        values: entity.fields.map { values[$0] }, problem: problem)
}

@Suite("Record validation")
struct RecordValidatorTests {
    static let now = ISO8601DateFormatter().date(from: "2025-01-01T00:00:00Z")!

    func validate(_ record: SourceRecord, credits: RecordValidator.CreditPolicy = .charge, mapping: Mapping? = nil) -> Result<ValidatedRecord, Reject> {
        var validator = RecordValidator(mapping: mapping, creditPolicy: credits, now: Self.now)
        return validator.validate(record)
    }

    func reason(_ result: Result<ValidatedRecord, Reject>) -> RejectReason? {
        if case .failure(let reject) = result { return reject.reason }
        return nil
    }

    @Test("one reject reason per rule, with the field and the value", arguments: [
        (Entity.users, [Field.email: "not-an-email"], RejectReason.invalidEmail, Field?.some(.email)),
        (.users, [.email: "  "], .missingRequired, .email),
        (.jobRequests, [.email: "a@x.io"], .missingRequired, .jobTitle),
        (.users, [.email: "a@x.io", .createdAt: "2024-02-30"], .invalidDate, .createdAt),
        (.users, [.email: "a@x.io", .createdAt: "2030-01-01"], .futureDate, .createdAt),
        (.recordings, [.email: "a@x.io", .videoURL: "ftp://x.io/v"], .invalidURL, .videoURL),
        (.recordings, [.email: "a@x.io", .videoURL: "/videos/1.mp4"], .invalidURL, .videoURL),
        (.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1", .durationSeconds: "12.5"], .invalidNumber, .durationSeconds),
        (.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1", .durationSeconds: "-1"], .outOfRange, .durationSeconds),
        (.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1", .creditCharged: "maybe"], .invalidNumber, .creditCharged),
        (.payments, [.email: "a@x.io", .amountCents: "0", .paidAt: "2024-01-01"], .outOfRange, .amountCents),
        (.payments, [.email: "a@x.io", .amountCents: "12x", .paidAt: "2024-01-01"], .invalidNumber, .amountCents),
        (.payments, [.email: "a@x.io", .amountCents: "100"], .missingRequired, .paidAt),
        (.resumes, [.email: "a@x.io", .fileURL: "https:///nohost"], .invalidURL, .fileURL),
    ])
    func rejects(entity: Entity, values: [Field: String], expected: RejectReason, field: Field?) throws {
        let result = validate(record(entity, values))
        guard case .failure(let reject) = result else {
            Issue.record("expected \(expected), got \(result)")
            return
        }
        #expect(reject.reason == expected)
        #expect(reject.field == field)
        #expect(reject.location == SourceLocation(file: "in.csv", line: 7))
        #expect(reject.entity == entity)
        #expect(!reject.message.isEmpty)
    }

    @Test("row problems become malformed_row and too_large")
    func rowProblems() {
        #expect(reason(validate(record(.users, [.email: "a@x.io"], problem: .wrongFieldCount(expected: 3, found: 2)))) == .malformedRow)
        #expect(reason(validate(record(.users, [.email: "a@x.io"], problem: .textAfterClosingQuote(field: 2)))) == .malformedRow)
        #expect(reason(validate(record(.users, [.email: "a@x.io"], problem: .tooLarge("field 2 is over 1 MiB")))) == .tooLarge)
    }

    @Test("values are normalized: email, dates in UTC, booleans, currency, trimmed text")
    func normalization() throws {
        let user = try validate(record(.users, [.email: " Ann@X.IO ", .firstName: "  Ann ", .createdAt: "2024-03-14T08:30:00-05:00"])).get()
        #expect(user[.email] == "ann@x.io")
        #expect(user[.firstName] == "Ann")
        #expect(user[.createdAt] == "2024-03-14 13:30:00.000000+00")
        #expect(user[.lastName] == nil)
        let payment = try validate(record(.payments, [.email: "a@x.io", .amountCents: "900", .paidAt: "2024-01-02", .currency: "eur"])).get()
        #expect(payment[.currency] == "EUR")
        let recording = try validate(record(.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1", .creditCharged: "No"])).get()
        #expect(recording[.creditCharged] == "f")
    }

    @Test("a mapping's date patterns are tried in order; a date none fits is rejected naming every pattern")
    func severalDatePatterns() throws {
        let mapping = try MappingLoader.parse("""
            users:
              date_formats:
                created_at: ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "M/d/yyyy h:mm a"]
            """, path: "m.yml")
        for (text, expected) in [("2024-01-15 10:00", "2024-01-15 10:00:00.000000+00"), ("2024-01-15 10:00:30", "2024-01-15 10:00:30.000000+00"),
                                 ("3/15/2024 2:30 PM", "2024-03-15 14:30:00.000000+00")] {
            let user = try validate(record(.users, [.email: "a@x.io", .createdAt: text]), mapping: mapping).get()
            #expect(user[.createdAt] == expected, "\(text)")
        }
        guard case .failure(let reject) = validate(record(.users, [.email: "a@x.io", .createdAt: "15.03.2024"]), mapping: mapping) else {
            Issue.record("a date no pattern fits was accepted")
            return
        }
        #expect(reject.reason == .invalidDate)
        #expect(reject.message == #"not a valid date (expected "yyyy-MM-dd HH:mm" or "yyyy-MM-dd HH:mm:ss" or "M/d/yyyy h:mm a")"#)
    }

    @Test("--credits skip loads every recording uncharged")
    func creditsSkip() throws {
        let charged = try validate(record(.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1", .creditCharged: "true"]), credits: .skip).get()
        #expect(charged[.creditCharged] == "f")
        let absent = try validate(record(.recordings, [.email: "a@x.io", .videoURL: "https://v.io/1"])).get()
        #expect(absent[.creditCharged] == "t")
    }

    @Test("a child without an external id gets a deterministic one from its content")
    func contentHash() throws {
        let first = try validate(record(.resumes, [.email: "A@x.io", .fileURL: "https://f.io/cv.pdf"])).get()
        let again = try validate(record(.resumes, [.email: "a@x.io ", .fileURL: "https://f.io/cv.pdf"], line: 99)).get()
        let other = try validate(record(.resumes, [.email: "a@x.io", .fileURL: "https://f.io/other.pdf"])).get()
        #expect(first[.externalID]?.hasPrefix("sha256:") == true)
        #expect(first[.externalID] == again[.externalID])
        #expect(first[.externalID] != other[.externalID])
    }

    @Test("long values are shortened in rejects")
    func shortenedValue() throws {
        let long = String(repeating: "x", count: 500) + "@"
        guard case .failure(let reject) = validate(record(.users, [.email: long])) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reject.value?.count == Reject.maximumValueLength)
        #expect(reject.value?.hasSuffix("…") == true)
    }
}

@Suite("URL checks")
struct URLCheckTests {
    @Test("absolute http(s) URLs with a host pass; the rest is rejected", arguments: [
        ("https://cdn.example.com/v/1.mp4", true), ("HTTP://X.IO", true), ("http://user@host.example:8080/x?y=1#z", true),
        ("https://[2001:db8::1]/v.mp4", true), ("https://", false), ("https:///path", false), ("https://host/with space", false),
        ("ftp://host/x", false), ("mailto:a@example.com", false), ("//host/x", false), ("/relative/x.mp4", false),
        ("https:host/x", false), ("https://:80/x", false), ("https://host/\u{7}", false),
    ])
    func urls(url: String, valid: Bool) throws {
        let result = RecordValidatorTests().validate(record(.recordings, [.email: "a@x.io", .videoURL: url]))
        if valid {
            #expect((try? result.get()) != nil, "\(url)")
        } else {
            #expect(RecordValidatorTests().reason(result) == .invalidURL, "\(url)")
        }
    }
}
