import CRMSchema
import Extract
import Foundation
import Logging
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing
@testable import Validate

@Suite("StagedKeys: the client proves a staging's keys distinct, or leaves it to the server")
struct StagedKeysTests {
    private static func record(_ entity: Entity, _ fields: [Field: String]) -> ValidatedRecord {
        ValidatedRecord(entity: entity, location: SourceLocation(file: "f.csv", line: 2), values: entity.loadedFields.map { fields[$0] })
    }

    private static func keys(_ records: [ValidatedRecord]) -> StagedKeys {
        var keys = StagedKeys()
        keys.add(Dictionary(grouping: records, by: \.entity).mapValues { $0.map(StagedKeys.hash(of:)) })
        return keys
    }

    @Test("distinct keys are proven distinct, an entity with no rows too; only the key's fields count")
    func distinctKeys() {
        let keys = Self.keys([
            Self.record(.users, [.email: "ann@example.com", .firstName: "Ann"]),
            Self.record(.users, [.email: "bob@example.com", .firstName: "Ann"]),
            // The same external id for two users, and the split between the key's values moved: no repeat.
            Self.record(.jobRequests, [.email: "ann@example.com", .externalID: "J1"]),
            Self.record(.jobRequests, [.email: "bob@example.com", .externalID: "J1"]),
            Self.record(.jobRequests, [.email: "ann@example.co", .externalID: "mJ1"]),
            // An absent value is not an empty one.
            Self.record(.resumes, [.email: "ann@example.com", .externalID: ""]),
            Self.record(.resumes, [.email: "ann@example.com"]),
        ])
        #expect(keys.distinct() == Set(Entity.allCases))
    }

    @Test("a repeated key, whatever the other fields say, leaves its entity to the server's pass, and only it")
    func repeatedKey() {
        let keys = Self.keys([
            Self.record(.users, [.email: "ann@example.com", .firstName: "Ann"]),
            Self.record(.users, [.email: "ann@example.com", .firstName: "Anne"]),
            Self.record(.payments, [.email: "ann@example.com", .externalID: "P1", .amountCents: "100"]),
            Self.record(.payments, [.email: "ann@example.com", .externalID: "P1", .amountCents: "200"]),
            Self.record(.jobRequests, [.email: "ann@example.com", .externalID: "J1"]),
        ])
        #expect(keys.distinct() == Set(Entity.allCases).subtracting([.users, .payments]))
    }

    @Test("past the limit of rows kept, nothing is proven, and later batches keep nothing")
    func limit() {
        var keys = StagedKeys()
        keys.add([.users: (0..<UInt64(StagedKeys.limit)).map { $0 }])
        #expect(keys.distinct() == Set(Entity.allCases))
        keys.add([.recordings: [1]])
        keys.add([.resumes: [2]])
        #expect(keys.distinct().isEmpty)
    }

    @Test("the staging of an export: its entities proven distinct without duplicates, the one with a duplicate not")
    func stagedExport() throws {
        let folder = try GeneratedExport.make("staged-keys", ["--users", "300", "--seed", "5", "--bad-rows", "0", "--duplicates", "0"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let users = folder + "/users.csv"
        let text = try String(contentsOfFile: users, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let distinct = try Self.stagedDistinctKeys(folder)
        #expect(distinct == Set(Entity.allCases))

        // The second user's row again, its email in capitals: the staged (normalized) keys repeat.
        try (text + lines[2].uppercased() + "\n").write(toFile: users, atomically: true, encoding: .utf8)
        #expect(try Self.stagedDistinctKeys(folder) == Set(Entity.allCases).subtracting([.users]))
    }

    private static func stagedDistinctKeys(_ folder: String) throws -> Set<Entity> {
        let files = try InputFile.collect([folder], format: nil, mapping: nil)
        return try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows -> TransactionEnd<Set<Entity>> in
                let stager = RowStager(connection: rows.connection, options: ImportOptions(), rejects: RejectFile().writer,
                                       logger: Logger(label: "crm-pipeline.tests") { _ in SwiftLogNoOpLogHandler() }, progress: { _ in })
                return .rollback(try stager.stage(files, into: { SQLName.staged($0) }, rejectedUsers: .rejectedUsers).distinctKeys)
            }
        }
    }
}
