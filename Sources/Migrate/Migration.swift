import PipelineCore

/// One versioned SQL migration shipped with the package, such as `0002_add_digital_resume_crm_table.sql`.
public struct Migration: Sendable, Equatable {
    /// The number the file name starts with; migrations apply in this order.
    public let version: Int
    /// The file name, which is recorded in the migrations table.
    public let name: String
    /// The SQL of the migration: statements without transaction control, applied in one transaction.
    public let sql: String
    /// The SHA-256 of the file's bytes, recorded when applied; a changed file no longer matches it.
    public let checksum: String

    /// Makes a migration from a file's name and contents.
    ///
    /// - Returns: `nil` when the name is not `NNNN_words.sql`.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql"), let underscore = fileName.firstIndex(of: "_"),
            let version = Int(fileName[..<underscore])
        else { return nil }
        self.version = version
        self.name = fileName
        self.sql = sql
        self.checksum = SHA256.hexDigest(of: Array(sql.utf8))
    }
}
