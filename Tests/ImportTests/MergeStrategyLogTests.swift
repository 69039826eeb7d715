import CRMSchema
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite("The binary names the merge strategy it ran, and why it did not run the faster one")
struct MergeStrategyLogTests {
    @Test("the log and the run record name the strategy (MergeStrategyChoiceTests: the notice where the role may not use the fast one)")
    func namedInLogAndRecord() throws {
        try TestDatabase.withFresh { database in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email,first_name\nana@example.com,Ana\n")
            harness.write("payments.csv", "email,external_id,amount_cents,currency,paid_at\nana@example.com,P1,900,EUR,2024-05-02T00:00:00Z\n")
            let outcome = try harness.run(nil, ["--log-level", "info"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            // A superuser may set session_replication_role, and so may Supabase's postgres (supautils).
            let expected = "set-based, keys checked set-based with the FK triggers aside"
            #expect(outcome.standardError.contains("strategy=\(expected)") && outcome.standardError.contains("merge strategy"))
            #expect(!outcome.standardError.contains("may not set session_replication_role"))
            #expect(try harness.scalar("SELECT strategy FROM \(SQLName.importRuns) ORDER BY id DESC LIMIT 1") == expected)
            #expect(try harness.counts() == "1/0/0/0/1/2", "the user, the payment, and the ledger's initial and payment rows")
            #expect(try harness.invariantViolations() == [])
        }
    }
}
