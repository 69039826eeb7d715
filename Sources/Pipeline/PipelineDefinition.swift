import Foundation
import PipelineCore
import Yams

/// One step of a pipeline, resolved to the command line it runs.
public struct PipelineStep: Sendable, Equatable {
    /// `migrate`, `import`, `report` or `verify`.
    public let command: String
    /// The arguments after `crm-pipeline`, variables substituted.
    public let arguments: [String]
    /// Where the step is written in the pipeline file.
    public let location: SourceLocation
}

/// A pipeline file (`pipelines/*.yml`): named steps run in order, with the options of the commands.
///
/// ```yaml
/// steps:
///   - migrate: {}
///   - import:
///       paths: ["${CRM_DROP_DIR:-/srv/crm/drop}"]
///       mapping: pipelines/mappings/hubspot-contacts.yml
///   - report: {kind: summary}
/// ```
public enum PipelineDefinition {
    /// The options each step takes (besides `database-url`, `log-level` and `log-format`), and which of
    /// them are flags.
    static let stepOptions: [String: (options: Set<String>, flags: Set<String>, positional: String?)] = [
        "migrate": ([], [], nil),
        "import": (["paths", "mapping", "format", "mode", "credits", "reject-file", "max-errors", "max-error-rate",
                    "max-deletes", "max-delete-rate", "source", "users-snapshot", "dry-run", "force", "jobs", "chunk-rows", "delimiter",
                    "encoding", "move-to", "metrics-file"], ["dry-run", "force", "users-snapshot"], "paths"),
        "report": (["kind", "month", "from", "to", "format", "output", "top"], [], "kind"),
        "verify": (["fix"], ["fix"], nil),
    ]
    static let commonOptions: Set<String> = ["database-url", "log-level", "log-format"]
    static let topLevelKeys: Set<String> = ["name", "description", "steps"]

    /// Reads and resolves the pipeline at `path`.
    ///
    /// - Parameter environment: Supplies `${VAR}` and `${VAR:-default}`.
    /// - Throws: ``PipelineError`` (exit 64, naming the line) or (exit 66) when the file cannot be read.
    public static func load(path: String, environment: [String: String]) throws -> [PipelineStep] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError.unreadable(path)
        }
        return try parse(text, path: path, environment: environment)
    }

    public static func parse(_ text: String, path: String, environment: [String: String]) throws -> [PipelineStep] {
        func location(_ node: Node?) -> SourceLocation {
            SourceLocation(file: path, line: node?.mark?.line ?? 1, column: node?.mark?.column)
        }
        func fail(_ node: Node?, _ reason: String) -> PipelineError {
            .invalid(location: location(node), reason: reason)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw PipelineError.invalid(location: SourceLocation(file: path, line: 1), reason: "not valid YAML: \(error)")
        }
        guard case .mapping(let top)? = root else { throw fail(root, "expected a mapping with steps:") }
        for key in top.keys where !topLevelKeys.contains(key.string ?? "") {
            throw fail(key, "unknown key \"\(key.string ?? "?")\"; expected \(topLevelKeys.sorted().joined(separator: ", "))")
        }
        guard case .sequence(let steps)? = top["steps"] else { throw fail(top["steps"] ?? root, "expected steps: as a list") }
        return try steps.map { node in
            guard case .mapping(let step) = node, step.count == 1, let (nameNode, settings) = step.first,
                let name = nameNode.string
            else { throw fail(node, "each step is one of migrate, import, report, verify with its options") }
            guard let known = stepOptions[name] else {
                throw fail(nameNode, "unknown step \"\(name)\"; expected \(stepOptions.keys.sorted().joined(separator: ", "))")
            }
            var arguments = [name]
            var positional: [String] = []
            if case .mapping(let options) = settings {
                for (keyNode, valueNode) in options {
                    let key = keyNode.string ?? ""
                    guard known.options.contains(key) || commonOptions.contains(key) else {
                        throw fail(keyNode, "unknown option \"\(key)\" for \(name); expected "
                            + (known.options.union(commonOptions)).sorted().joined(separator: ", "))
                    }
                    let values: [String]
                    switch valueNode {
                    case .sequence(let items): values = try items.map { try substitute($0.string ?? "", at: location($0), environment) }
                    default: values = [try substitute(valueNode.string ?? "", at: location(valueNode), environment)]
                    }
                    if key == known.positional {
                        positional += values
                    } else if known.flags.contains(key) {
                        guard let flag = values.first.flatMap({ ["true": true, "false": false][$0.lowercased()] }) else {
                            throw fail(valueNode, "\(key) is true or false")
                        }
                        if flag { arguments.append("--\(key)") }
                    } else {
                        // An empty value (such as ${CRM_MONTH:-}) leaves the option out.
                        for value in values where !value.isEmpty { arguments += ["--\(key)", value] }
                    }
                }
            } else if settings.null == nil {
                throw fail(settings, "expected the options of \(name) as a mapping (or {})")
            }
            if let positionalName = known.positional, positional.isEmpty {
                throw fail(nameNode, "\(name) needs \(positionalName):")
            }
            return PipelineStep(command: name, arguments: [arguments[0]] + positional + arguments.dropFirst(), location: location(nameNode))
        }
    }

    /// Replaces `${VAR}` and `${VAR:-default}` with the environment's values.
    static func substitute(_ text: String, at location: SourceLocation, _ environment: [String: String]) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw PipelineError.invalid(location: location, reason: "unclosed ${ in \"\(text)\"")
            }
            let expression = rest[start.upperBound..<end]
            let parts = expression.components(separatedBy: ":-")
            let name = parts[0]
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw PipelineError.invalid(location: location, reason: "\"${\(expression)}\" is not a variable")
            }
            if let value = environment[name], !value.isEmpty {
                result += value
            } else if parts.count > 1 {
                result += parts.dropFirst().joined(separator: ":-")
            } else {
                throw PipelineError.invalid(location: location, reason: "the variable \(name) is not set (give ${\(name):-default} for a default)")
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

/// A pipeline file that cannot be used.
public enum PipelineError: UserFacingError {
    case unreadable(String)
    case invalid(location: SourceLocation, reason: String)

    /// Every case names its file (and line), as `file:line: error: …`.
    public var isLocated: Bool { true }

    public var exitStatus: ExitStatus {
        switch self {
        case .unreadable: .noInput
        case .invalid: .usage
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path): error: cannot read the pipeline file"
        case .invalid(let location, let reason): "\(location): error: \(reason)"
        }
    }
}
