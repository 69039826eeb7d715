import Foundation

/// The project's shared material (`../shared` beside the checkout, or `CRM_SHARED_DIR`): conformance
/// cases that the tests read where they are, never copied into the repository.
public enum SharedFolder {
    /// The package's own folder.
    public static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The shared folder.
    public static var path: String {
        ProcessInfo.processInfo.environment["CRM_SHARED_DIR"]
            ?? URL(fileURLWithPath: projectRoot).deletingLastPathComponent().appendingPathComponent("shared").path
    }

    /// `shared/conformance`.
    public static var conformance: String { path + "/conformance" }

    /// Whether the conformance cases are there: a clone from a public host has no `../shared`.
    public static var hasConformance: Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: conformance, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Why a test that reads the conformance cases is skipped, and how to get them.
    public static let conformanceMissing = "needs the shared conformance cases (../shared/conformance):"
        + " clone this repository beside the shared folder, or set CRM_SHARED_DIR"
}
