import CRMSchema
import PostgresClient

/// The stats and credits of the users an import touched that had an account before it, written directly
/// (plain PostgreSQL; Citus goes through the upkeep functions, ``Upkeep/moveThroughFunctions(runID:)``), in
/// as short a window as the data allows (issue 24): each user's moves are summed once and their ledger rows
/// written before any row the app writes is locked; then the stats rows are moved in one UPDATE that is also
/// the check — a user's balance moves only where it still covers the user's new charges, which it does
/// unless the app spent meanwhile — and the profiles follow. The users whose balance did not are left to
/// ``FinalWrites``, which walks their charges again from the balance it locks.
struct AccountMoves {
    let connection: PostgresConnection
    /// The ledger rows' `ref` (`import:RUN`).
    let ref: String

    /// Sums the moves, checks every account is there, and writes the ledger rows (one per user, import and kind
    /// of movement, carrying the user's account).
    func prepare() throws {
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.userMoves) ON COMMIT DROP AS
            SELECT t.email, sum(t.applications)::integer AS applications, sum(t.recordings)::integer AS recordings,
                   sum(t.resumes)::integer AS resumes, sum(t.payments)::integer AS payments, sum(t.charged)::integer AS charged,
                   coalesce(c.needed, 0)::integer AS needed, n.email IS NOT NULL AS new
            FROM \(SQLName.touched) t
            LEFT JOIN (SELECT email, count(*) AS needed FROM \(SQLName.creditEvents) WHERE kind = 1 GROUP BY email) c ON c.email = t.email
            LEFT JOIN \(SQLName.newUsers) n ON n.email = t.email
            GROUP BY t.email, c.needed, n.email
            """)
        try connection.query("ALTER TABLE \(SQLName.userMoves) ADD PRIMARY KEY (email)")
        try connection.query("CREATE TEMP TABLE \(SQLName.movedStats) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("""
            SELECT \(SQLName.refuseCreditMovement)(m.email, NULL, \(CreditSQL.movement(payments: "m.payments", charged: "m.charged"))) FROM \(SQLName.userMoves) m
            WHERE \(CreditSQL.movement(payments: "m.payments", charged: "m.charged")) <> 0 AND NOT EXISTS (SELECT 1 FROM \(SQLName.profiles) p WHERE p.email = m.email)
            LIMIT 1
            """)
        try connection.query("""
            INSERT INTO \(SQLName.creditLedger) (email, user_id, delta, reason, ref)
            SELECT m.email, u.user_id, x.delta, x.reason, \(bind: ref)
            FROM \(SQLName.userMoves) m JOIN \(SQLName.crmUsers) u ON u.email = m.email
            CROSS JOIN LATERAL (VALUES (\(CreditSQL.bought("m.payments")), 'payment'), (-\(CreditSQL.used("m.charged")), 'recording')) x(delta, reason)
            WHERE x.delta <> 0
            ORDER BY m.email
            """)
    }

    /// Moves the stats rows — totals, and the balance of users that had an account before this run (new
    /// users' balances follow their profile) — of the users `scope` (over `s`, the stats row, and `m`, the
    /// moves) lets through, in one UPDATE; records them in ``moved``.
    func moveStats(where scope: SQLQuery) throws {
        let credit: SQLQuery = "CASE WHEN m.new THEN 0 ELSE \(CreditSQL.movement(payments: "m.payments", charged: "m.charged")) END"
        try connection.query("""
            WITH moved AS (
                UPDATE \(SQLName.dashboardStats) s
                SET total_applications = s.total_applications + m.applications, total_recordings = s.total_recordings + m.recordings,
                    total_resumes = s.total_resumes + m.resumes, credits = s.credits + \(credit),
                    updated_at = CASE WHEN (m.applications, m.recordings, m.resumes) IS DISTINCT FROM (0, 0, 0) THEN now() ELSE s.updated_at END
                FROM \(SQLName.userMoves) m
                WHERE s.email = m.email AND (m.applications, m.recordings, m.resumes, \(credit)) IS DISTINCT FROM (0, 0, 0, 0)
                  AND \(scope)
                RETURNING s.email)
            INSERT INTO \(SQLName.movedStats) SELECT email FROM moved
            """)
    }

    /// The guard of the first move: a new user, or a balance that covers every new charge.
    static let balanceCovers: SQLQuery = "(m.new OR s.credits >= m.needed)"

    /// The existing users with new charges whose stats the guarded move left alone: the app spent their credit
    /// since the walk.
    static let uncovered: SQLQuery = """
        SELECT m.email FROM \(SQLName.userMoves) m
        WHERE NOT m.new AND m.needed > 0 AND NOT EXISTS (SELECT 1 FROM \(SQLName.movedStats) x WHERE x.email = m.email)
        """

    /// The moves of `users` summed again from `touched`, after charges of theirs were refused.
    func recount(_ users: SQLName) throws {
        try connection.query("""
            UPDATE \(SQLName.userMoves) m SET recordings = t.recordings, charged = t.charged
            FROM (SELECT email, sum(recordings)::integer AS recordings, sum(charged)::integer AS charged
                  FROM \(SQLName.touched) WHERE email IN (SELECT email FROM \(users)) GROUP BY email) t
            WHERE m.email = t.email
            """)
    }

    /// Last: the profiles' balances moved as the stats' were, new users' balances following their profile,
    /// and the accounts copied to the rows that may not carry them yet: new users the app had given a profile,
    /// users whose account this import found (`relinked`), and users who signed up while it ran (their
    /// account changed since the checks, after the rows inserted for them took the one they had).
    func finish(relinked: SQLName) throws {
        try connection.query("""
            UPDATE \(SQLName.profiles) p SET credits = p.credits + \(CreditSQL.movement(payments: "m.payments", charged: "m.charged")), updated_at = now()
            FROM \(SQLName.userMoves) m
            WHERE p.email = m.email AND \(CreditSQL.movement(payments: "m.payments", charged: "m.charged")) <> 0
            """)
        try connection.query("""
            SELECT \(SQLName.balancesFollowProfiles)(array_agg(email)) FROM \(SQLName.newUsers) HAVING count(*) > 0
            """)
        try connection.query("""
            SELECT \(SQLName.linkAccounts)(array_agg(u.email)) FROM \(SQLName.crmUsers) u
            WHERE u.user_id IS NOT NULL
              AND u.email IN (SELECT email FROM \(SQLName.newUsers) UNION SELECT email FROM \(relinked) WHERE relinked
                              UNION SELECT k.email FROM \(SQLName.knownUsers) k JOIN \(SQLName.crmUsers) c ON c.email = k.email
                                    WHERE c.user_id IS DISTINCT FROM k.user_id)
            HAVING count(*) > 0
            """)
    }
}
