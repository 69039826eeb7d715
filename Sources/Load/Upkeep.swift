import CRMSchema
import PipelineCore
import PostgresClient

/// The set-based upkeep of an import (SPEC §2): while the row triggers stand aside, stats, credits, the
/// ledger, the co-located balances and the account links are kept with one statement each.
struct Upkeep {
    let connection: PostgresConnection

    /// Whether this session may make the row triggers stand aside (RLS does not apply to it).
    func isBulkLoader() throws -> Bool {
        try connection.query("SELECT \(SQLName.isBulkLoader)() AS loader").scalar(Bool.self)
    }

    /// Turns the stand-aside switch on for this transaction; returns whether the triggers honour it. When
    /// they do not, they keep stats and credits row by row and this type must do nothing.
    func standAside() throws -> Bool {
        try connection.setLocal(UpkeepSwitch.setting, to: "on")
        return try isBulkLoader()
    }

    /// On Citus, everything the app's own writes left for the catch-up (profiles, sign-up links), for every
    /// CRM user; nothing on plain PostgreSQL, whose triggers leave nothing to catch up. Returns the changes.
    static func catchUpEveryProfile(on connection: PostgresConnection) throws -> Int {
        guard try Upkeep(connection: connection).isBulkLoader() else { return 0 }
        return try connection.query("""
            SELECT coalesce((SELECT (SELECT count(*) FROM \(SQLName.profilesCatchUp)()) WHERE \(SQLName.isDistributed)()), 0) AS changes
            """).scalar(Int.self)
    }

    /// The same for the staged users, inside the import's transaction: the upkeep below reads and moves
    /// their profiles, which the app may have left behind since the run started. On plain PostgreSQL
    /// nothing is done (a copy there could overwrite a charge the app commits meanwhile).
    func catchUpStagedProfiles() throws {
        try connection.query("""
            SELECT (SELECT count(*) FROM \(SQLName.profilesCatchUp)(ARRAY(\(LoadSQL.stagedEmails([.users, .recordings, .payments])))))
            WHERE \(SQLName.isDistributed)()
            """)
    }

    /// After the inserts, before the final writes: the accounts of the users this import created, which the app
    /// cannot write yet (their CRM row is not committed).
    ///
    /// - Parameters:
    ///   - writesDirectly: New users' accounts opened with their final values (``AccountOpening``);
    ///     otherwise through the upkeep functions (Citus runs those distributed).
    ///   - scope: The backfill chunk the staging holds (``BackfillChunk/whole`` for a nightly load).
    func openNewUsers(runID: Int64, writesDirectly: Bool, scope: BackfillChunk) throws {
        if writesDirectly { _ = try AccountOpening(connection: connection).openNewAccounts(ref: "import:\(runID)", scope: scope) }
        try connection.query("SELECT \(SQLName.usersCreated)(array_agg(email)) FROM \(SQLName.newUsers) HAVING count(*) > 0")
    }

    /// On Citus, in the final writes (``FinalWrites``), once the users' balances are locked and their charges
    /// walked again: stats moved by the rows inserted, credits booked (one ledger row per user, import and kind
    /// of movement, `ref` = `import:RUN`), the co-located balances following, and each staged user's account
    /// copied to all their rows (the stats and ledger rows just written included), through the upkeep
    /// functions, which Citus runs distributed. (Plain PostgreSQL writes the same directly: ``AccountMoves``.)
    func moveThroughFunctions(runID: Int64) throws {
        try connection.query("""
            SELECT \(SQLName.adjustStats)(array_agg(email), array_agg(applications), array_agg(recordings), array_agg(resumes))
            FROM (\(LoadSQL.touchedPerUser)) per_user
            WHERE applications <> 0 OR recordings <> 0 OR resumes <> 0
            HAVING count(*) > 0
            """)
        try connection.query("""
            SELECT \(SQLName.bookCredits)(array_agg(m.email), array_agg(m.delta), array_agg(m.reason), array_agg(\(bind: "import:\(runID)")::text))
            FROM (\(LoadSQL.touchedPerUser)) per_user
            CROSS JOIN LATERAL (VALUES (per_user.email, \(CreditSQL.bought("per_user.payments")), 'payment'::text),
                                       (per_user.email, -\(CreditSQL.used("per_user.charged")), 'recording')) m(email, delta, reason)
            WHERE m.delta <> 0
            HAVING count(*) > 0
            """)
        // New users' balances take their new account's; existing users' move by what the import booked.
        try connection.query("""
            SELECT \(SQLName.balancesFollowProfiles)(array_agg(email)) FROM \(SQLName.newUsers) HAVING count(*) > 0
            """)
        try connection.query("""
            SELECT \(SQLName.moveBalances)(array_agg(email), array_agg(delta))
            FROM (SELECT email, \(CreditSQL.movement(payments: "payments", charged: "charged")) AS delta
                  FROM (\(LoadSQL.touchedPerUser)) per_user
                  WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.newUsers) n WHERE n.email = per_user.email)) moved
            WHERE delta <> 0
            HAVING count(*) > 0
            """)
        try connection.query("""
            SELECT \(SQLName.linkAccounts)(array_agg(u.email)) FROM \(SQLName.crmUsers) u
            WHERE u.user_id IS NOT NULL
              AND u.email IN (\(LoadSQL.stagedEmails([.users])) UNION SELECT email FROM \(SQLName.touched))
            HAVING count(*) > 0
            """)
    }
}
