import CRMSchema
import Foundation
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport

/// A nightly load's staging on a fresh database, filled by the tests row by row.
struct StagedRows {
    let connection: PostgresConnection
    let staging: StagingArea
    private var sequence = 0

    /// Runs `body` in a transaction with the nightly staging created; it commits only when `body` says so.
    static func inTransaction<T>(
        _ database: TestDatabase, _ body: (inout StagedRows) throws -> TransactionEnd<T>
    ) throws -> T {
        try database.connect().transaction { connection in
            var rows = StagedRows(connection: connection, staging: StagingArea(connection: connection))
            try rows.staging.createTemporary()
            return try body(&rows)
        }
    }

    /// Stages one row of `entity` as read from file `file`, line `line`; `fields` by field name.
    mutating func stage(_ entity: Entity, file: Int = 0, line: Int, _ fields: KeyValuePairs<String, String?>) throws {
        sequence += 1
        let columns: [SQLQuery] = ["seq", "file", "line"] + fields.map { "\(ident: $0.key)" }
        let values: [SQLQuery] = ["\(bind: sequence)", "\(bind: file)", "\(bind: line)"] + fields.map { "\(bind: $0.value)" }
        try connection.query("""
            INSERT INTO \(SQLName.staged(entity)) (\(SQLQuery.joined(columns, separator: ", ")))
            VALUES (\(SQLQuery.joined(values, separator: ", ")))
            """)
    }

    /// Deduplicates (the entities in `provenDistinct` taken as having distinct keys), names locations `fFILE.csv:LINE`.
    func deduplicate(provenDistinct: Set<Entity> = []) throws -> LoadTally {
        try Deduplication(connection: connection).deduplicate(provenDistinct: provenDistinct) { "f\($0).csv:\($1)" }
    }
}

/// A reject file in a fresh temporary folder, and what was written to it.
struct RejectFile {
    let writer = RejectFileWriter(path: NSTemporaryDirectory() + "crm-load-tests-" + UUID().uuidString + ".jsonl")

    /// `reason file:line value` for every reject, in the order written.
    func lines() throws -> [String] {
        guard let text = try? String(contentsOfFile: writer.path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return "\(object["reason"] ?? "?") \(object["file"] ?? "?"):\(object["line"] ?? "?") \(object["value"] ?? "null")"
        }
    }
}
