import CRMSchema
import PipelineCore
import PostgresClient
import Validate

/// The end of a load (issue 24): everything it writes to rows the app writes too — its users' CRM rows, the
/// changed rows of their job requests, recordings, resumes and payments, their stats, ledger and profiles —
/// after the inserts, in the order the app's own writes and triggers take those rows: a user's CRM row
/// first (a sign-up's link starts there), then the children, then the stats row (the app's triggers take it
/// on every insert), then the profile. Rows are locked in key order before they are written, and the stats
/// and profiles, which every request of the app that spends or counts takes, come last: from their lock to
/// the commit is one UPDATE of each. The balance that decides whether an imported charge fits is the one
/// written to: a user whose balance the app spent below their new charges since the credit walk is locked
/// and walked again, and the charges that no longer fit are rejected (`insufficient_credits`).
struct FinalWrites {
    let connection: PostgresConnection
    let strategy: any MergeStrategy
    let credits: RecordValidator.CreditPolicy
    let rejects: RejectFileWriter
    let path: (Int) -> String

    /// The message of a charge the app's spending during the import left without credit.
    static let spentMeanwhile = "the user has no credit left for this recording: the app spent it while the import ran"

    /// Locks and updates the changed rows, and moves the existing users' stats and credits (`upkeep`: `nil` when
    /// the row triggers do the upkeep).
    ///
    /// - Parameter outcomes: What the insert step of each entity's merge found.
    /// - Returns: Each entity's counts, and the charges refused here.
    func run(_ outcomes: [Entity: MergeOutcome], runID: Int64, upkeep: Upkeep?) throws -> LoadTally {
        var tally = LoadTally()
        var outcomes = outcomes
        let changed = Entity.crmRecords.filter { (outcomes[$0]?.changed ?? 0) > 0 }
        // The users the CRM no longer has go first: their CRM row locked for a delete, then all their rows.
        let removal = UserRemoval(connection: connection)
        if try !removal.isEmpty() {
            if strategy.locksRowsInOrder { try connection.query(UserRemoval.lock) }
            for (table, count) in try removal.remove() {
                guard let entity = Entity.crmRecords.first(where: { SQLName.table(of: $0) == table }) else { continue }
                tally.counts[entity, default: EntityCounts()].deleted += count.deleted
                tally.counts[entity, default: EntityCounts()].erased += count.erased
            }
            try Erasures(connection: connection).log(runID: runID)
        }
        if strategy.locksRowsInOrder {
            try connection.query("""
                SELECT count(*) AS n FROM (
                    SELECT 1 FROM \(SQLName.crmUsers) u
                    WHERE u.email IN (SELECT email FROM \(SQLName.changedUsers) UNION \(Self.balancesMoved))
                    ORDER BY u.email FOR NO KEY UPDATE) locked
                """)
            // The users' changed rows are locked with them.
            for entity in changed where entity != .users { try strategy.lockChanged(entity, on: connection) }
        }
        var updated: [Entity: Int] = [:]
        for entity in changed { updated[entity] = try strategy.updateChanged(entity, on: connection) }
        if let upkeep {
            let ref = "import:\(runID)"
            // The charges of recordings loaded uncharged that become charged, counted with the rest: only where a
            // stored recording changes. (The statement joins the recordings this import just inserted, of which
            // the table's statistics know nothing: run for nothing, a plan made for an empty table read them once
            // per staged row, 44 s for a 98k-row delta.)
            if changed.contains(.recordings) { try strategy.recordChargedLater(on: connection) }
            if strategy.upkeepWritesDirectly {
                let moves = AccountMoves(connection: connection, ref: ref)
                try moveDirectly(moves, &tally, &outcomes)
                updated[.recordings, default: 0] += try updateNewlyCharged(changed)
                try moves.finish(relinked: SQLName.changedUsers)
            } else {
                try lockBalances(of: Self.balancesMoved)
                try walkAgain(&tally, &outcomes, ref: ref)
                updated[.recordings, default: 0] += try updateNewlyCharged(changed)
                try upkeep.moveThroughFunctions(runID: runID)
            }
        } else {
            // The row triggers charge them as they are updated.
            updated[.recordings, default: 0] += try updateNewlyCharged(changed)
        }
        for entity in Entity.crmRecords {
            tally.counts[entity, default: EntityCounts()].add(outcomes[entity, default: MergeOutcome()].counts(updated: updated[entity] ?? 0))
        }
        return tally
    }

    /// The recordings loaded uncharged that become charged, updated once their charges were walked on the
    /// balances written to (rows locked with the other changed ones); how many.
    private func updateNewlyCharged(_ changed: [Entity]) throws -> Int {
        changed.contains(.recordings) ? try strategy.updateNewlyCharged(on: connection) : 0
    }

    /// The existing users whose stats or balance move: rows inserted for them, or new charges (of recordings
    /// loaded uncharged too, which `touched` learns only after the walk). New users' rows are this
    /// transaction's own, out of the app's reach.
    static let balancesMoved: SQLQuery = """
        SELECT email FROM \(SQLName.touched) UNION SELECT email FROM \(SQLName.creditUsers) WHERE existing
        EXCEPT SELECT email FROM \(SQLName.newUsers)
        """

    /// Plain PostgreSQL: the ledger first, then the stats moved where the balance still covers the new charges;
    /// the users whose balance does not are locked, walked again and moved.
    private func moveDirectly(_ moves: AccountMoves, _ tally: inout LoadTally, _ outcomes: inout [Entity: MergeOutcome]) throws {
        try moves.prepare()
        try moves.moveStats(where: AccountMoves.balanceCovers)
        guard try lockBalances(of: AccountMoves.uncovered) > 0 else { return }
        try walkAgain(&tally, &outcomes, ref: moves.ref)
        try moves.recount(SQLName.lockedBalances)
        try moves.moveStats(where: "m.email IN (SELECT email FROM \(SQLName.lockedBalances))")
    }

    /// Locks the stats rows of `users` in email order and keeps their balances; returns how many. (On Citus, which
    /// runs no multi-shard `SELECT … FOR UPDATE`, through an update that changes nothing.)
    @discardableResult
    private func lockBalances(of users: SQLQuery) throws -> Int {
        try connection.query(strategy.locksRowsInOrder
            ? """
              CREATE TEMP TABLE \(SQLName.lockedBalances) ON COMMIT DROP AS
              SELECT s.email, s.credits FROM \(SQLName.dashboardStats) s WHERE s.email IN (\(users)) ORDER BY s.email FOR NO KEY UPDATE
              """
            : """
              CREATE TEMP TABLE \(SQLName.lockedBalances) ON COMMIT DROP AS
              SELECT email, credits FROM \(SQLName.lockBalances)(ARRAY(\(users)))
              """)
        return try connection.query("SELECT count(*) AS n FROM \(SQLName.lockedBalances)").scalar(Int.self)
    }

    /// Walks again the locked users whose balance no longer covers their new charges, from that balance, and
    /// takes each charge that no longer fits out: rejected, its recording deleted if this import inserted it
    /// (one stored uncharged stays as it was), its counts in `touched` and its ledger movement undone (`ref`:
    /// this run's ledger rows; on Citus none is written yet).
    private func walkAgain(_ tally: inout LoadTally, _ outcomes: inout [Entity: MergeOutcome], ref: String) throws {
        guard credits == .charge else { return }
        let rejected = try CreditWalk(connection: connection)
            .refuse(openings: CreditWalk.openingsBelow(SQLName.lockedBalances), why: Self.spentMeanwhile, path: path)
        guard !rejected.isEmpty else { return }
        for reject in rejected {
            tally.count(reject)
            try rejects.write(reject)
        }
        // Rejected instead: the recordings inserted (deleted now) and those stored (which the update leaves alone).
        let refused = try connection.query("""
            WITH gone AS (
                DELETE FROM \(SQLName.recordings) t USING \(SQLName.refusedCharges) r
                WHERE t.email = r.email AND t.external_id = r.external_id AND NOT r.stored
                RETURNING 1)
            SELECT (SELECT count(*) FROM gone) AS inserted, (SELECT count(*) FROM \(SQLName.refusedCharges) WHERE stored) AS stored
            """).singleRow()
        outcomes[.recordings, default: MergeOutcome()].inserted -= try refused.decode(Int.self, "inserted")
        outcomes[.recordings, default: MergeOutcome()].existing -= try refused.decode(Int.self, "stored")
        try connection.query("""
            INSERT INTO \(SQLName.touched) (email, recordings, charged)
            SELECT email, -count(*) FILTER (WHERE NOT stored), -count(*) FROM \(SQLName.refusedCharges) GROUP BY email
            """)
        // A ledger row never holds 0: a user's recording movement goes when every charge of it was refused.
        let refunds: SQLQuery = "(SELECT email, count(*)::integer AS n FROM \(SQLName.refusedCharges) GROUP BY email) r"
        let movement: SQLQuery = "l.email = r.email AND l.reason = 'recording' AND l.ref = \(bind: ref)"
        try connection.query("DELETE FROM \(SQLName.creditLedger) l USING \(refunds) WHERE \(movement) AND l.delta = -r.n")
        try connection.query("UPDATE \(SQLName.creditLedger) l SET delta = l.delta + r.n FROM \(refunds) WHERE \(movement) AND l.delta < -r.n")
    }
}
