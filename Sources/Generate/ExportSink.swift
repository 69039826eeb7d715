import Foundation
import PipelineCore

/// Writes generated rows as native CSV files (one per entity) or one native XML export, in buffered
/// blocks. The XML sections are written to temporary files and joined at the end, so rows of every
/// entity can arrive in any order.
final class ExportSink {
    private let folder: String
    private let format: GenerateOptions.Format
    private var files: [Entity: FileHandle] = [:]
    private var buffers: [Entity: [UInt8]] = [:]
    private var counts: [Entity: Int] = [:]

    init(folder: String, format: GenerateOptions.Format) throws {
        self.folder = folder
        self.format = format
        for entity in Entity.crmRecords {
            let path = self.path(of: entity)
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw GenerateError.cannotWrite(path)
            }
            files[entity] = handle
            if format == .csv {
                buffers[entity] = Array((entity.dataFields.map(\.name).joined(separator: ",") + "\n").utf8)
            }
        }
    }

    private func path(of entity: Entity) -> String {
        format == .csv ? "\(folder)/\(entity.name).csv" : "\(folder)/.\(entity.xmlSection).part"
    }

    /// Writes one row: values aligned with `entity.dataFields` (a CSV row may carry one extra value).
    func write(_ entity: Entity, _ values: [String]) throws {
        counts[entity, default: 0] += 1
        var line: String
        switch format {
        case .csv:
            line = values.map(CSVField.quoted).joined(separator: ",") + "\n"
        case .xml, .xlsx:  // (an .xlsx export goes through WorkbookSink)
            let fields = zip(entity.dataFields, values).filter { !$0.1.isEmpty }
                .map { "<\($0.0.xmlName)>\(Self.xmlText($0.1))</\($0.0.xmlName)>" }.joined()
            line = "    <\(entity.xmlRecord)>\(fields)</\(entity.xmlRecord)>\n"
        }
        buffers[entity, default: []].append(contentsOf: line.utf8)
        if buffers[entity]!.count > 1 << 20 { try flush(entity) }
    }

    private func flush(_ entity: Entity) throws {
        guard let buffer = buffers[entity], !buffer.isEmpty else { return }
        try files[entity]?.write(contentsOf: Data(buffer))
        buffers[entity] = []
    }

    /// Flushes and closes everything; for XML, joins the sections into `crm-export.xml`.
    func finish() throws -> [String: Int] {
        for entity in Entity.crmRecords {
            try flush(entity)
            try files[entity]?.close()
        }
        if format == .xml {
            let path = "\(folder)/crm-export.xml"
            guard FileManager.default.createFile(atPath: path, contents: nil), let output = FileHandle(forWritingAtPath: path) else {
                throw GenerateError.cannotWrite(path)
            }
            defer { try? output.close() }
            try output.write(contentsOf: Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<crmExport>\n".utf8))
            for entity in Entity.crmRecords {
                try output.write(contentsOf: Data("  <\(entity.xmlSection)>\n".utf8))
                let part = self.path(of: entity)
                if let input = FileHandle(forReadingAtPath: part) {
                    while let data = try input.read(upToCount: 1 << 20), !data.isEmpty { try output.write(contentsOf: data) }
                    try input.close()
                }
                try FileManager.default.removeItem(atPath: part)
                try output.write(contentsOf: Data("  </\(entity.xmlSection)>\n".utf8))
            }
            try output.write(contentsOf: Data("</crmExport>\n".utf8))
        }
        return Dictionary(uniqueKeysWithValues: counts.map { ($0.key.name, $0.value) })
    }

    static func xmlText(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

/// Why `generate` stopped.
public enum GenerateError: UserFacingError {
    case cannotWrite(String)

    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String {
        switch self {
        case .cannotWrite(let path): "cannot write \(path)"
        }
    }
}
