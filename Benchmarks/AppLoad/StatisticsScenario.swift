import Foundation
import PostgresClient
import TestSupport

/// Plans without statistics (issue 24): the base import right after its users' accounts were created in bulk
/// in auth.users, and the nightly delta right after that large first import, on tables autovacuum has not
/// analyzed yet (kept so for the run), against the same with every table analyzed first.
struct StatisticsScenario {
    let bench: LiveAppBench
    /// Accounts in auth.users: the base users' and others.
    let accounts: Int

    /// Seconds of the base import and of the delta import, with or without `ANALYZE` before each.
    func measure(analyzed: Bool) throws -> (base: Double, delta: Double) {
        let name = "bench_live_stats"
        try bench.recreate(name, from: nil)
        let url = bench.url(name)
        try bench.run(["migrate", "--database-url", url, "--log-level", "warning"])
        try PostgresConnection.withConnection(url: url) { connection in
            // Autovacuum would analyze these tables on its own time, during the run or not: never, here.
            for table in ["auth.users", #""digital_resume_by_CRM""#, "crm_job_requests", "crm_recordings", "crm_resumes", "crm_payments",
                          "crm_credit_ledger", "crm_dashboard_stats", "profiles"] {
                try connection.executeScript("ALTER TABLE \(table) SET (autovacuum_enabled = false)")
            }
            let others = (0..<max(0, accounts - bench.export.users)).map { "account\($0)@example.org" }
            _ = try TestDatabase.signUp(bench.export.baseEmails + others, gotrue: false, on: connection)
            if analyzed { try connection.query("ANALYZE auth.users") }
        }
        let base = try bench.run(["import", bench.folder + "/base", "--database-url", url, "--reject-file", bench.folder + "/stats.jsonl",
                                  "--log-level", "warning"]).seconds
        if analyzed { try PostgresConnection.withConnection(url: url) { try $0.query("ANALYZE") } }
        let delta = try bench.run(["import", bench.deltaFolder, "--database-url", url, "--reject-file", bench.folder + "/stats.jsonl",
                                   "--log-level", "warning"]).seconds
        return (base, delta)
    }
}
