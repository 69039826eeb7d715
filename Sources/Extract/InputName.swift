import Foundation

/// What a file's name says it is: a loose CSV or XML file, one compressed with gzip, bzip2 or xz, an
/// archive of such files (zip, tar, compressed tar), or something else.
enum InputName: Equatable {
    case plain(InputFormat)
    /// A compressed file; `inner` is its name without the compression extension (`users.csv`).
    case compressed(inner: String, InputFormat)
    case archive
    /// An XLSX workbook (a zip of XML parts): its sheets are the inputs.
    case workbook
    /// An old binary Excel workbook, which is refused with advice.
    case excel97
    case other

    private static let compressions = ["gz", "bz2", "xz"]
    private static let archives = [".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"]

    init(_ name: String) {
        let lowercased = name.lowercased()
        let extensionName = (lowercased as NSString).pathExtension
        if Self.archives.contains(where: { lowercased.hasSuffix($0) }) {
            self = .archive
        } else if Self.compressions.contains(extensionName) {
            let inner = (name as NSString).deletingPathExtension
            let innerExtension = (inner.lowercased() as NSString).pathExtension
            self = ["csv", "xml"].contains(innerExtension) ? .compressed(inner: inner, InputFormat(rawValue: innerExtension)!) : .other
        } else if ["csv", "xml"].contains(extensionName), let format = InputFormat(rawValue: extensionName) {
            self = .plain(format)
        } else if extensionName == "xlsx" {
            self = .workbook
        } else if extensionName == "xls" {
            self = .excel97
        } else {
            self = .other
        }
    }

    /// Whether a folder's file with this name is read (the rest of the folder is left alone).
    var isInput: Bool { self != .other }
}
