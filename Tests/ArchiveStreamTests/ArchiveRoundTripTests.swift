import ArchiveStream
import Foundation
import Testing

/// ArchiveWriter and ArchiveReader on their own: what one writes the other reads back, and the limits hold.
@Suite("Archives written and read back")
struct ArchiveRoundTripTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func readAll(_ reader: ArchiveReader) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { return data }
            data += buffer[..<count]
        }
    }

    @Test("zip and tar.gz: every member comes back by name with its bytes", arguments: ["zip", "tar.gz"])
    func roundTrip(kind: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("export.\(kind)").path
        let writer = try ArchiveWriter(path: path, format: kind == "zip" ? .zip() : .tar(.gzip))
        try writer.add(name: "users.csv", data: Array("email\nann@example.com\n".utf8))
        try writer.add(name: "payments.csv", data: Array("email,amount\n".utf8))
        try writer.close()
        let reader = try ArchiveReader(path: path, kind: .archive)
        var members: [String: String] = [:]
        while let entry = try reader.nextEntry() {
            members[entry.name] = String(decoding: try Self.readAll(reader), as: UTF8.self)
        }
        #expect(members == ["users.csv": "email\nann@example.com\n", "payments.csv": "email,amount\n"])
    }

    @Test("a compressed stream past the expansion ratio is refused while it is read")
    func bomb() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("zeros.csv.gz").path
        let writer = try ArchiveWriter(path: path, format: .single(.gzip))
        try writer.add(name: "zeros.csv", data: [UInt8](repeating: 48, count: 4 << 20))
        try writer.close()
        let reader = try ArchiveReader(path: path, kind: .compressed, limits: .init(ratio: 10, minimumBytes: 1 << 20))
        _ = try reader.nextEntry()
        #expect(throws: ArchiveError.self) { _ = try Self.readAll(reader) }
    }
}
