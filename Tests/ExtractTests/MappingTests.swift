import Extract
import Foundation
import PipelineCore
import TestSupport
import Testing

/// The project's folder, for the shipped mappings and samples.
let projectRoot = SharedFolder.projectRoot

func readAll(_ source: any RecordSource) throws -> [SourceRecord] {
    var records: [SourceRecord] = []
    while let record = try source.next() { records.append(record) }
    return records
}

@Suite("Mappings")
struct MappingTests {
    @Test("the shipped HubSpot mapping reads the HubSpot sample: quoted headers, dates, extra columns ignored")
    func hubSpotSample() throws {
        let mapping = try MappingLoader.load(path: projectRoot + "/pipelines/mappings/hubspot-contacts.yml")
        let sample = projectRoot + "/samples/hubspot/hubspot-contacts-2024-06.csv"
        let file = try InputFile.classify(sample, format: nil, mapping: mapping)
        #expect(file.entity == .users)
        let records = try readAll(try file.open(mapping: mapping, options: CSVOptions()))
        #expect(records.count == 6)
        #expect(records[0][.email] == "Ana.Garcia@Example.com")
        #expect(records[0][.firstName] == "Ana")
        #expect(records[0][.crmUserID] == "51234")
        #expect(records[0][.createdAt] == "2024-05-02 09:14")
        #expect(records[1][.lastName] == "Yamada")
        #expect(records[4][.firstName] == "Ana")
        #expect(records.allSatisfy { $0.problem == nil })
        #expect(mapping.entities[.users]?.dateFormats[.createdAt]?.first == "yyyy-MM-dd HH:mm")
    }

    @Test("the shipped Salesforce-style mapping reads its XML sample: record element, prefixes, empty elements")
    func salesforceSample() throws {
        let mapping = try MappingLoader.load(path: projectRoot + "/pipelines/mappings/salesforce-contacts.yml")
        let sample = projectRoot + "/samples/salesforce/salesforce-contacts-2024-06.xml"
        let records = try readAll(try InputFile.classify(sample, format: nil, mapping: mapping).open(mapping: mapping, options: CSVOptions()))
        #expect(records.map(\.entity) == [.users, .users])
        #expect(records.map(\.location.line) == [6, 15])
        #expect(records[0][.email] == "mariana.souza@example.com.br")
        #expect(records[1][.lastName] == "O'Brien & Co")
        #expect(records[1][.phone] == "")
        #expect(records[0][.crmUserID] == "0035g00000A1bCdAAB")
    }

    @Test("constants fill a field for every row, and unnamed entities keep their native columns")
    func constantsAndNativeFallback() throws {
        let mapping = try MappingLoader.parse("""
            job_requests:
              columns:
                job_title: Position
              constants:
                status: imported
            """, path: "m.yml")
        let path = TestFiles.write("email,Position,external_id\na@x.io,Nurse,J1\n", name: "job_requests.csv")
        let records = try readAll(try CSVRecordSource(path: path, entity: .jobRequests, mapping: mapping.entities[.jobRequests], options: CSVOptions()))
        #expect(records[0][.jobTitle] == "Nurse")
        #expect(records[0][.status] == "imported")
        #expect(records[0][.externalID] == "J1")
        #expect(mapping.entities[.users] == nil)
    }

    @Test("every mapping error is a usage error naming the mapping's line", arguments: [
        ("contacts:\n  columns: {}\n", 1, "unknown entity"),
        ("users:\n  columns:\n    email: Email\n    favourite_color: Color\n", 4, "no field \"favourite_color\""),
        ("users:\n  colums:\n    email: Email\n", 2, "unknown setting \"colums\""),
        ("users:\n  date_formats:\n    created_at: \"yyyy-MM-ddThh:mm\"\n", 3, "not a date field letter"),
        ("users:\n  date_formats:\n    created_at: \"HH:mm\"\n", 3, "year and a month"),
        ("users:\n  date_formats:\n    first_name: \"yyyy-MM-dd\"\n", 3, "not a date field"),
        ("users:\n  timezone: Mars/Olympus\n", 2, "unknown time zone"),
        ("users:\n  columns:\n    email: {a: b}\n", 3, "expected a column name for email"),
        ("users:\n  columns:\n    email: []\n", 3, "expected at least one column name for email"),
        ("users:\n  columns:\n    email: Email\n   bad indent: x\n", 4, "not valid YAML"),
    ])
    func mappingErrors(yaml: String, line: Int, message: String) throws {
        let error = try #require(throws: MappingError.self) { try MappingLoader.parse(yaml, path: "bad.yml") }
        #expect(error.exitStatus == .usage)
        #expect(error.location.line == line, "\(error)")
        #expect(error.description.contains(message), "\(error)")
        #expect(error.description.hasPrefix("bad.yml:\(line)"))
    }

    @Test("a column mapped to an optional field may be absent: the file loads, the field is empty, and the source says so once")
    func absentOptionalColumn() throws {
        let mapping = try MappingLoader.parse("""
            users:
              columns:
                email: Email
                updated_at: Last Modified Date
                phone: Phone Number
            """, path: "m.yml")
        let path = TestFiles.write("Email,Phone Number\na@x.io,+1 555\nb@x.io,\n", name: "contacts.csv")
        let source = try CSVRecordSource(path: path, entity: .users, mapping: mapping.entities[.users], options: CSVOptions())
        let records = try readAll(source)
        #expect(records.map { $0[.email] } == ["a@x.io", "b@x.io"])
        #expect(records.allSatisfy { $0[.updatedAt] == nil && $0.problem == nil })
        #expect(records[0][.phone] == "+1 555")
        #expect(source.notes == ["\(path) has no column \"Last Modified Date\", which the mapping names for updated_at: the field is left empty"])
    }

    @Test("an optional field's mapped XML element that no record has is noted; a required one's is an error")
    func absentOptionalElement() throws {
        let mapping = try MappingLoader.parse("users:\n  record: contact\n  columns:\n    email: mail\n    phone: '@tel'\n", path: "m.yml")
        let source = try XMLRecordSource(path: TestFiles.write("<export><contact><mail>a@x.io</mail></contact></export>", name: "c.xml"), mapping: mapping)
        #expect(try readAll(source).map { $0[.email] } == ["a@x.io"])
        #expect(source.notes.count == 1)
        #expect(source.notes.first?.contains("attribute \"@tel\", which the mapping names for phone: the field is left empty") == true)
    }

    @Test("files: and date_formats: take one value or a list; an empty list is an error at its line")
    func lists() throws {
        let mapping = try MappingLoader.parse("""
            users:
              files: ["Contact.csv", "*salesforce*.xml"]
              date_formats:
                created_at: ["yyyy-MM-dd HH:mm", "M/d/yyyy h:mm a"]
                updated_at: "yyyy-MM-dd"
            """, path: "m.yml")
        #expect(mapping.entities[.users]?.files == ["Contact.csv", "*salesforce*.xml"])
        #expect(mapping.entity(forFile: "/drop/Contact.csv") == .users)
        #expect(mapping.entity(forFile: "/drop/x-salesforce-1.xml") == .users)
        #expect(mapping.entity(forFile: "/drop/ContactHistory.csv") == nil)
        #expect(mapping.entities[.users]?.dateFormats[.createdAt] == ["yyyy-MM-dd HH:mm", "M/d/yyyy h:mm a"])
        #expect(mapping.entities[.users]?.dateFormats[.updatedAt] == ["yyyy-MM-dd"])
        let error = try #require(throws: MappingError.self) {
            try MappingLoader.parse("users:\n  date_formats:\n    created_at: []\n", path: "m.yml")
        }
        #expect(error.location.line == 3)
        #expect(error.description.contains("at least one"))
        #expect(throws: MappingError.self) {
            try MappingLoader.parse("users:\n  date_formats:\n    created_at: [\"yyyy-MM-dd\", \"HH:mm\"]\n", path: "m.yml")
        }
    }

    @Test("a column mapped to a required field that the CSV file lacks is a usage error before any record is read")
    func missingMappedColumn() throws {
        let mapping = try MappingLoader.parse("users:\n  columns:\n    email: E-mail Address\n", path: "m.yml")
        let path = TestFiles.write("Email,Name\na@x.io,A\n", name: "users.csv")
        let error = try #require(throws: MappingError.self) {
            try CSVRecordSource(path: path, entity: .users, mapping: mapping.entities[.users], options: CSVOptions())
        }
        #expect(error.exitStatus == .usage)
        #expect(error.location == SourceLocation(file: "m.yml", line: 3, column: 5))
        #expect(error.description.contains("\"E-mail Address\""))
        #expect(error.description.contains(path))
    }

    @Test("a required field's mapped XML element that no record has is a usage error")
    func missingMappedElement() throws {
        let mapping = try MappingLoader.parse("users:\n  record: contact\n  columns:\n    email: mail\n    phone: '@tel'\n", path: "m.yml")
        let error = try #require(throws: MappingError.self) {
            try readRecords("<export><contact tel=\"1\"><email>a@x.io</email></contact></export>", mapping: mapping)
        }
        #expect(error.description.contains("\"mail\""))
        #expect(error.location.line == 4)
    }

    @Test("attributes of the record element are sources too")
    func attributes() throws {
        let mapping = try MappingLoader.parse("users:\n  record: contact\n  columns:\n    crm_user_id: '@id'\n", path: "m.yml")
        let records = try readRecords("<export><contact id=\"C-9\"><email>a@x.io</email></contact></export>", mapping: mapping)
        #expect(records[0][.crmUserID] == "C-9")
        #expect(records[0][.email] == "a@x.io")
    }
}
