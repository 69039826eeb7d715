import ArchiveStream
import Extract
import Foundation
import PipelineCore
import Testing
import XMLStream

@Suite("Hostile archives are refused, naming the file")
struct HostileArchiveTests {
    /// Lists and reads everything at `path`; the error it ends with.
    static func refusal(_ path: String) -> (any Error)? {
        do {
            _ = try Packs.records(path)
            return nil
        } catch {
            return error
        }
    }

    static func expectBadArchive(_ path: String, naming name: String, _ reason: String) {
        guard let error = refusal(path) as? ExtractError, case .badArchive(let file, let message) = error else {
            Issue.record("\(path) was not refused as a bad archive: \(String(describing: refusal(path)))")
            return
        }
        #expect(file == name)
        #expect(message.contains(reason), "\(message)")
        #expect(error.exitStatus == .dataError)
    }

    @Test("a zip bomb: a member that expands past the ratio is refused while it is read, with memory bounded")
    func zipBomb() throws {
        let path = TestFiles.write([], name: "bomb.zip")
        let writer = try ArchiveWriter(path: path, format: .zip())
        try writer.add(name: "users.csv", size: 64 << 20) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "a"))
            return buffer.count
        }
        try writer.close()
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 < 1 << 20)
        Self.expectBadArchive(path, naming: "\(path)!/users.csv", "refused as a zip bomb")
    }

    @Test("a gzip bomb is refused the same way, alone or around a tar", arguments: ["users.csv.gz", "export.tar.gz"])
    func gzipBomb(name: String) throws {
        let path = TestFiles.write([], name: name)
        let writer = try ArchiveWriter(path: path, format: name.hasPrefix("export") ? .tar(.gzip) : .single(.gzip))
        try writer.add(name: "data", size: 64 << 20) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 10)
            return buffer.count
        }
        try writer.close()
        Self.expectBadArchive(path, naming: path, "refused as a zip bomb")
    }

    @Test("a member whose path leads outside the archive", arguments: ["../users.csv", "/etc/users.csv", "a/../../users.csv"])
    func traversal(member: String) throws {
        let path = try Packs.archive("export.tar", .tar(.none), [(member, Array(Packs.users.utf8))])
        Self.expectBadArchive(path, naming: "\(path)!/\(member)", "leads outside the archive")
    }

    @Test("an archive inside an archive", arguments: ["inner.zip", "users.csv.gz", "more.tar.gz"])
    func nested(member: String) throws {
        let path = try Packs.archive("export.zip", .zip(), [("users.csv", Array(Packs.users.utf8)), (member, [1, 2, 3])])
        Self.expectBadArchive(path, naming: "\(path)!/\(member)", "an archive inside an archive")
    }

    @Test("an encrypted member")
    func encrypted() throws {
        let path = try Packs.archive("export.zip", .zip(options: "zip:encryption=zipcrypt"), [("users.csv", Array(Packs.users.utf8))],
                                     passphrase: "secret")
        Self.expectBadArchive(path, naming: "\(path)!/users.csv", "encrypted")
    }

    @Test("a truncated archive and corrupt compressed data", arguments: [
        ("export.tar.gz", false), ("users.csv.gz", false), ("users.csv.bz2", false), ("users.csv.xz", false),
        ("export.zip", true), ("flipped.zip", false),
    ])
    func damaged(name: String, truncate: Bool) throws {
        let format: ArchiveWriter.Format = switch (name as NSString).pathExtension {
        case "zip": .zip()
        case "bz2": .single(.bzip2)
        case "xz": .single(.xz)
        default: name.hasPrefix("export") ? .tar(.gzip) : .single(.gzip)
        }
        var rows = "email,first_name\n"
        for index in 0..<20_000 { rows += "user\(index)@example.com,Name \(index * 7919 % 10_007)\n" }
        let path = try Packs.archive(name, format, [("users.csv", Array(rows.utf8))])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        if truncate {
            bytes = Array(bytes.prefix(bytes.count / 2))  // the central directory and half the data gone
        } else {
            for index in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[index] ^= 0x5A }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        guard let error = Self.refusal(path) as? ExtractError, case .badArchive = error else {
            Issue.record("\(name) was not refused: \(String(describing: Self.refusal(path)))")
            return
        }
        #expect(error.exitStatus == .dataError)
        #expect(error.description.hasPrefix(path))
    }

    @Test("a hostile XML document inside a zip meets the same XML safety as a loose one")
    func hostileXMLMember() throws {
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <crmExport><users><user><email>&lol2;</email></user></users></crmExport>
            """
        let path = try Packs.archive("export.zip", .zip(), [("crm-export.xml", Array(laughs.utf8))])
        let error = Self.refusal(path) as? XMLError
        #expect(error?.kind == .forbiddenConstruct)
        #expect(error?.location.file == "\(path)!/crm-export.xml")
        #expect(error?.location.line == 2)
    }
}
