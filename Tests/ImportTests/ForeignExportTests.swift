import Foundation
import PostgresClient
import TestSupport
import Testing

/// The shipped mappings on exports in each CRM's own layout, written by `generate --layout`.
@Suite("CRM exports in their own layouts, through the binary")
struct ForeignExportTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let layout: String
        let format: String
        let mapping: String
        var testDescription: String { "\(layout) \(format)" }
    }

    static let cases = [
        Case(layout: "hubspot", format: "csv", mapping: "hubspot-contacts.yml"),
        Case(layout: "salesforce", format: "csv", mapping: "salesforce-contacts.yml"),
        Case(layout: "salesforce", format: "xml", mapping: "salesforce-contacts.yml"),
        Case(layout: "pipedrive", format: "csv", mapping: "pipedrive-persons.yml"),
        Case(layout: "hubspot", format: "xlsx", mapping: "hubspot-contacts.yml"),
        Case(layout: "pipedrive", format: "xlsx", mapping: "pipedrive-persons.yml"),
    ]

    static func load(_ exportCase: Case, requiredOnly: Bool, into database: TestDatabase) throws -> CommandLineRunner.Outcome {
        let harness = ImportHarness(database)
        let generated = try CommandLineRunner.run(["generate", "--layout", exportCase.layout, "--format", exportCase.format,
                                                   "--users", "60", "--seed", "3", "--out", harness.folder]
                                                  + (requiredOnly ? ["--required-only"] : []))
        #expect(generated.status == 0, "\(generated.standardError)")
        return try harness.run(nil, ["--mapping", SharedFolder.projectRoot + "/pipelines/mappings/" + exportCase.mapping])
    }

    /// Each user as `email created-at-to-the-minute first last`, in email order.
    static func users(_ database: TestDatabase) throws -> [String] {
        try database.connect().query("""
            SELECT email || ' ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' '
                   || coalesce(first_name, '-') || ' ' || coalesce(last_name, '-') AS line
            FROM "digital_resume_by_CRM" ORDER BY email
            """).rows.map { try $0.decode(String.self, "line") }
    }

    @Test("every shipped mapping loads its CRM's export: every contact, no reject, the same names and dates", arguments: cases)
    func fullExport(exportCase: Case) throws {
        let reference = try TestDatabase.withFresh { database in
            #expect(try Self.load(Self.cases[3], requiredOnly: false, into: database).status == 0)
            return try Self.users(database)
        }
        try TestDatabase.withFresh { database in
            let outcome = try Self.load(exportCase, requiredOnly: false, into: database)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(!outcome.standardError.contains("reject"), "\(outcome.standardError)")
            let users = try Self.users(database)
            #expect(users.count == 60)
            // The same seed gives the same contacts in every layout; HubSpot's dates have minutes only.
            #expect(users == reference)
            if exportCase.layout == "hubspot" {
                #expect(outcome.standardError.contains("has no column \"Last Modified Date\", which the mapping names for updated_at: the field is left empty"),
                        "HubSpot's view has no Last Modified Date: \(outcome.standardError)")
            }
        }
    }

    @Test("an export of the email column alone loads every contact, and says once which mapped columns it lacks", arguments: cases)
    func requiredColumnsOnly(exportCase: Case) throws {
        try TestDatabase.withFresh { database in
            let outcome = try Self.load(exportCase, requiredOnly: true, into: database)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let users = try Self.users(database)
            #expect(users.count == 60)
            #expect(users.allSatisfy { $0.hasSuffix(" - -") }, "\(users.prefix(2))")
            let notes = outcome.standardError.split(separator: "\n").filter { $0.contains("the field is left empty") }
            // Salesforce's mapping names two more optional columns: IsDeleted and MasterRecordId, in exports taken with
            // deleted records.
            #expect(notes.count == (exportCase.layout == "salesforce" ? 8 : 6), "one note per absent optional column: \(notes)")
        }
    }

    @Test("Pipedrive in its real column set: a person whose only address is Home loads, one whose Work cell holds two keeps the first valid one")
    func pipedriveAddresses() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            harness.write("pipedrive-persons.csv", """
                Person - ID,Person - Name,Person - First name,Person - Last name,Person - Email - Work,Person - Email - Home,Person - Email - Other,Person - Phone - Work,Person - Phone - Mobile
                101,Ann Home,Ann,Home,,ann.home@example.com,,,+1 555 0101
                102,Bo Two,Bo,Two,"not-an-address, bo.two@example.com, bo.else@example.com",bo.home@example.com,,+1 555 0102,

                """)
            let outcome = try harness.run(nil, ["--mapping", SharedFolder.projectRoot + "/pipelines/mappings/pipedrive-persons.yml"])

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try harness.rejectSummary() == [])
            #expect(try harness.scalar(#"SELECT string_agg(email || ' ' || crm_user_id || ' ' || coalesce(phone, '-'), '; ' ORDER BY crm_user_id) FROM "digital_resume_by_CRM""#)
                    == "ann.home@example.com 101 +1 555 0101; bo.two@example.com 102 +1 555 0102")
            #expect(outcome.standardError.contains("addresses left out=2"), "\(outcome.standardError)")
        }
    }

    @Test("a HubSpot date in none of the mapping's styles is rejected naming them all")
    func unknownDateStyle() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            harness.write("hubspot-contacts.csv", "Email,Create Date\na@example.com,15.03.2024 14:30\nb@example.com,3/15/2024 2:30 PM\n")
            let outcome = try harness.run(nil, ["--mapping", SharedFolder.projectRoot + "/pipelines/mappings/hubspot-contacts.yml"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let rejects = try harness.rejects()
            #expect(rejects.count == 1)
            #expect(rejects.first?["reason"] as? String == "invalid_date")
            #expect(rejects.first?["message"] as? String
                == #"not a valid date (expected "yyyy-MM-dd HH:mm" or "yyyy-MM-dd HH:mm:ss" or "M/d/yyyy h:mm a")"#)
            #expect(try harness.scalar("SELECT created_at AT TIME ZONE 'UTC' FROM \"digital_resume_by_CRM\"") == "2024-03-15 14:30:00")
        }
    }
}
