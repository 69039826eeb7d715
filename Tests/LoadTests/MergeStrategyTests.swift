import CRMSchema
import Extract
import Foundation
@testable import Load
import PipelineCore
import PostgresClient
import TestSupport
import Testing

@Suite("Merge strategies: every path ends in the same tables, stats, credits, ledger and account links")
struct MergeStrategyTests {
    /// Every strategy, by name. (Setting `session_replication_role` needs a superuser or, on Supabase,
    /// supautils' grant to `postgres`, which the Supabase-shaped test database is given.)
    static let strategies: [(name: String, strategy: any MergeStrategy)] = [
        ("keys checked set-based, FK triggers aside", MergePlan(keys: .checkedSetBased)),
        ("FK triggers, accounts opened with final values", MergePlan()),
        ("FK triggers, accounts opened then moved, changes found by the update (the Citus plan)", MergePlan(keys: .citus)),
    ]

    @Test("two imports (new users, then new and existing ones, updates, sign-ups, a profile the app made) through each strategy, nightly and as a backfill")
    func sameTables() throws {
        let folder = try Self.twoExports()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var fingerprints: [String: String] = [:]
        for (name, strategy) in Self.strategies {
            for mode in [ImportOptions.Mode.nightly, .backfill] {
                fingerprints["\(name), \(mode)"] = try TestDatabase.withFresh { database in
                    try Self.load(folder, into: database, strategy: strategy, mode: mode)
                    let connection = try database.connect()
                    #expect(try connection.invariantViolations() == [], "\(name), \(mode)")
                    return try connection.contentFingerprint(accounts: true)
                }
            }
        }
        #expect(Set(fingerprints.values).count == 1, "\(fingerprints)")
    }

    /// Signs up two users of the first export, imports it, signs up one user new in the second, gives
    /// another a profile as the app would, and imports the second export (a superset with one user
    /// changed, and a payment and a charged recording for existing users).
    static func load(_ folder: String, into database: TestDatabase, strategy: any MergeStrategy, mode: ImportOptions.Mode) throws {
        let emails = try Self.emails(in: "\(folder)/second/users.csv")
        let connection = try database.connect()
        _ = try database.signUp(emails[0, default: ""])
        _ = try database.signUp(emails[3, default: ""])
        for part in ["first", "second"] {
            if part == "second" {
                _ = try database.signUp(emails[70, default: ""])
                try connection.query("INSERT INTO \(SQLName.profiles) (email, credits) VALUES (\(bind: emails[75, default: ""]), 9)")
            }
            var importer = ImporterTests.importer(database) {
                $0.mode = mode
                $0.jobs = mode == .backfill ? 2 : 1
                $0.chunkRows = 200
            }
            importer.strategy = strategy
            let summary = try importer.run(files: try InputFile.collect(["\(folder)/\(part)"], format: nil, mapping: nil))
            #expect(summary.strategy == strategy.name)
        }
    }

    /// `first`: 60 generated users; `second`: 90 of the same generation (the first 60 equal) plus a changed
    /// user and new rows for existing users, in files of their own.
    static func twoExports() throws -> String {
        let folder = NSTemporaryDirectory() + "crm-strategies-" + UUID().uuidString
        for (part, users) in [("first", "60"), ("second", "90")] {
            try GeneratedExport.make("strategies", ["--users", users, "--seed", "7", "--bad-rows", "0.05"], into: "\(folder)/\(part)")
        }
        let emails = try emails(in: "\(folder)/second/users.csv")
        let extra: [(String, String)] = [
            ("users-changed.csv", "email,crm_user_id,first_name,last_name,phone,created_at,updated_at\n\(emails[1, default: ""]),C-1,Changed,Name,+1 555 0100,2025-01-01T00:00:00Z,2027-01-01T00:00:00Z\n"),
            ("payments-extra.csv", "email,external_id,amount_cents,currency,paid_at\n\(emails[2, default: ""]),PAY-EXTRA,900,EUR,2026-01-01T00:00:00Z\n"),
            ("recordings-extra.csv", "email,external_id,job_request_external_id,video_url,duration_seconds,credit_charged,created_at\n"
                + "\(emails[2, default: ""]),REC-EXTRA,,https://v.example.com/x.mp4,30,true,2026-01-02T00:00:00Z\n"),
        ]
        for (name, text) in extra {
            try text.write(toFile: "\(folder)/second/\(name)", atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// The email of generated user N (`userN@…`) by N, duplicates and bad rows left out.
    static func emails(in path: String) throws -> [Int: String] {
        var emails: [Int: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let email = String(line.prefix { $0 != "," })
            guard let match = email.firstMatch(of: /^user([0-9]+)@/), let number = Int(match.1) else { continue }
            emails[number] = emails[number] ?? email
        }
        return emails
    }
}
