// The live app beside the pipeline (issue 24): app sessions act as the app's users through PostgREST's
// roles (insert a job request, insert a charged recording on it, read the dashboard; each request its own
// transaction as `authenticated`, with Supabase's 8 s statement_timeout) while a nightly import, a
// backfill --jobs 2 or a verify --fix runs on a copy of the same base database. Prints Markdown: each
// command's exit codes and times, the app's requests, failures by SQLSTATE and latency before and during,
// `verify` after, and credits below zero.
//
//   app-load-benchmark ADMIN_URL CRM_PIPELINE [USERS TOUCHED ADDED RUNS [LARGE_EXPORT]]
//   (defaults 40000 25000 10000 10: the set-up of issue 24, ten runs of each import). LARGE_EXPORT, a folder
//   (make bench's ≈ 1M-row export of other users), is also imported nightly beside the app, once.
// Then migrate: a migration altering crm_job_requests while an app transaction holds it for 3 s (applied
// on a later attempt), and while it holds it throughout (migrate gives up, the holder named).
import Foundation
import Migrate
import PostgresClient
import TestSupport

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: app-load-benchmark ADMIN_URL CRM_PIPELINE [USERS TOUCHED ADDED RUNS]\n".utf8))
    exit(64)
}
func number(_ index: Int, _ fallback: Int) -> Int { arguments.count > index ? Int(arguments[index]) ?? fallback : fallback }
let export = LiveAppExport(users: number(3, 40_000), touched: number(4, 25_000), added: number(5, 10_000))
let runs = number(6, 10)
let folder = NSTemporaryDirectory() + "crm-app-load-" + UUID().uuidString
defer { try? FileManager.default.removeItem(atPath: folder) }
let bench = LiveAppBench(admin: try ConnectionString(arguments[1]), binary: arguments[2], export: export, folder: folder)
let users = try bench.makeBase()

let chunkRows = String(max(1_000, (export.touched * 9 / 2 + export.added * 11 / 2) / 8))
var commands: [(name: String, arguments: [String], shapes: [TrafficShape], runs: Int)] = [
    ("nightly import", ["import", bench.deltaFolder, "--database-url", "{db}", "--reject-file", "{rejects}"], [.busy, .quiet], runs),
    ("backfill --jobs 2", ["import", bench.deltaFolder, "--mode", "backfill", "--jobs", "2", "--chunk-rows", chunkRows,
                           "--database-url", "{db}", "--reject-file", "{rejects}"], [.busy, .quiet], runs),
    ("verify --fix", ["verify", "--fix", "--database-url", "{db}"], [.busy], min(runs, 3)),
]
if arguments.count > 7 {
    commands.append(("nightly import of make bench's export (new users only)",
                     ["import", arguments[7], "--database-url", "{db}", "--reject-file", "{rejects}"], [.busy], 1))
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.0f", seconds * 1000) }
/// `p50 / p99 / max` in ms.
func latency(_ figures: AppTrafficFigures) -> String {
    "\(milliseconds(figures.p50)) / \(milliseconds(figures.p99)) / \(milliseconds(figures.max))"
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

print("## The live app beside the pipeline (issue 24)")
print()
print("`app-load-benchmark`: \(export.users) CRM users signed up and imported; a nightly delta touching \(export.touched) of them")
print("(a changed name, a job request, two charged recordings, a payment for every other one) and adding \(export.added) new ones;")
print("app sessions as the app's users (insert a job request, insert a charged recording on it, read the dashboard, each its own")
print("transaction as `authenticated`) during each command, on a fresh copy of the base each run. Latency in ms, every request.")
print()
print("| command | app traffic | runs | exit codes | command s (median) | app requests (during) | failed (by SQLSTATE) | refused for credit (app) | import charges rejected | p50 / p99 / max before | p50 / p99 / max during | verify after | credits < 0 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for command in commands {
    for shape in command.shapes {
        var figures: [RunFigures] = []
        for _ in 0..<command.runs { figures.append(try bench.measure(command.arguments, shape: shape, users: users)) }
        let during = AppTrafficFigures(figures.flatMap(\.during))
        let before = AppTrafficFigures(figures.flatMap(\.before))
        let statuses = Set(figures.map(\.status)).sorted().map(String.init).joined(separator: ", ")
        let verify = Set(figures.map(\.verifyStatus)).sorted().map(String.init).joined(separator: ", ")
        print("| \(command.name) | \(shape) | \(figures.count) | \(statuses) | \(String(format: "%.2f", median(figures.map(\.seconds)))) "
              + "| \(during.requests) | \(during.failureSummary) | \(during.refusedForCredit) | \(figures.map(\.rejectedForCredit).reduce(0, +)) "
              + "| \(latency(before)) | \(latency(during)) "
              + "| \(verify) | \(figures.map(\.negativeCredits).reduce(0, +)) |")
        fflush(nil)
    }
}

let policy = LockWaitPolicy(timeout: 1, attempts: 4, firstPause: 0.5)
print()
print(String(format: "`migrate` of a migration that alters crm_job_requests (`ALTER TABLE … ADD COLUMN`), lock timeout %g s, %d attempts", policy.timeout, policy.attempts))
print("(the pause doubling from 0.5 s), with \(TrafficShape.busy) as above:")
print()
print("| while | migrate | seconds | app requests (during) | failed (by SQLSTATE) | p50 / p99 / max before | p50 / p99 / max during |")
print("|---|---|---|---|---|---|---|")
for hold in [3.0, nil] {
    let scenario = MigrateScenario(bench: bench, holdSeconds: hold, policy: policy)
    let run = try scenario.measure(shape: .busy, users: users)
    let during = AppTrafficFigures(run.during)
    print("| \(scenario.description) | \(run.outcome) | \(String(format: "%.2f", run.seconds)) | \(during.requests) | \(during.failureSummary) "
          + "| \(latency(AppTrafficFigures(run.before))) | \(latency(during)) |")
    fflush(nil)
}

let statistics = StatisticsScenario(bench: bench, accounts: export.users * 5 / 4)
var unanalyzed: [(base: Double, delta: Double)] = [], analyzed: [(base: Double, delta: Double)] = []
for _ in 0..<min(runs, 3) {
    unanalyzed.append(try statistics.measure(analyzed: false))
    analyzed.append(try statistics.measure(analyzed: true))
}
func seconds(_ values: [Double]) -> String { values.map { String(format: "%.2f", $0) }.joined(separator: " / ") }
let baseRatio = median(unanalyzed.map(\.base)) / median(analyzed.map(\.base))
let deltaRatio = median(unanalyzed.map(\.delta)) / median(analyzed.map(\.delta))
print()
print("Plans without statistics: the base import right after \(statistics.accounts) accounts were created in auth.users at once, then the")
print("nightly delta right after that first import, autovacuum kept off those tables; against the same with every table analyzed")
print("before each import (\(unanalyzed.count) runs each, interleaved; seconds):")
print()
print("| import | not analyzed | analyzed | ratio (medians) | goal ≤ 1.5× |")
print("|---|---|---|---|---|")
print("| base import after a bulk auth.users load | \(seconds(unanalyzed.map(\.base))) | \(seconds(analyzed.map(\.base))) "
      + "| \(String(format: "%.2f", baseRatio))× | \(baseRatio <= 1.5 ? "met" : "NOT met") |")
print("| nightly delta after the large first import | \(seconds(unanalyzed.map(\.delta))) | \(seconds(analyzed.map(\.delta))) "
      + "| \(String(format: "%.2f", deltaRatio))× | \(deltaRatio <= 1.5 ? "met" : "NOT met") |")
