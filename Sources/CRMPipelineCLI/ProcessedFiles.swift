import Foundation
import PipelineCore

/// Moves imported files out of a drop folder, so that the next nightly run does not see them again.
enum ProcessedFiles {
    /// Moves each file into `folder` (created if needed); a name already taken there gets a time suffix.
    ///
    /// - Returns: The new paths.
    static func move(_ paths: [String], to folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return try paths.map { path in
                let name = (path as NSString).lastPathComponent
                var target = (folder as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: target) {
                    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                    target = (folder as NSString).appendingPathComponent("\(stamp)-\(name)")
                }
                try FileManager.default.moveItem(atPath: path, toPath: target)
                return target
            }
        } catch {
            throw MoveError(folder: folder, reason: error.localizedDescription)
        }
    }

    /// The import was committed, but its files could not be moved.
    struct MoveError: UserFacingError {
        let folder: String
        let reason: String
        var exitStatus: ExitStatus { .cannotCreate }
        var description: String {
            "the import was committed, but its files could not be moved to \(folder): \(reason)"
                + " (move them by hand; a second import would skip them by their sha256)"
        }
    }
}
