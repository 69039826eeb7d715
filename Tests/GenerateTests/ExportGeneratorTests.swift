import Foundation
import Generate
import PipelineCore
import Testing

/// The export generator through its API (generate through the binary is in PipelineTests).
@Suite("The export generator")
struct ExportGeneratorTests {
    static func generate(users: Int, _ body: (GenerateOptions, [String: Int]) throws -> Void) throws {
        var options = GenerateOptions()
        options.users = users
        options.out = NSTemporaryDirectory() + "crm-generate-module-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        try body(options, try ExportGenerator(options: options).run())
    }

    /// The values of `column` and of `email` in each row of a generated CSV file (the columns read need no
    /// quoting: emails, booleans).
    static func column(_ column: String, of entity: Entity, in options: GenerateOptions) throws -> [(email: Substring, value: Substring)] {
        let lines = try String(contentsOfFile: "\(options.out)/\(entity.name).csv", encoding: .utf8).split(separator: "\n")
        let header = try #require(lines.first).split(separator: ",")
        let email = try #require(header.firstIndex(of: "email")), wanted = try #require(header.firstIndex(of: Substring(column)))
        return lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { ($0[email], $0[wanted]) }
    }

    @Test("the generator returns the rows it wrote per entity, and the files hold exactly those rows")
    func generatorCounts() throws {
        try Self.generate(users: 200) { options, counts in
            #expect(Set(counts.keys) == Set(Entity.crmRecords.map(\.name)))
            #expect(counts["users"].map { $0 >= 200 } == true, "every user, plus duplicates and bad rows")
            for entity in Entity.crmRecords {
                let text = try String(contentsOfFile: "\(options.out)/\(entity.name).csv", encoding: .utf8)
                // Rows are records; a quoted field never holds a line break in generated files.
                #expect(text.split(separator: "\n").count - 1 == counts[entity.name], "\(entity)")
            }
        }
    }

    @Test("no user is charged more recordings than the credit rule gives them")
    func chargesWithinTheRule() throws {
        var options = GenerateOptions()
        options.users = 300
        options.badRows = 0
        options.duplicates = 0
        options.out = NSTemporaryDirectory() + "crm-generate-rule-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        _ = try ExportGenerator(options: options).run()
        var payments: [Substring: Int] = [:], charged: [Substring: Int] = [:]
        for row in try Self.column("email", of: .payments, in: options) { payments[row.email, default: 0] += 1 }
        for row in try Self.column("credit_charged", of: .recordings, in: options) where row.value == "true" {
            charged[row.email, default: 0] += 1
        }
        #expect(!charged.isEmpty)
        for (email, count) in charged {
            #expect(CreditRule.balance(payments: payments[email] ?? 0, chargedRecordings: count) >= 0, "\(email)")
        }
    }
}
