import CRMSchema
import PipelineCore
import PostgresClient

/// Opens the accounts of the users an import created, after every merge, with their final values: one
/// INSERT each into profiles, the ledger and the stats, and nothing updated afterwards.
///
/// The general path (``SQLName/usersCreated``, then stats adjusted, credits booked and balances followed)
/// writes each new user's stats row three times and profile twice, and every update of a row inserted in
/// the same transaction re-runs its foreign key checks. The values are the same: stats totals are what the
/// merges inserted, the balance is 4 + 3 per payment − 1 per charged recording, the ledger holds `initial` 4
/// and this run's payment and recording movements, and every row carries the user's account (`user_id`),
/// which the profile takes only for the first email of an account that no profile holds yet (as
/// ``SQLName/usersCreated`` decides). New users the app had already given a profile keep the general path
/// (their opening balance is the profile's), and so does Citus, whose upkeep functions are the distributed
/// form.
struct AccountOpening {
    let connection: PostgresConnection

    /// Opens the accounts of the new users without a profile, records them in ``SQLName/openedUsers`` and
    /// takes them out of `touched` and ``SQLName/newUsers``, so that the rest of the upkeep leaves them alone.
    /// Returns how many were opened. Refuses (as ``SQLName/bookCredits`` does) a balance that would go below zero.
    func openNewAccounts(ref: String, scope: BackfillChunk = .whole) throws -> Int {
        // The totals per user, keyed: the new users without a profile are estimated at one row (most CRM users
        // have a profile), and a join to an unkeyed aggregate would then be re-run for every one of them.
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.openingTotals) ON COMMIT DROP AS \(LoadSQL.touchedPerUser)
            """)
        try connection.query("ALTER TABLE \(SQLName.openingTotals) ADD PRIMARY KEY (email)")
        // The accounts to open, found once for the check and the three inserts.
        try connection.query("CREATE TEMP TABLE \(SQLName.openingAccounts) ON COMMIT DROP AS \(Self.candidates(scope))")
        try connection.query("""
            SELECT \(SQLName.refuseCreditMovement)(email, \(CreditSQL.opening) + \(CreditSQL.bought("payments")), -\(CreditSQL.used("charged"))) FROM \(SQLName.openingAccounts)
            WHERE \(CreditSQL.balance(payments: "payments", charged: "charged")) < 0 LIMIT 1
            """)
        // The keys the client chose for each staged user (``StagingArea/chosenIDs(_:)``) where the app's would be random:
        // no `gen_random_uuid()` a row (0.7 s of this statement at 979k rows). The profiles' are time-ordered: one run's
        // then go to the right edge of the primary key instead of a page each all over it (at 1.4M profiles, 14,000 new
        // ones wrote 33 MB of WAL, then 1–4 MB).
        func chosen(_ table: SQLName, _ value: SQLQuery) throws -> (column: SQLQuery, value: SQLQuery) {
            try KeyDefaults.idIsRandom(in: table, on: connection) ? ("id, ", "\(value), ") : ("", "")
        }
        let profileID = try chosen(SQLName.profiles, "d.profile_id"), ledgerID = try chosen(SQLName.creditLedger, "m.id")
        // The keys come from the staged users (every new user was staged), joined here, where both sides are counted
        // (a join in `candidates`, under its anti-join estimated at one row, read the unindexed staging once a user:
        // 42 s for 14,000 new users beside 1.4M).
        let staged: SQLQuery = "JOIN \(SQLName.deduplicated(.users)) d ON d.email = o.email"
        let opened = try connection.query("""
            WITH profile AS (
                INSERT INTO \(SQLName.profiles) (\(profileID.column)email, user_id, credits)
                SELECT \(profileID.value)o.email, o.profile_user_id, \(CreditSQL.balance(payments: "o.payments", charged: "o.charged"))
                FROM \(SQLName.openingAccounts) o \(staged) ORDER BY o.email),
            ledger AS (
                INSERT INTO \(SQLName.creditLedger) (\(ledgerID.column)email, user_id, delta, reason, ref)
                SELECT \(ledgerID.value)o.email, o.user_id, m.delta, m.reason, m.ref
                FROM \(SQLName.openingAccounts) o \(staged)
                CROSS JOIN LATERAL (VALUES (\(CreditSQL.opening), 'initial', NULL::text, d.ledger_initial_id),
                                           (\(CreditSQL.bought("o.payments")), 'payment', \(bind: ref), d.ledger_payment_id),
                                           (-\(CreditSQL.used("o.charged")), 'recording', \(bind: ref), d.ledger_recording_id)) m(delta, reason, ref, id)
                WHERE m.delta <> 0 ORDER BY o.email),
            stats AS (
                INSERT INTO \(SQLName.dashboardStats) (email, user_id, total_applications, total_recordings, total_resumes, credits)
                SELECT email, user_id, applications, recordings, resumes, \(CreditSQL.balance(payments: "payments", charged: "charged")) FROM \(SQLName.openingAccounts) ORDER BY email),
            recorded AS (INSERT INTO \(SQLName.openedUsers) (email) SELECT email FROM \(SQLName.openingAccounts) RETURNING 1)
            SELECT count(*) AS n FROM recorded
            """).scalar(Int.self)
        guard opened > 0 else { return 0 }
        // A first import opens every user it touched: emptying the tables costs nothing, deleting row by row does.
        let othersTouched = try connection.query("""
            SELECT (SELECT count(*) FROM \(SQLName.openingTotals)) > (SELECT count(*) FROM \(SQLName.openingAccounts) WHERE touched) AS others
            """).scalar(Bool.self)
        try takeOpenedOut(of: SQLName.touched, othersLeft: othersTouched)
        let othersNew = try connection.query("SELECT count(*) > \(bind: opened) AS others FROM \(SQLName.newUsers)").scalar(Bool.self)
        try takeOpenedOut(of: SQLName.newUsers, othersLeft: othersNew)
        return opened
    }

    /// Deletes the opened users' rows from `table`, or empties it when it holds no others.
    private func takeOpenedOut(of table: SQLName, othersLeft: Bool) throws {
        try connection.query(othersLeft
            ? "DELETE FROM \(table) x USING \(SQLName.openedUsers) o WHERE x.email = o.email"
            : "TRUNCATE \(table)")
    }

    /// The new users without a profile, with their account, the account their profile takes, and what the
    /// merges inserted for them. The first email of an account is decided among all new users, before the
    /// ones with a profile are left out, as ``SQLName/usersCreated`` does. The window's sort by account and email
    /// leaves the rows in email order for the inserts' own sorts (which is why it orders users without an account too:
    /// leaving them unordered took 0.2 s off this statement and put 0.47 s on the inserts).
    private static func candidates(_ scope: BackfillChunk) -> SQLQuery {
        """
        SELECT u.email, u.user_id,
               CASE WHEN u.first_of_account AND NOT EXISTS (SELECT 1 FROM \(SQLName.profiles) taken WHERE taken.user_id = u.user_id)
                    THEN u.user_id END AS profile_user_id,
               coalesce(t.applications, 0) AS applications, coalesce(t.recordings, 0) AS recordings,
               coalesce(t.resumes, 0) AS resumes, coalesce(t.payments, 0) AS payments, coalesce(t.charged, 0) AS charged,
               t.email IS NOT NULL AS touched
        FROM (SELECT c.email, c.user_id, row_number() OVER (PARTITION BY c.user_id ORDER BY c.email) = 1 AS first_of_account
              FROM \(SQLName.newUsers) n JOIN \(SQLName.crmUsers) c ON c.email = n.email AND \(scope.contains("c.email"))) u
        LEFT JOIN \(SQLName.openingTotals) t ON t.email = u.email
        WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.profiles) p WHERE p.email = u.email AND \(scope.contains("p.email")))
        """
    }
}
