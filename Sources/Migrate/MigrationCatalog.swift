import Foundation

/// The migrations shipped as resources of this module, in version order.
public enum MigrationCatalog {
    /// Every shipped migration, sorted by version.
    ///
    /// - Throws: ``MigrationError`` when the resources are missing or two files share a version.
    public static func shipped() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.resourcesMissing
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
        let migrations = try names.map { name -> Migration in
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            guard let migration = Migration(fileName: name, sql: sql) else {
                throw MigrationError.badFileName(name)
            }
            return migration
        }.sorted { $0.version < $1.version }
        for (earlier, later) in zip(migrations, migrations.dropFirst()) where earlier.version == later.version {
            throw MigrationError.duplicateVersion(earlier.name, later.name)
        }
        return migrations
    }
}
