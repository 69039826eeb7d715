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
}
