import Foundation

/// Exports made by `crm-pipeline generate`, for tests that import one.
public enum GeneratedExport {
    /// `generate` did not exit 0.
    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `crm-pipeline generate` with `options` into `folder` (by default a new folder in the
    /// temporary directory, its name starting with `name`) and returns the folder. The caller removes it.
    ///
    /// - Throws: ``Failed`` with generate's exit status and standard error when it does not exit 0.
    @discardableResult
    public static func make(_ name: String, _ options: [String], into folder: String? = nil) throws -> String {
        let folder = folder ?? NSTemporaryDirectory() + "crm-\(name)-" + UUID().uuidString
        let outcome = try CommandLineRunner.run(["generate"] + options + ["--out", folder])
        guard outcome.status == 0 else {
            throw Failed(description: "generate \(options.joined(separator: " ")) exited \(outcome.status): \(outcome.standardError)")
        }
        return folder
    }
}
