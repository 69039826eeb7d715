import Foundation
import TestSupport
import Testing
import Validate

/// The cases of `shared/conformance/email/cases.tsv`: address, expected verdict, source note.
struct EmailCase: Sendable, CustomTestStringConvertible {
    let address: String
    let valid: Bool
    let note: String
    var testDescription: String { "\(address.isEmpty ? "(empty)" : address) → \(valid ? "valid" : "invalid")" }

    static func load() -> [EmailCase] {
        guard let text = try? String(contentsOfFile: SharedFolder.conformance + "/email/cases.tsv", encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count == 3 else { return nil }
            return EmailCase(address: String(columns[0]), valid: columns[1] == "valid", note: String(columns[2]))
        }
    }
}

@Suite("Email addresses")
struct EmailAddressTests {
    @Test("the shared conformance file is there and complete",
          .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)))
    func conformanceFilePresent() {
        let cases = EmailCase.load()
        #expect(cases.count == 285)
        #expect(cases.filter(\.valid).count == 54)
    }

    @Test("every conformance case gets its verdict",
          .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)), arguments: EmailCase.load())
    func conformance(email: EmailCase) {
        #expect(EmailAddress.isValid(EmailAddress.normalize(email.address)) == email.valid, "\(email.note)")
    }

    @Test("the project's own cases: what a CRM export holds, valid and not", arguments: [
        ("ana.garcia@example.com", true), ("o'brien+crm@mail.example.co.uk", true), ("user_1@sub-domain.example.org", true),
        ("josé@example.com", false), ("ana@@example.com", false), ("ana@example", false), ("ana example@x.io", false),
        (".ana@example.com", false), ("ana.@example.com", false), ("ana..garcia@example.com", false), ("", false),
        ("ana@-example.com", false), ("@example.com", false), ("ana@example..com", false),
    ])
    func ownCases(address: String, valid: Bool) {
        #expect(EmailAddress.isValid(EmailAddress.normalize(address)) == valid)
    }

    @Test("normalization trims spaces, tabs and line breaks and lower-cases")
    func normalization() {
        #expect(EmailAddress.normalize(" \tAna.Garcia@Example.COM\r\n") == "ana.garcia@example.com")
    }
}
