import CRMSchema
import PipelineCore
import PostgresClient

/// One broken invariant: whose, what, what it should be, and what it is.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public let email: String?
    public let what: String
    public let expected: String
    public let found: String

    public var description: String {
        "\(email ?? "-")  \(what): expected \(expected), found \(found)"
    }
}

/// `crm-pipeline verify`: checks every invariant of SPEC §2, and repairs stats and credits drift.
public struct Verifier {
    private let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// The triggers the schema must have, enabled, by table.
    static let expectedTriggers: [(table: SQLName, trigger: String)] = [
        (.crmUsers, "crm_users_open_accounts"), (.crmUsers, "crm_users_fill_user_id"), (.crmUsers, "crm_users_link_accounts"),
        (.jobRequests, "crm_job_requests_count"), (.recordings, "crm_recordings_count"), (.recordings, "crm_recordings_charge_credit"),
        (.recordings, "crm_recordings_charge_credit_later"), (.resumes, "crm_resumes_count"), (.payments, "crm_payments_grant_credits"),
        (.jobRequests, "crm_job_requests_check_owner"), (.recordings, "crm_recordings_check_owner"),
        (.resumes, "crm_resumes_check_owner"), (.dashboardStats, "crm_dashboard_stats_check_owner"),
        (.creditLedger, "crm_credit_ledger_check_owner"), (.payments, "crm_payments_check_owner"),
        (.jobRequests, "crm_job_requests_unlink_recordings"),
    ]

    /// The triggers that keep profiles and sign-ups up to date at once: expected on plain PostgreSQL, and
    /// expected absent once `migrate --citus` has distributed the tables (there they would make the app's
    /// writes fail; `crm_profiles_catch_up` does their work).
    static let profileTriggers: [(table: SQLName, trigger: String)] = [
        (.dashboardStats, "crm_dashboard_stats_profiles_follow"), (.crmUsers, "crm_users_open_profile"),
        (.crmUsers, "crm_users_link_profile"), (.authUsers, "crm_link_crm_user"),
    ]

    /// The statement triggers that keep the report rollup (migration 0024), which must fire always (also while an
    /// import lets the others stand aside); absent on Citus, where the rollup is not used.
    static let rollupTriggers: [(table: SQLName, trigger: String)] = ReportRollup.countedTables
        .flatMap { table in ["inserts", "deletes", "updates"].map { (table, ReportRollup.trigger(on: table, $0)) } }

    /// The app's tables, which must have Row Level Security and exactly the privilege matrix.
    static let protectedTables: [SQLName] = [
        .crmUsers, .jobRequests, .recordings, .resumes, .dashboardStats, .profiles, .creditLedger, .payments,
    ]

    /// The tables the app writes itself (`authenticated` may insert, update and delete its own rows).
    static let appWrittenTables: [SQLName] = [.jobRequests, .recordings, .resumes]

    /// Every violation, in a stable order.
    public func check() throws -> [Violation] {
        var violations: [Violation] = []
        func collect(_ query: SQLQuery) throws {
            violations += try connection.query(query).rows.map {
                Violation(email: try $0.decode(String?.self, "email"), what: try $0.decode(String.self, "what"),
                          expected: try $0.decode(String.self, "expected"), found: try $0.decode(String.self, "found"))
            }
        }
        for check in [VerifySQL.statsDrift, VerifySQL.creditsDrift, VerifySQL.balanceDrift, VerifySQL.accountLinks, VerifySQL.orphans,
                      VerifySQL.erasedPresent] {
            try collect(check)
        }
        try collect(VerifySQL.rowLevelSecurity(Self.protectedTables.map(\.name)))
        try collect(VerifySQL.privileges(tables: Self.protectedTables.map(\.name), written: Self.appWrittenTables.map(\.name)))
        let distributed = try connection.query("SELECT \(SQLName.isDistributed)() AS distributed").scalar(Bool.self)
        for (table, trigger) in Self.expectedTriggers {
            try collect(VerifySQL.trigger(table, trigger))
        }
        for (table, trigger) in Self.profileTriggers {
            try collect(distributed ? VerifySQL.unwantedTrigger(table, trigger) : VerifySQL.trigger(table, trigger))
        }
        for (table, trigger) in Self.rollupTriggers {
            try collect(distributed ? VerifySQL.unwantedTrigger(table, trigger) : VerifySQL.trigger(table, trigger, always: true))
        }
        if !distributed {
            try collect(try connection.query(VerifySQL.rollupInUse).scalar(Bool.self) ? VerifySQL.rollupDrift : VerifySQL.rollupNotFilled)
        }
        return violations
    }

    /// Repairs stats and credits drift in one transaction: stats rows set to the real counts (created where
    /// missing), balances set to the ledger sum, profiles caught up with them (opened, linked, set to the
    /// balance, sign-ups linked: `crm_profiles_catch_up`), and any account still missing or off the ledger
    /// repaired. The drifted users are found first and their rows locked before the repairs read them again,
    /// so that the app, which goes on writing, never has a write undone by a repair (issue 24); the app waits
    /// for those users only, until the commit. Then a report rollup that is not filled or differs from the
    /// tables is filled, in a transaction of its own.
    ///
    /// - Returns: What changed, one line per user and kind of change (`email: change`), and one for the rollup.
    public func fix() throws -> [String] {
        try connection.transaction { connection in
            var changes: [String] = []
            // On Citus, the catch-up can only follow the multi-shard updates before it in one transaction
            // when they used one connection per node. (A placeholder setting without Citus.)
            try connection.setLocal("citus.multi_shard_modify_mode", to: "sequential")
            try connection.query(VerifySQL.collectDrifted)
            let distributed = try connection.query("SELECT \(SQLName.isDistributed)() AS distributed").scalar(Bool.self)
            for lock in VerifySQL.lockDrifted(distributed: distributed) { try connection.query(lock) }
            for repair in [VerifySQL.fixStats, VerifySQL.fixBalances, VerifySQL.catchUpProfiles, VerifySQL.fixMissingAccounts,
                           VerifySQL.fixCredits] {
                changes += try connection.query(repair).rows.map {
                    "\(try $0.decode(String.self, "email")): \(try $0.decode(String.self, "change"))"
                }
            }
            return .commit(changes)
        } + fillRollup()
    }

    /// Fills the report rollup from the tables when it is not in use yet (after `migrate --print`) or differs
    /// from them, in one snapshot (``PostgresConnection/inReportRollupSnapshot(_:)``). Not on Citus.
    private func fillRollup() throws -> [String] {
        guard try !connection.query("SELECT \(SQLName.isDistributed)() AS distributed").scalar(Bool.self) else { return [] }
        return try connection.inReportRollupSnapshot { connection in
            let inUse = try connection.query(VerifySQL.rollupInUse).scalar(Bool.self)
            let drifted = inUse ? try connection.query("SELECT count(*) AS n FROM \(SQLName.activityDrift)()").scalar(Int64.self) : 0
            guard !inUse || drifted > 0 else { return .commit([]) }
            try connection.query("SELECT \(SQLName.activityFill)()")
            return .commit([inUse ? "report rollup: rebuilt from the tables (\(drifted) month(s) of users and totals differed)"
                                  : "report rollup: filled from the tables and put in use"])
        }
    }
}
