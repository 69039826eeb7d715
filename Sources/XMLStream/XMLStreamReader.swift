internal import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PipelineCore

/// One step through an XML document.
public enum XMLEvent: Sendable, Equatable {
    /// A start tag, by local name (prefixes and namespaces ignored), with its attributes by local name.
    /// `isEmpty` is true for a self-closing tag, which has no matching ``end(name:)``.
    case start(name: String, attributes: [String: String], line: Int, isEmpty: Bool)
    /// An end tag, by local name.
    case end(name: String)
    /// Character data: text, CDATA, and character references, already decoded.
    case text(String)
}

/// A streaming XML reader over libxml2's `xmlTextReader`, with safe settings.
///
/// Memory stays flat whatever the document's size. The network is never used, no DTD is loaded and no
/// entity is substituted; a document with a `<!DOCTYPE`, or with an entity reference other than the five
/// predefined ones, is refused with ``XMLError/Kind/forbiddenConstruct``.
public final class XMLStreamReader {
    private let reader: OpaquePointer
    private let path: String
    private let errors: ErrorCollector
    private let input: XMLInput

    /// How many bytes of the document the parser has consumed.
    public var bytesConsumed: Int { max(0, Int(xmlTextReaderByteConsumed(reader))) }

    /// Safe parser options: no network, CDATA as text, and never NOENT, DTDLOAD, DTDATTR, DTDVALID or HUGE.
    private static let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue)

    /// Opens `path` for reading.
    ///
    /// - Throws: ``XMLError`` with kind `unreadable` when the file cannot be opened.
    public convenience init(path: String) throws {
        let file = try FileDescriptorInput(path: path)
        try self.init(name: path) { try file.read(into: $0) }
    }

    /// Reads a document whose bytes `read` supplies (filling its buffer from the start, 0 at the end);
    /// `name` names it in errors. An error `read` throws ends the document and is rethrown by ``next()``.
    public init(name: String, read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        Self.installSafeGlobals
        input = XMLInput(read: read)
        guard let reader = xmlReaderForIO(XMLInput.callback, nil, Unmanaged.passUnretained(input).toOpaque(), name, nil, Self.options) else {
            throw XMLError(kind: .unreadable, location: SourceLocation(file: name, line: 0), reason: "cannot start reading the document")
        }
        self.reader = reader
        self.path = name
        self.errors = ErrorCollector()
        let handler: xmlStructuredErrorFunc = { context, error in
            guard let context, let error else { return }
            Unmanaged<ErrorCollector>.fromOpaque(context).takeUnretainedValue().record(error.pointee)
        }
        xmlTextReaderSetStructuredErrorHandler(reader, handler, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit {
        xmlFreeTextReader(reader)
    }

    /// Initializes libxml2 once, and replaces its external entity loader by one that loads nothing: no
    /// DTD, entity or XInclude is ever read from a file or the network, whatever a document asks for.
    private static let installSafeGlobals: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader { _, _, _ in nil }
    }()

    /// The next event, or `nil` at the end of the document.
    ///
    /// - Throws: ``XMLError`` for a malformed document or a forbidden construct.
    public func next() throws -> XMLEvent? {
        while true {
            let status = xmlTextReaderRead(reader)
            if let failure = input.failure { throw failure }
            if let failure = errors.first {
                throw XMLError(
                    kind: .malformed, location: SourceLocation(file: path, line: failure.line, column: failure.column),
                    reason: failure.message)
            }
            if status == 0 { return nil }
            guard status == 1 else { throw failure("the document cannot be read past this point") }
            switch xmlTextReaderNodeType(reader) {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                return .start(
                    name: localName(), attributes: attributes(), line: currentLine(),
                    isEmpty: xmlTextReaderIsEmptyElement(reader) == 1)
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                return .end(name: localName())
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                Int32(XML_READER_TYPE_WHITESPACE.rawValue), Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                return .text(value())
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                // libxml2 keeps no line for the DOCTYPE node; it comes before the root, near the start.
                throw XMLError(
                    kind: .forbiddenConstruct,
                    location: SourceLocation(file: path, line: input.lineOfFirst("<!DOCTYPE") ?? currentLine()),
                    reason: "DOCTYPE/entity declarations are not allowed in a CRM export")
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw forbidden("entity reference &\(localName()); is not allowed (only &amp; &lt; &gt; &quot; &apos; and character references are)")
            default:
                continue  // comments, processing instructions, the XML declaration
            }
        }
    }

    private func localName() -> String {
        xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
    }

    private func value() -> String {
        xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
    }

    private func attributes() -> [String: String] {
        guard xmlTextReaderHasAttributes(reader) == 1 else { return [:] }
        var attributes: [String: String] = [:]
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            // Namespace declarations are not data.
            if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
            attributes[localName()] = value()
        }
        xmlTextReaderMoveToElement(reader)
        return attributes
    }

    /// The line of the current node's start tag (the parser itself may have read further ahead).
    private func currentLine() -> Int {
        if let node = xmlTextReaderCurrentNode(reader) {
            let line = Int(xmlGetLineNo(node))
            if line > 0 { return line }
        }
        return Int(xmlTextReaderGetParserLineNumber(reader))
    }

    private func forbidden(_ reason: String) -> XMLError {
        XMLError(kind: .forbiddenConstruct, location: SourceLocation(file: path, line: currentLine()), reason: reason)
    }

    private func failure(_ reason: String) -> XMLError {
        XMLError(
            kind: .malformed, location: SourceLocation(file: path, line: Int(xmlTextReaderGetParserLineNumber(reader))),
            reason: reason)
    }
}

/// Keeps the first error libxml2 reports through the structured error handler.
private final class ErrorCollector {
    struct Failure {
        let message: String
        let line: Int
        let column: Int?
    }

    private(set) var first: Failure?

    func record(_ error: xmlError) {
        guard first == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let message = error.message.map { String(cString: $0) } ?? "malformed XML"
        first = Failure(
            message: message.trimmingWhitespace(), line: Int(error.line), column: error.int2 > 0 ? Int(error.int2) : nil)
    }
}
