import Foundation
import PipelineCore

/// Prometheus' text exposition format, as the node exporter's textfile collector reads it: for each
/// metric a `# HELP` and a `# TYPE` line, then its samples, label values escaped.
public struct PrometheusText {
    public private(set) var text = ""

    public init() {}

    /// Adds a gauge with one sample per label set (an empty label set for a single sample); labels are
    /// written in name order.
    public mutating func gauge(_ name: String, _ help: String, _ samples: [(labels: [String: String], value: Double)]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) gauge\n"
        for sample in samples {
            let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escapeLabel($0.value))\"" }.joined(separator: ",")
            text += name + (labels.isEmpty ? "" : "{\(labels)}") + " " + Self.format(sample.value) + "\n"
        }
    }

    /// Adds a gauge with a single sample and no labels.
    public mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        gauge(name, help, [(labels: [:], value: value)])
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escapeLabel(_ text: String) -> String {
        escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// A metrics file for the textfile collector: replaced atomically (a temporary file in the same folder,
/// then `rename`), so the collector never reads half a file.
public enum MetricsFile {
    /// Writes `text` to `path`.
    ///
    /// - Throws: ``MetricsError`` naming the file and the system's reason.
    public static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/." + (path as NSString).lastPathComponent + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw MetricsError(path: path, reason: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw MetricsError(path: path, reason: "cannot replace it: \(reason)")
        }
    }

    /// The value of the sample `name` (without labels) in the file at `path`, if the file has one.
    public static func previousValue(of name: String, in path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}

/// The metrics file could not be written (exit 73).
public struct MetricsError: UserFacingError {
    public let path: String
    public let reason: String
    public var isLocated: Bool { true }
    public var exitStatus: ExitStatus { .cannotCreate }
    public var description: String { "\(path): error: cannot write the metrics file: \(reason)" }
}
