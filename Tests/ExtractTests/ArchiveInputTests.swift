import ArchiveStream
import Extract
import Foundation
import PipelineCore
import Testing

/// Archives and compressed files written by the project's own writer.
enum Packs {
    static let users = "email,first_name\nann@example.com,Ann\nbob@example.com,Bob\n"
    static let resumes = "email,external_id,file_url\nann@example.com,CV1,https://f.example.com/1\n"
    static let xml = "<crmExport><users><user><email>xml@example.com</email></user></users></crmExport>\n"

    /// A new archive `name` holding `members` (name → bytes).
    static func archive(_ name: String, _ format: ArchiveWriter.Format, _ members: [(String, [UInt8])], passphrase: String? = nil) throws -> String {
        let path = TestFiles.write([], name: name)
        let writer = try ArchiveWriter(path: path, format: format, passphrase: passphrase)
        for (member, bytes) in members { try writer.add(name: member, data: bytes) }
        try writer.close()
        return path
    }

    /// Every record of every input found at `path`, as `name:line entity email`.
    static func records(_ path: String, mapping: Mapping? = nil, skipped: (String) -> Void = { _ in }) throws -> [String] {
        try InputFile.collect([path], format: nil, mapping: mapping, skipped: skipped).flatMap { file in
            try readAll(try file.open(mapping: mapping, options: CSVOptions())).map {
                "\(file.name.split(separator: "/").last!):\($0.location.line) \($0.entity) \($0[.email] ?? "-")"
            }
        }
    }
}

@Suite("Compressed and archived inputs")
struct ArchiveInputTests {
    @Test("a gzip, bzip2 or xz file reads as the file inside it, named by its own path", arguments: [
        ("users.csv.gz", ArchiveWriter.Compression.gzip), ("users.csv.bz2", .bzip2), ("users.csv.xz", .xz),
    ])
    func compressed(name: String, compression: ArchiveWriter.Compression) throws {
        let path = try Packs.archive(name, .single(compression), [("data", Array(Packs.users.utf8))])
        #expect(try Packs.records(path) == ["\(name):2 users ann@example.com", "\(name):3 users bob@example.com"])
    }

    @Test("the members of a zip or a tar are read in archive order, each classified by its own name, named archive!/member",
          arguments: [("export.zip", ArchiveWriter.Format.zip()), ("export.tar", .tar(.none)), ("export.tar.gz", .tar(.gzip)),
                      ("export.tgz", .tar(.gzip)), ("export.tar.bz2", .tar(.bzip2)), ("export.tar.xz", .tar(.xz))])
    func archived(name: String, format: ArchiveWriter.Format) throws {
        var skipped: [String] = []
        let path = try Packs.archive(name, format, [
            ("crm/users.csv", Array(Packs.users.utf8)), ("crm/Account.csv", Array("Id\n1\n".utf8)),
            ("crm/resumes.csv", Array(Packs.resumes.utf8)), ("crm/export.xml", Array(Packs.xml.utf8)), ("README.txt", [65]),
        ])
        #expect(try Packs.records(path) { skipped.append($0) } == [
            "users.csv:2 users ann@example.com", "users.csv:3 users bob@example.com",
            "resumes.csv:2 resumes ann@example.com", "export.xml:1 users xml@example.com",
        ])
        #expect(skipped == ["\(path)!/crm/Account.csv", "\(path)!/README.txt"])
        let names = try InputFile.collect([path], format: nil, mapping: nil).map(\.name)
        #expect(names.first == "\(path)!/crm/users.csv")
    }

    @Test("a mapping's files: glob matches the member's name: Salesforce's Data Export zip")
    func mappedMember() throws {
        let mapping = try MappingLoader.parse("users:\n  files: Contact.csv\n  columns:\n    email: Email\n", path: "m.yml")
        let path = try Packs.archive("WE_00D000000000001_1.zip", .zip(), [
            ("Account.csv", Array("Id,Name\n001,Acme\n".utf8)), ("Contact.csv", Array("Id,Email\n003,sf@example.com\n".utf8)),
            ("ContactHistory.csv", Array("Id\n017\n".utf8)),
        ])
        #expect(try Packs.records(path, mapping: mapping) == ["Contact.csv:2 users sf@example.com"])
    }

    @Test("a compressed XML file and an archive with no CRM file", arguments: [true, false])
    func xmlAndEmpty(hasCRMFile: Bool) throws {
        if hasCRMFile {
            let path = try Packs.archive("crm-export.xml.gz", .single(.gzip), [("data", Array(Packs.xml.utf8))])
            #expect(try Packs.records(path) == ["crm-export.xml.gz:1 users xml@example.com"])
        } else {
            let path = try Packs.archive("photos.zip", .zip(), [("a.jpg", [1, 2, 3])])
            let error = #expect(throws: ExtractError.self) { try Packs.records(path) }
            #expect(error?.exitStatus == .usage)
        }
    }

    @Test("invalid UTF-8 inside a compressed member is located by member, line and offset")
    func invalidUTF8InMember() throws {
        let path = try Packs.archive("export.zip", .zip(), [("users.csv", Array("email\na@x.io\nb\u{0}@x.io\n".utf8) + [0xC3, 0x28, 10])])
        let error = #expect(throws: ExtractError.self) { try Packs.records(path) }
        #expect(error == .invalidUTF8(file: "\(path)!/users.csv", line: 4, byteOffset: 21))
    }

    @Test("old binary Excel files are refused with advice (65)")
    func excel97() throws {
        let path = TestFiles.write([0xD0, 0xCF, 0x11, 0xE0], name: "contacts.xls")
        let error = #expect(throws: ExtractError.self) { try InputFile.collect([path], format: nil, mapping: nil) }
        #expect(error?.exitStatus == .dataError)
        #expect(error?.description.contains("save or export the sheet as .xlsx or .csv") == true)
    }
}
