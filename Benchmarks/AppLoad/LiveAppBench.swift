import Foundation
import PostgresClient
import TestSupport

/// One database cluster and the crm-pipeline binary, and the live-app set-up on it: a base database made
/// once (its users signed up, the base export imported, analyzed), copied afresh for every run.
struct LiveAppBench {
    let admin: ConnectionString
    let binary: String
    let export: LiveAppExport
    let folder: String

    static let base = "bench_live_base"

    /// The database `name` on the cluster, as the superuser that migrates and imports.
    func url(_ name: String, as role: String? = nil) -> String {
        let database = admin.with(database: name)
        return (role.map { database.with(user: $0) } ?? database).text
    }

    var deltaFolder: String { folder + "/delta" }

    /// Makes the base database: migrated, the API login role, the base users signed up, the base export
    /// imported, everything analyzed (as autovacuum would have long since).
    func makeBase() throws -> [AppUser] {
        try recreate(Self.base, from: nil)
        try run(["migrate", "--database-url", url(Self.base), "--log-level", "warning"])
        let users = try PostgresConnection.withConnection(url: url(Self.base)) { connection in
            try connection.executeScript(AppTraffic.loginRoleSQL)
            return try TestDatabase.signUp(export.baseEmails, gotrue: false, on: connection)
        }
        try export.writeBase(into: folder + "/base")
        try export.writeDelta(into: deltaFolder)
        try run(["import", folder + "/base", "--database-url", url(Self.base), "--reject-file", folder + "/base.rejects.jsonl",
                 "--log-level", "warning"])
        try PostgresConnection.withConnection(url: url(Self.base)) { try $0.query("VACUUM ANALYZE") }
        return users
    }

    /// Drops `name` and creates it again, empty or as a copy of `template`.
    func recreate(_ name: String, from template: String?) throws {
        try PostgresConnection.withConnection(url: admin.text) { connection in
            try connection.query("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)")
            try connection.query(template.map { "CREATE DATABASE \(ident: name) TEMPLATE \(ident: $0)" } ?? "CREATE DATABASE \(ident: name)")
            try connection.query("CHECKPOINT")
        }
    }

    /// Runs the binary and returns its exit status and seconds; `check` throws on a non-zero exit.
    @discardableResult
    func run(_ arguments: [String], check: Bool = true) throws -> (status: Int32, seconds: Double) {
        let start = Date()
        let outcome = try CommandLineRunner.run(executable: binary, arguments)
        if check && outcome.status != 0 {
            throw TestSupportError("crm-pipeline \(arguments.first ?? "") exited \(outcome.status): \(outcome.standardError.suffix(2000))")
        }
        return (outcome.status, Date().timeIntervalSince(start))
    }
}

/// App traffic of one shape: how many sessions, how fast.
struct TrafficShape: CustomStringConvertible {
    let sessions: Int
    let roundsPerSecond: Double?

    static let busy = TrafficShape(sessions: 4, roundsPerSecond: nil)
    static let quiet = TrafficShape(sessions: 1, roundsPerSecond: 1)

    var description: String {
        roundsPerSecond.map { "\(sessions) session, \(String(format: "%g", $0 * 3)) requests/s" } ?? "\(sessions) sessions, no pause"
    }
}

/// What one run measured: the command's outcome, and the app before and during it.
struct RunFigures {
    let status: Int32
    let seconds: Double
    let before: [AppRequest]
    let during: [AppRequest]
    let verifyStatus: Int32
    let negativeCredits: Int
    let rejectedForCredit: Int
}

extension LiveAppBench {
    /// A fresh copy of the base, traffic of `shape` for 3 s before, during `arguments` (a crm-pipeline command
    /// whose `{db}` is replaced by the copy's URL) and 1 s after; then `verify` and the balances.
    func measure(_ arguments: [String], shape: TrafficShape, users: [AppUser]) throws -> RunFigures {
        let name = "bench_live_run"
        try recreate(name, from: Self.base)
        let rejects = folder + "/run.rejects.jsonl"
        try? FileManager.default.removeItem(atPath: rejects)
        let traffic = AppTraffic(.init(url: url(name, as: "authenticator"), users: users, sessions: shape.sessions,
                                       roundsPerSecond: shape.roundsPerSecond))
        Thread.sleep(forTimeInterval: 3)
        let start = traffic.elapsed
        let arguments = arguments.map { $0 == "{db}" ? url(name) : $0 == "{rejects}" ? rejects : $0 }
        let (status, seconds) = try run(arguments + ["--log-level", "warning"], check: false)
        let end = traffic.elapsed
        Thread.sleep(forTimeInterval: 1)
        let log = try traffic.stop()
        let verify = try run(["verify", "--database-url", url(name)], check: false)
        let negative = try PostgresConnection.withConnection(url: url(name)) { connection in
            try connection.query("""
                SELECT (SELECT count(*) FROM crm_dashboard_stats WHERE credits < 0) + (SELECT count(*) FROM profiles WHERE credits < 0) AS n
                """).scalar(Int.self)
        }
        let rejected = (try? String(contentsOfFile: rejects, encoding: .utf8))?
            .split(separator: "\n").filter { $0.contains(#""reason":"insufficient_credits""#) }.count ?? 0
        return RunFigures(status: status, seconds: seconds, before: log.requests(to: start), during: log.requests(from: start, to: end),
                          verifyStatus: verify.status, negativeCredits: negative, rejectedForCredit: rejected)
    }
}
