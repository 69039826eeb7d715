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
    func distinctKeysProven() {
        let keys = Self.keys([
            Self.record(.users, [.email: "ann@example.com", .firstName: "Ann"]),
            Self.record(.users, [.email: "bob@example.com", .firstName: "Ann"]),
            // The same external id for two users, and the split between the key's values moved: no repeat.
            Self.record(.jobRequests, [.email: "ann@example.com", .externalID: "J1"]),
            Self.record(.jobRequests, [.email: "bob@example.com", .externalID: "J1"]),
            Self.record(.jobRequests, [.email: "ann@example.co", .externalID: "mJ1"]),
            // The hash tells an absent value from an empty one (validation leaves neither in a key: a scheme check).
            Self.record(.resumes, [.email: "ann@example.com", .externalID: ""]),
            Self.record(.resumes, [.email: "ann@example.com"]),
        ])
        #expect(keys.provenDistinct() == Set(Entity.allCases))
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
        #expect(keys.provenDistinct() == Set(Entity.allCases).subtracting([.users, .payments]))
    }

    @Test("past the limit of rows kept, nothing is proven, and later batches keep nothing")
    func limit() {
        var keys = StagedKeys()
        keys.add([.users: (0..<UInt64(StagedKeys.limit)).map { $0 }])
        #expect(keys.provenDistinct() == Set(Entity.allCases))
        keys.add([.recordings: [1]])
        keys.add([.resumes: [2]])
        #expect(keys.provenDistinct().isEmpty)
    }

    @Test("the staging of an export: the entities proven distinct are those the server finds no repeated key in")
    func stagedExport() throws {
        let folder = try GeneratedExport.make("staged-keys", ["--users", "300", "--seed", "5", "--bad-rows", "0", "--duplicates", "0"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let users = folder + "/users.csv"
        let text = try String(contentsOfFile: users, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let staged = try Self.stage(folder)
        #expect(staged.proven == Set(Entity.allCases))
        #expect(staged.repeatedOnServer.isEmpty)

        // The second user's row again, its email in capitals: the staged (normalized) keys repeat.
        try (text + lines[2].uppercased() + "\n").write(toFile: users, atomically: true, encoding: .utf8)
        let again = try Self.stage(folder)
        #expect(again.proven == Set(Entity.allCases).subtracting([.users]))
        #expect(again.repeatedOnServer == [.users])
    }

    /// Stages the export in `folder`: the entities the client proved distinct, and those whose staged keys repeat
    /// as the server's deduplication sees them.
    private static func stage(_ folder: String) throws -> (proven: Set<Entity>, repeatedOnServer: Set<Entity>) {
        let files = try InputFile.collect([folder], format: nil, mapping: nil)
        return try TestDatabase.withFresh { database in
            try StagedRows.inTransaction(database) { rows -> TransactionEnd<(Set<Entity>, Set<Entity>)> in
                let stager = RowStager(connection: rows.connection, options: ImportOptions(), rejects: RejectFile().writer,
                                       logger: Logger(label: "crm-pipeline.tests") { _ in SwiftLogNoOpLogHandler() }, progress: { _ in })
                let proven = try stager.stage(files, into: { SQLName.staged($0) }, rejectedUsers: .rejectedUsers).provenDistinct
                let repeated = try Entity.allCases.filter { try Deduplication(connection: rows.connection).keysRepeat($0) }
                return .rollback((proven, Set(repeated)))
            }
        }
    }
}
