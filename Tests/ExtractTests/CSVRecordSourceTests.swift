import Extract
import Foundation
import PipelineCore
import Testing

@Suite("CSV records and input files")
struct CSVRecordSourceTests {
    @Test("rows with too many or too few fields are marked, not padded, and the file reads on")
    func wrongFieldCount() throws {
        let path = TestFiles.write("email,first_name\na@x.io,Ann\nb@x.io\nc@x.io,Cy,extra\nd@x.io,Di\n")
        let records = try readAll(try CSVRecordSource(path: path, entity: .users, mapping: nil, options: CSVOptions()))
        #expect(records.map(\.problem) == [nil, .wrongFieldCount(expected: 2, found: 1), .wrongFieldCount(expected: 2, found: 3), nil])
        #expect(records[1][.firstName] == nil)
        #expect(records.map(\.location.line) == [2, 3, 4, 5])
        #expect(records[3][.email] == "d@x.io")
    }

    @Test("a NUL byte marks its row with the field and the offset in the value; one in a column no field uses is harmless")
    func nulBytes() throws {
        let path = TestFiles.write(Array("email,first_name,notes\na@x.io,An\u{0}n,ok\nb@x.io,Bo,n\u{0}te\n".utf8))
        let records = try readAll(try CSVRecordSource(path: path, entity: .users, mapping: nil, options: CSVOptions()))
        #expect(records.map(\.problem) == [.nulByte(field: .firstName, offset: 2), nil])
        #expect(records[0][.email] == "a@x.io")
    }

    @Test("a file without a column every record needs is a data error naming it")
    func missingRequiredColumn() throws {
        let path = TestFiles.write("id,job_title\n1,Nurse\n", name: "job_requests.csv")
        let error = try #require(throws: ExtractError.self) {
            try CSVRecordSource(path: path, entity: .jobRequests, mapping: nil, options: CSVOptions())
        }
        #expect(error == .missingColumn(file: path, column: "email", entity: .jobRequests))
        #expect(error.exitStatus == .dataError)
    }

    @Test("native file names tell the entity", arguments: [
        ("users.csv", Entity.users), ("users_2024-06.csv", .users), ("job_requests-part1.CSV", .jobRequests),
        ("recordings.csv", .recordings), ("resumes_all.csv", .resumes), ("payments.csv", .payments),
    ])
    func entityFromName(name: String, entity: Entity) throws {
        let path = TestFiles.write("email\n", name: name)
        #expect(try InputFile.classify(path, format: nil, mapping: nil) == InputFile(path: path, format: .csv, entity: entity))
    }

    @Test("a file that matches nothing is a usage error listing the accepted names")
    func unknownFile() throws {
        let csv = TestFiles.write("email\n", name: "contacts.csv")
        let error = try #require(throws: ExtractError.self) { try InputFile.classify(csv, format: nil, mapping: nil) }
        #expect(error.exitStatus == .usage)
        #expect(error.description.contains("users*.csv"))
        #expect(error.description.contains("payments*.csv"))
        let text = TestFiles.write("x", name: "users.txt")
        #expect(throws: ExtractError.self) { try InputFile.classify(text, format: nil, mapping: nil) }
        #expect(try InputFile.classify(text, format: .csv, mapping: nil).entity == .users)
    }

    @Test("folders expand to their CSV and XML files in name order; a missing path exits 66")
    func folders() throws {
        let first = TestFiles.write("email\n", name: "users.csv")
        let folder = (first as NSString).deletingLastPathComponent
        _ = FileManager.default.createFile(atPath: folder + "/recordings.csv", contents: Data("email\n".utf8))
        _ = FileManager.default.createFile(atPath: folder + "/export.xml", contents: Data("<crmExport/>".utf8))
        _ = FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("x".utf8))
        let files = try InputFile.collect([folder], format: nil, mapping: nil)
        #expect(files.map { ($0.path as NSString).lastPathComponent } == ["export.xml", "recordings.csv", "users.csv"])
        let error = try #require(throws: ExtractError.self) {
            try InputFile.collect(["/nonexistent/drop"], format: nil, mapping: nil)
        }
        #expect(error.exitStatus == .noInput)
    }
}
