import Foundation
import PipelineCore
import Testing
import XMLStream

/// XMLStreamReader on its own, over in-memory documents (Extract's XML tests go through XMLRecordSource).
@Suite("XMLStreamReader")
struct XMLStreamReaderTests {
    /// A reader over `document`, fed in pieces of at most `chunk` bytes.
    static func reader(_ document: String, chunk: Int = 7) throws -> XMLStreamReader {
        var bytes = ArraySlice(Array(document.utf8))
        return try XMLStreamReader(name: "test.xml") { buffer in
            let count = min(chunk, buffer.count, bytes.count)
            for index in 0..<count { buffer[index] = bytes[bytes.startIndex + index] }
            bytes = bytes.dropFirst(count)
            return count
        }
    }

    static func events(_ document: String) throws -> [XMLEvent] {
        let reader = try reader(document)
        var events: [XMLEvent] = []
        while let event = try reader.next() { events.append(event) }
        return events
    }

    @Test("start and end tags by local name with their attributes and line, text decoded, CDATA as text")
    func events() throws {
        let events = try Self.events("""
            <crm:export xmlns:crm="urn:x">
            <user id="7">Ann &amp; <![CDATA[<Bob>]]></user><empty/>
            </crm:export>
            """)
        #expect(events.first == .start(name: "export", attributes: [:], line: 1, isEmpty: false))
        #expect(events.contains(.start(name: "user", attributes: ["id": "7"], line: 2, isEmpty: false)))
        let text = events.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
        #expect(text.contains("Ann & <Bob>"))
        #expect(events.contains(.start(name: "empty", attributes: [:], line: 2, isEmpty: true)))
        #expect(events.last == .end(name: "export"))
    }

    @Test("a DOCTYPE is refused before anything is expanded, naming the document")
    func doctype() throws {
        let error = try #require(throws: XMLError.self) {
            _ = try Self.events("<!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>")
        }
        #expect(error.kind == .forbiddenConstruct && error.location.file == "test.xml")
    }

    @Test("a document that is not well-formed is refused with its line")
    func malformed() throws {
        let error = try #require(throws: XMLError.self) { _ = try Self.events("<a>\n<b></a>") }
        #expect(error.kind == .malformed && error.location.line == 2)
    }

    @Test("an error of the byte source ends the document and is rethrown")
    func sourceError() throws {
        struct Broken: Error {}
        let reader = try XMLStreamReader(name: "broken.xml") { _ in throw Broken() }
        #expect(throws: (any Error).self) { _ = try reader.next() }
    }
}
