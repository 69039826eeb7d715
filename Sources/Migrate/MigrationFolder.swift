import Foundation

/// A folder of migration files that a tool applies one by one, each in its own transaction, such as a
/// Supabase project's `supabase/migrations/` (`supabase db push`).
public enum MigrationFolder {
    /// Writes one file per migration into `folder` (created if missing), named as the migration; a file
    /// already there with the same name is replaced (a migration's text never changes once shipped).
    ///
    /// - Returns: The paths written, in version order.
    /// - Throws: ``MigrationError/cannotWrite(path:reason:)``.
    public static func write(_ migrations: [Migration], into folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw MigrationError.cannotWrite(path: folder, reason: "the folder cannot be created (\(error.localizedDescription))")
        }
        return try Migrator.files(for: migrations).map { file in
            let path = URL(fileURLWithPath: folder).appendingPathComponent(file.name).path
            do {
                try Data(file.sql.utf8).write(to: URL(fileURLWithPath: path))
            } catch {
                throw MigrationError.cannotWrite(path: path, reason: error.localizedDescription)
            }
            return path
        }
    }
}
