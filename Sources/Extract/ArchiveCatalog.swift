import ArchiveStream
import Foundation

/// The members of an archive worth reading, listed before anything is loaded, with the archive refused
/// as a whole (``ExtractError/badArchive(file:reason:)``) when a member is encrypted, would land outside
/// the archive's folder, or is itself an archive or a compressed file.
enum ArchiveCatalog {
    /// The paths of the regular-file members, in archive order (folders and links are skipped).
    static func members(of path: String) throws -> [String] {
        var members: [String] = []
        do {
            // A .tar.gz's members are read through libarchive, which never checks the gzip trailer: the
            // whole stream is checked first (the zip-bomb limits apply), before its headers are listed.
            let lowercased = path.lowercased()
            if lowercased.hasSuffix(".tar.gz") || lowercased.hasSuffix(".tgz") { try ArchiveReader.verifyGzip(path) }
            let reader = try ArchiveReader(path: path, kind: .archive)
            while let entry = try reader.nextEntry() {
                guard entry.isRegularFile else { continue }
                try check(entry, in: path)
                members.append(entry.name)
            }

        } catch let error as ArchiveError {
            throw ExtractError.badArchive(file: path, reason: error.reason)
        }
        return members
    }

    private static func check(_ entry: ArchiveEntry, in path: String) throws {
        let name = entry.name
        func refuse(_ reason: String) -> ExtractError { .badArchive(file: "\(path)!/\(name)", reason: reason) }
        if entry.isEncrypted { throw refuse("the member is encrypted; export it without a password") }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasPrefix("/") || components.contains("..") || name.contains("\\") {
            throw refuse("the member's path leads outside the archive")
        }
        switch InputName((name as NSString).lastPathComponent) {
        case .archive, .compressed: throw refuse("an archive inside an archive is not read")
        default: break
        }
    }
}
