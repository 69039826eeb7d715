import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// Erasure requests (issue 25): `erasures*.csv` removes a person from every table the pipeline writes and
/// logs it without their data; their older rows never come back.
@Suite("Erasure requests, through the binary")
struct ErasureTests {
    static let request = "erasures.csv"
    static let annErased = "email,requested_at,reference\nann@example.com,2025-11-01T00:00:00Z,TICKET-1\n"

    @Test("an erasure removes the person from every table, their account too, and logs it with no trace of the email",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func erase(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            let outcome = try IdentityTests.importDelta([Self.request: Self.annErased], harness, mode)

            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try harness.scalar("SELECT count(*) FROM profiles WHERE email = 'ann@example.com'") == "0")
            #expect(try RemovalTests.rows(of: "bob@example.com", harness) == "1/1/0/0/0/1/1")
            let log = try database.connect().query("""
                SELECT reference, requested_at = '2025-11-01T00:00:00Z' AS asked, email_hash = crm_private.crm_email_hash('ann@example.com') AS hashed,
                       rows_removed ->> 'crm_recordings' AS recordings, rows_removed ->> 'profiles' AS profiles,
                       position('ann' IN row_to_json(e)::text) = 0 AS anonymous
                FROM crm_private.crm_erasures e
                """).rows
            #expect(log.count == 1)
            #expect(try log.first?.decode(String.self, "reference") == "TICKET-1")
            #expect(try log.first?.decode(Bool.self, "asked") == true)
            #expect(try log.first?.decode(Bool.self, "hashed") == true)
            #expect(try log.first?.decode(String.self, "recordings") == "1")
            #expect(try log.first?.decode(String.self, "profiles") == "1")
            #expect(try log.first?.decode(Bool.self, "anonymous") == true, "no part of the email in the log")
            #expect(outcome.standardOutput.contains("ERASED"), "\(outcome.standardOutput)")
            #expect(try CommandLineRunner.run(["verify", "--database-url", database.url]).status == 0)
        }
    }

    @Test("an old export imported again after the erasure is refused (erased); the person signing up again later loads",
          arguments: [["--mode", "nightly"], ["--mode", "backfill", "--jobs", "2", "--chunk-rows", "1"]])
    func oldRowsStayOut(mode: [String]) throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            #expect(try IdentityTests.importDelta([Self.request: Self.annErased], harness).status == 0)

            let again = try harness.run([harness.folder + "/base"], ["--force"] + mode)
            #expect(again.status == 0, "\(again.standardError)")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "0/0/0/0/0/0/0")
            #expect(try harness.rejects().filter { $0["reason"] as? String == "erased" }.count == 5, "ann's users row and her four others")
            #expect(try harness.rejects().first { $0["reason"] as? String == "erased" }?["message"] as? String
                    == "the person asked to be erased on 2025-11-01, and this row has no created_at to show it is newer")

            let back = try IdentityTests.importDelta([
                "users.csv": "email,first_name,created_at\nann@example.com,Ann,2025-12-01T10:00:00Z\n",
                "job_requests.csv": "email,external_id,job_title,created_at\nann@example.com,JR5,Nurse,2025-12-02T10:00:00Z\n",
            ], harness, mode)
            #expect(back.status == 0, "\(back.standardError)")
            #expect(try RemovalTests.rows(of: "ann@example.com", harness) == "1/1/0/0/0/1/1", "a new account: 4 initial credits")
            #expect(try CommandLineRunner.run(["verify", "--database-url", database.url]).status == 0)
        }
    }

    @Test("verify finds an erased person back in the tables from before the request")
    func verifyFindsThemBack() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            try IdentityTests.annAndBob(harness)
            #expect(try IdentityTests.importDelta([Self.request: Self.annErased], harness).status == 0)
            try database.connect().query(#"INSERT INTO "digital_resume_by_CRM" (email, created_at) VALUES ('ann@example.com', '2025-01-01')"#)

            let verify = try CommandLineRunner.run(["verify", "--database-url", database.url])
            #expect(verify.status == ExitStatus.dataError.rawValue)
            #expect(verify.standardOutput.contains("a person erased on 2025-11-01 (reference TICKET-1) in digital_resume_by_CRM"),
                    "\(verify.standardOutput)")
        }
    }
}
