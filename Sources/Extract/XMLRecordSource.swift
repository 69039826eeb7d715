import PipelineCore
import XMLStream

/// Records of every entity from an XML file: a native `<crmExport>`, or a foreign document whose record
/// elements a mapping names. Elements are matched by local name; prefixes and namespaces are ignored.
public final class XMLRecordSource: RecordSource {
    public let path: String
    public var bytesRead: Int { stream.consumed }
    public private(set) var notes: [String] = []

    private let reader: XMLStreamReader
    private let stream: any ByteStream
    private let mapping: Mapping?
    /// The open elements, by local name.
    private var stack: [String] = []
    private var current: OpenRecord?
    private var rootName: String?
    private var recordCount = 0
    /// For each entity, the mapped sources (element names and `@attributes`) seen at least once.
    private var seenSources: [Entity: Set<String>] = [:]

    private struct OpenRecord {
        let entity: Entity
        let line: Int
        let depth: Int
        let attributes: [String: String]
        var elements: [String: String] = [:]
        var field: String?
        var text = ""
    }

    /// Opens `path`.
    ///
    /// - Throws: `XMLError` when the file cannot be opened.
    public convenience init(path: String, mapping: Mapping?) throws {
        try self.init(input: InputFile(path: path, format: .xml, entity: nil), mapping: mapping)
    }

    /// Opens the XML input `input` (a file, a compressed file or an archive member).
    init(input: InputFile, mapping: Mapping?) throws {
        path = input.name
        self.mapping = mapping
        let stream = try input.openStream()
        self.stream = stream
        reader = try XMLStreamReader(name: input.name) { try stream.read(into: $0) }
    }

    public func next() throws -> SourceRecord? {
        while let event = try reader.next() {
            switch event {
            case .start(let name, let attributes, let line, let isEmpty):
                if rootName == nil { rootName = name }
                if current == nil, let entity = recordEntity(named: name) {
                    current = OpenRecord(entity: entity, line: line, depth: stack.count, attributes: attributes)
                    if isEmpty { return finishRecord() }
                    stack.append(name)
                    continue
                }
                if var record = current, stack.count == record.depth + 1 {
                    if isEmpty {
                        record.elements[name] = ""
                    } else {
                        record.field = name
                        record.text = ""
                    }
                    current = record
                }
                if !isEmpty { stack.append(name) }
            case .text(let text):
                if current?.field != nil { current?.text += text }
            case .end:
                stack.removeLast()
                guard var record = current else { continue }
                if stack.count == record.depth {
                    return finishRecord()
                }
                if stack.count == record.depth + 1, let field = record.field {
                    record.elements[field] = record.text.trimmingWhitespace()
                    record.field = nil
                    current = record
                }
            }
        }
        try checkAtEnd()
        return nil
    }

    /// The entity whose record element `name` is, at the current position.
    private func recordEntity(named name: String) -> Entity? {
        for entity in Entity.allCases {
            if let record = mapping?.entities[entity]?.record {
                if record == name { return entity }
            } else if name == entity.xmlRecord, stack.last == entity.xmlSection {
                return entity
            }
        }
        return nil
    }

    private func finishRecord() -> SourceRecord? {
        guard let record = current else { return nil }
        current = nil
        recordCount += 1
        let entityMapping = mapping?.entities[record.entity]
        let values = record.entity.fields.map { field -> String? in
            if let constant = entityMapping?.constants[field] { return constant }
            var first: String?
            for source in entityMapping?.sourceNames(of: field, xml: true) ?? [field.xmlName] {
                guard let value = source.hasPrefix("@") ? record.attributes[String(source.dropFirst())] : record.elements[source] else { continue }
                if entityMapping?.columns[field] != nil { seenSources[record.entity, default: []].insert(source) }
                if !value.allSatisfy(\.isWhitespace) { return value }
                first = first ?? value
            }
            return first
        }
        return SourceRecord(entity: record.entity, location: SourceLocation(file: path, line: record.line), values: values)
    }

    /// At the end: a file with no records must be an export we know, and every source mapped to a required
    /// field must appear (an optional field's is noted).
    private func checkAtEnd() throws {
        if recordCount == 0, rootName != "crmExport" {
            throw ExtractError.unknownKind(
                file: path,
                reason: "no records found: a native export has a <crmExport> root with <users><user>…, "
                    + "<jobRequests><jobRequest>…, <recordings><recording>…, <resumes><resume>… or "
                    + "<payments><payment>…; a foreign document needs a mapping with record: set")
        }
        guard let mapping else { return }
        for (entity, entityMapping) in mapping.entities where seenSources[entity] != nil || entityMapping.record != nil {
            let seen = seenSources[entity] ?? []
            for (field, sources) in entityMapping.columns.sorted(by: { $0.key.name < $1.key.name }) where !sources.contains(where: seen.contains) {
                let source = entityMapping.sourceName(of: field, xml: true)
                let what = "\(source.hasPrefix("@") ? "attribute" : "element") \"\(source)\""
                guard entity.requiredFields.contains(field) else {
                    notes.append("no \(entity) record in \(path) has \(what), which the mapping names for \(field): the field is left empty")
                    continue
                }
                throw MappingError(
                    "the mapping names \(what) for \(field), but no \(entity) record in \(path) has it",
                    at: entityMapping.columnLocations[field] ?? SourceLocation(file: mapping.path, line: 1))
            }
        }
    }
}
