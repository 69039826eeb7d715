import Extract
import Foundation
import PipelineCore
import TestSupport
import Testing
import XMLStream

/// A TCP listener on 127.0.0.1:47291, where the hostile documents point: a connection means the parser
/// went to the network.
final class Listener {
    private let descriptor: Int32

    init?() {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(47291).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Whether anybody connected since the listener opened.
    var receivedConnection: Bool {
        let client = accept(descriptor, nil, nil)
        if client >= 0 { close(client) }
        return client >= 0
    }
}

/// The resident memory of this process, in bytes.
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("Hostile XML", .serialized)
struct XMLAttackTests {
    static let attacks = [
        "01_billion_laughs.xml", "02_quadratic_blowup.xml", "03_xxe_local_file.xml",
        "04_external_dtd.xml", "05_xxe_parameter_entity.xml", "06_xxe_network_entity.xml",
    ]

    @Test("each attack is refused with exit 65 and a located message, fast, in bounded memory, offline",
          .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)), arguments: attacks)
    func refused(file: String) throws {
        try expectRefused(TestFiles.conformance + "/xml-attacks/" + file)
    }

    /// The project's own hostile documents, for a clone without the shared cases.
    static let ownAttacks = [
        ("entity expansion", """
            <?xml version="1.0"?>
            <!DOCTYPE crmExport [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
            <crmExport><users><user><email>a@example.com</email><firstName>&c;&c;&c;&c;</firstName></user></users></crmExport>
            """),
        ("local file entity", """
            <?xml version="1.0"?>
            <!DOCTYPE crmExport [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <crmExport><users><user><email>x@example.com</email><firstName>&xxe;</firstName></user></users></crmExport>
            """),
        ("network entity", """
            <?xml version="1.0"?>
            <!DOCTYPE crmExport [<!ENTITY net SYSTEM "http://127.0.0.1:47291/x">]>
            <crmExport><users><user><email>x@example.com</email><firstName>&net;</firstName></user></users></crmExport>
            """),
        ("external DTD", """
            <?xml version="1.0"?>
            <!DOCTYPE crmExport SYSTEM "http://127.0.0.1:47291/crm.dtd">
            <crmExport><users><user><email>x@example.com</email></user></users></crmExport>
            """),
    ]

    @Test("the project's own hostile documents are refused the same way", arguments: ownAttacks.map(\.0))
    func ownAttackRefused(name: String) throws {
        let text = try #require(Self.ownAttacks.first { $0.0 == name }?.1)
        try expectRefused(TestFiles.write(text, name: "export.xml"))
    }

    /// Refused with exit 65 and a located message, fast, in bounded memory, without reading a local file
    /// or opening a connection.
    private func expectRefused(_ path: String) throws {
        let listener = try #require(Listener(), "cannot listen on 127.0.0.1:47291")
        let memoryBefore = residentBytes()
        let start = Date()
        let source = try XMLRecordSource(path: path, mapping: nil)
        var records: [SourceRecord] = []
        let error = try #require(throws: XMLError.self) {
            while let record = try source.next() { records.append(record) }
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(error.exitStatus == .dataError)
        #expect(error.description.hasPrefix(path + ":"))
        #expect(error.location.line >= 1)
        #expect(records.isEmpty, "no record of a refused document is read")
        #expect(elapsed < 1, "took \(elapsed) s")
        #expect(residentBytes() - memoryBefore < 64 << 20)
        #expect(!listener.receivedConnection, "the parser connected to 127.0.0.1:47291")
        #expect(!error.description.contains("root:x:0:0"))
    }

    @Test("a DOCTYPE is refused by name", .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)))
    func doctypeMessage() throws {
        let path = TestFiles.conformance + "/xml-attacks/04_external_dtd.xml"
        let error = try #require(throws: XMLError.self) {
            let source = try XMLRecordSource(path: path, mapping: nil)
            while try source.next() != nil {}
        }
        #expect(error.kind == .forbiddenConstruct)
        #expect(error.reason.contains("DOCTYPE"))
        #expect(error.location.line == 2)
    }
}
