import Foundation
import PipelineCore
import Yams

/// Reads a mapping file (YAML, SPEC §4.1) and checks every name in it, reporting errors with their line.
public enum MappingLoader {
    private static let entityKeys: Set<String> = ["files", "columns", "date_formats", "timezone", "constants", "record", "sheet"]

    /// Loads and checks the mapping at `path`.
    ///
    /// - Throws: ``MappingError`` (exit 64) naming the line of the first problem, or ``ExtractError``
    ///   when the file cannot be read.
    public static func load(path: String) throws -> Mapping {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ExtractError.unreadable(file: path, reason: "cannot read the mapping file")
        }
        return try parse(text, path: path)
    }

    /// Parses mapping text; `path` is only used in messages.
    public static func parse(_ text: String, path: String) throws -> Mapping {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw MappingError("not valid YAML: \(describe(error))", at: SourceLocation(file: path, line: line(of: error)))
        }
        guard let root else { throw MappingError("the mapping is empty", at: SourceLocation(file: path, line: 1)) }
        guard case .mapping(let top) = root else {
            throw MappingError("expected entities (users, job_requests, …) at the top level", at: location(root, path))
        }
        var entities: [Entity: Mapping.EntityMapping] = [:]
        for (key, value) in top {
            guard let name = key.string, let entity = Entity(name: name), name == entity.name else {
                throw MappingError(
                    "unknown entity \"\(key.string ?? "?")\"; expected one of \(Entity.allCases.map(\.name).joined(separator: ", "))",
                    at: location(key, path))
            }
            entities[entity] = try entityMapping(value, entity: entity, path: path)
        }
        return Mapping(path: path, entities: entities)
    }

    private static func entityMapping(_ node: Node, entity: Entity, path: String) throws -> Mapping.EntityMapping {
        var result = Mapping.EntityMapping()
        guard case .mapping(let settings) = node else {
            throw MappingError("expected the settings of \(entity) (files, columns, …)", at: location(node, path))
        }
        for (key, value) in settings {
            let name = key.string ?? ""
            guard entityKeys.contains(name) else {
                throw MappingError(
                    "unknown setting \"\(name)\" for \(entity); expected one of \(entityKeys.sorted().joined(separator: ", "))",
                    at: location(key, path))
            }
            if value.null != nil { continue }
            switch name {
            case "files":
                result.files = try scalars(value, path: path, what: "a file-name pattern")
            case "columns":
                for (field, sources, keyNode) in try fieldNodes(value, entity: entity, path: path) {
                    result.columns[field] = try scalars(sources, path: path, what: "a column name for \(field)")
                    result.columnLocations[field] = location(keyNode, path)
                }
            case "date_formats":
                for (field, patterns) in try datePatterns(value, entity: entity, path: path) {
                    result.dateFormats[field] = patterns
                }
            case "timezone":
                let identifier = try scalar(value, path: path, what: "a time zone such as UTC or Europe/Paris")
                guard let zone = TimeZone(identifier: identifier) else {
                    throw MappingError("unknown time zone \"\(identifier)\"", at: location(value, path))
                }
                result.timeZone = zone
            case "constants":
                for (field, constant, _) in try fieldPairs(value, entity: entity, path: path) {
                    result.constants[field] = constant
                }
            case "sheet":
                result.sheet = try scalar(value, path: path, what: "the name of a sheet of an XLSX workbook")
            default:  // "record"
                result.record = try scalar(value, path: path, what: "the local name of the record element")
            }
        }
        return result
    }

    /// The `field: pattern` or `field: [pattern, …]` pairs of `date_formats`, each pattern checked.
    private static func datePatterns(_ node: Node, entity: Entity, path: String) throws -> [(Field, [String])] {
        try fieldNodes(node, entity: entity, path: path).map { field, value, key in
            guard field.isDate else { throw MappingError("\(field) is not a date field", at: location(key, path)) }
            let patterns = try scalars(value, path: path, what: "a date pattern for \(field)")
            for pattern in patterns { try DatePattern.check(pattern, at: location(value, path)) }
            return (field, patterns)
        }
    }

    /// The `field: value` pairs of a mapping node, each field checked against the entity.
    private static func fieldPairs(_ node: Node, entity: Entity, path: String) throws -> [(Field, String, Node)] {
        try fieldNodes(node, entity: entity, path: path).map { field, value, key in
            (field, try scalar(value, path: path, what: "a value for \(field)"), key)
        }
    }

    /// The `field: node` pairs of a mapping node (value node, key node), each field checked against the entity.
    private static func fieldNodes(_ node: Node, entity: Entity, path: String) throws -> [(Field, Node, Node)] {
        guard case .mapping(let pairs) = node else {
            if node.null != nil { return [] }
            throw MappingError("expected field: value pairs", at: location(node, path))
        }
        return try pairs.map { key, value in
            guard let name = key.string, let field = Field(rawValue: name), entity.fields.contains(field) else {
                throw MappingError(
                    "\(entity) have no field \"\(key.string ?? "?")\"; their fields are "
                        + entity.fields.map(\.name).joined(separator: ", "),
                    at: location(key, path))
            }
            return (field, value, key)
        }
    }

    /// One scalar or a non-empty list of them.
    private static func scalars(_ node: Node, path: String, what: String) throws -> [String] {
        guard case .sequence(let sequence) = node else { return [try scalar(node, path: path, what: what)] }
        guard !sequence.isEmpty else {
            // "a column name" → "at least one column name".
            let noun = what.hasPrefix("a ") ? what.dropFirst(2) : what.hasPrefix("an ") ? what.dropFirst(3) : Substring(what)
            throw MappingError("expected at least one \(noun)", at: location(node, path))
        }
        return try sequence.map { try scalar($0, path: path, what: what) }
    }

    private static func scalar(_ node: Node, path: String, what: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw MappingError("expected \(what)", at: location(node, path))
        }
        return scalar.string
    }

    private static func location(_ node: Node, _ path: String) -> SourceLocation {
        SourceLocation(file: path, line: node.mark?.line ?? 1, column: node.mark?.column)
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return 1
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default:
            return "\(error)"
        }
    }
}
