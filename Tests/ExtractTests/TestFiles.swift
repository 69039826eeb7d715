import Foundation
import TestSupport

/// Temporary files for reader tests, removed when the process ends with the folder.
enum TestFiles {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "crm-extract-tests-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes `bytes` to a new file named `name` (unique per call) and returns its path.
    static func write(_ bytes: [UInt8], name: String = "users.csv") -> String {
        let directory = folder + "/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func write(_ text: String, name: String = "users.csv") -> String {
        write(Array(text.utf8), name: name)
    }

    /// The shared conformance folder.
    static var conformance: String { SharedFolder.conformance }
}
