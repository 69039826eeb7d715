import CRMSchema
import PipelineCore
import PostgresClient
import Validate

/// The end of a load (issue 24): everything it writes to rows the app writes too — its users' CRM rows, the
/// changed rows of their job requests, recordings, resumes and payments, their stats, ledger and profiles —
/// after the inserts, in the order the app's own writes and triggers take those rows: a user's CRM row
/// first (a sign-up's link starts there), then the children, then the stats row (the app's triggers take it
/// on every insert), then the profile. Each row is locked once, in key order, before it is written, and the
/// locks are held from here to the commit only. The credit walk runs again on the balances locked here, so
/// that the balance that decides whether an imported charge fits is the one the import writes to.
struct FinalWrites {
    let connection: PostgresConnection
    let strategy: any MergeStrategy
    let credits: RecordValidator.CreditPolicy
    let rejects: RejectFileWriter
    let path: (Int) -> String

    /// The existing users' balances, locked (`email`, `credits`).
    static let lockedBalances = SQLName("locked_balances")

    /// The message of a charge the app's spending during the import left without credit.
    static let spentMeanwhile = "the user has no credit left for this recording: the app spent it while the import ran"

    /// Locks, walks the credits again, updates the changed rows, and moves the existing users' stats and credits.
    ///
    /// - Parameter outcomes: What the insert step of each entity's merge found.
    /// - Returns: Each entity's counts, and the charges refused here.
    func run(_ outcomes: [Entity: MergeOutcome], runID: Int64, upkeep: Upkeep?) throws -> LoadTally {
        var tally = LoadTally()
        var outcomes = outcomes
        let changed = Entity.allCases.filter { (outcomes[$0]?.changed ?? 0) > 0 }
        if strategy.locksRowsInOrder && (!changed.isEmpty || upkeep != nil) {
            try connection.query("""
                SELECT count(*) AS n FROM (
                    SELECT 1 FROM \(SQLName.crmUsers) u WHERE u.email IN (\(usersWritten)) ORDER BY u.email FOR NO KEY UPDATE) locked
                """)
        }
        for entity in changed { try strategy.lockChanged(entity, on: connection) }
        if let upkeep {
            try lockBalances()
            if credits == .charge {
                for refusal in try CreditWalk(connection: connection)
                    .refuse(openings: CreditWalk.openingsBelow(Self.lockedBalances), why: Self.spentMeanwhile, path: path) {
                    tally.count(refusal.reject)
                    try rejects.write(refusal.reject)
                    if !refusal.stored {
                        try takeOut(refusal)
                        outcomes[.recordings, default: MergeOutcome()].inserted -= 1
                    }
                }
            }
        }
        for entity in Entity.allCases {
            let updated = changed.contains(entity) ? try strategy.updateChanged(entity, on: connection) : 0
            tally.counts[entity, default: EntityCounts()].add(outcomes[entity, default: MergeOutcome()].counts(updated: updated))
        }
        try upkeep?.moveExistingUsers(runID: runID, writesDirectly: strategy.upkeepWritesDirectly)
        return tally
    }

    /// The existing users this step writes for: those whose stored rows change, and those whose stats and
    /// balance move (the new ones' rows are this transaction's own, out of the app's reach).
    private var usersWritten: SQLQuery {
        """
        SELECT email FROM \(MergePlan.changedUsers) UNION \(balancesMoved)
        """
    }

    /// The existing users whose stats or balance move: rows inserted for them, or new charges (of recordings
    /// loaded uncharged too, which `touched` learns only in the update).
    private var balancesMoved: SQLQuery {
        """
        SELECT email FROM \(SQLName.touched) UNION SELECT email FROM \(CreditWalk.users) WHERE existing
        EXCEPT SELECT email FROM \(SQLName.newUsers)
        """
    }

    /// Locks the stats rows of the existing users whose stats or balance move, in email order, and keeps their
    /// balances. (On Citus, which runs no multi-shard `SELECT … FOR UPDATE`, through an update that changes nothing.)
    private func lockBalances() throws {
        let emails = balancesMoved
        try connection.query(strategy.locksRowsInOrder
            ? """
              CREATE TEMP TABLE \(Self.lockedBalances) ON COMMIT DROP AS
              SELECT s.email, s.credits FROM \(SQLName.dashboardStats) s WHERE s.email IN (\(emails)) ORDER BY s.email FOR NO KEY UPDATE
              """
            : """
              CREATE TEMP TABLE \(Self.lockedBalances) ON COMMIT DROP AS
              SELECT email, credits FROM \(SQLName.lockBalances)(ARRAY(\(emails)))
              """)
    }

    /// Deletes a recording the inserts stored and the walk then refused, and its counts in `touched`.
    private func takeOut(_ refusal: CreditWalk.Refusal) throws {
        try connection.query("""
            DELETE FROM \(SQLName.recordings) WHERE email = \(bind: refusal.email) AND external_id = \(bind: refusal.externalID)
            """)
        try connection.query("""
            INSERT INTO \(SQLName.touched) (email, recordings, charged) VALUES (\(bind: refusal.email), -1, -1)
            """)
    }
}
