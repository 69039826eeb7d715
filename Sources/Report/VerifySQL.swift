import CRMSchema
import PostgresClient

/// The statements of verify; each check returns `email, what, expected, found`, each repair `email, change`.
enum VerifySQL {
    /// Each user's ledger sum, as a CTE named `ledger` (`email`, `total`): the record every credit check
    /// and repair compares with.
    private static let ledgerSums: SQLQuery = "ledger AS (SELECT email, sum(delta) AS total FROM \(SQLName.creditLedger) GROUP BY email)"

    static let statsDrift: SQLQuery = """
        WITH real AS (
            SELECT u.email,
                   (SELECT count(*) FROM \(SQLName.jobRequests) j WHERE j.email = u.email) AS applications,
                   (SELECT count(*) FROM \(SQLName.recordings) r WHERE r.email = u.email) AS recordings,
                   (SELECT count(*) FROM \(SQLName.resumes) x WHERE x.email = u.email) AS resumes
            FROM \(SQLName.crmUsers) u)
        SELECT real.email,
               CASE WHEN s.email IS NULL THEN 'stats row missing' ELSE 'stats (applications/recordings/resumes)' END AS what,
               real.applications || '/' || real.recordings || '/' || real.resumes AS expected,
               coalesce(s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes, 'no row') AS found
        FROM real LEFT JOIN \(SQLName.dashboardStats) s ON s.email = real.email
        WHERE (s.total_applications, s.total_recordings, s.total_resumes)
              IS DISTINCT FROM (real.applications::integer, real.recordings::integer, real.resumes::integer)
        ORDER BY real.email
        """

    static let creditsDrift: SQLQuery = """
        WITH \(ledgerSums)
        SELECT u.email,
               CASE WHEN p.email IS NULL THEN 'credit account missing'
                    WHEN p.credits < 0 THEN 'credits below zero' ELSE 'credits (balance = ledger sum)' END AS what,
               coalesce(l.total, 0)::text AS expected, coalesce(p.credits::text, 'no account') AS found
        FROM \(SQLName.crmUsers) u
        LEFT JOIN \(SQLName.profiles) p ON p.email = u.email
        LEFT JOIN ledger l ON l.email = u.email
        WHERE p.email IS NULL OR p.credits < 0 OR p.credits IS DISTINCT FROM coalesce(l.total, 0)
        ORDER BY u.email
        """

    /// The co-located balance (crm_dashboard_stats.credits), which the row triggers move, against the ledger.
    static let balanceDrift: SQLQuery = """
        WITH \(ledgerSums)
        SELECT s.email, 'balance (' || \(bind: SQLName.dashboardStats.name)::text || '.credits = ledger sum)' AS what, coalesce(l.total, 0)::text AS expected,
               s.credits::text AS found
        FROM \(SQLName.dashboardStats) s
        LEFT JOIN ledger l ON l.email = s.email
        WHERE s.credits IS DISTINCT FROM greatest(coalesce(l.total, 0), 0)
        ORDER BY s.email
        """

    /// Sign-ups not linked to their CRM user, and profiles not linked to their CRM user's account (where
    /// no other profile has it). On Citus both wait for `crm_profiles_catch_up`.
    static let accountLinks: SQLQuery = """
        SELECT u.email, 'CRM user linked to its sign-up' AS what, min(a.id::text) AS expected, 'not linked' AS found
        FROM \(SQLName.crmUsers) u JOIN \(SQLName.authUsers) a ON a.email = u.email AND NOT a.is_sso_user
        WHERE u.user_id IS NULL
        GROUP BY u.email
        UNION ALL
        SELECT u.email, 'profile linked to the account', u.user_id::text, 'not linked'
        FROM \(SQLName.crmUsers) u JOIN \(SQLName.profiles) p ON p.email = u.email
        LEFT JOIN \(SQLName.profiles) taken ON taken.user_id = u.user_id
        WHERE u.user_id IS NOT NULL AND p.user_id IS NULL AND taken.id IS NULL
        ORDER BY 1, 2
        """

    static let catchUpProfiles: SQLQuery = "SELECT user_email AS email, change FROM \(SQLName.profilesCatchUp)() ORDER BY 1, 2"

    static let orphans: SQLQuery = """
        SELECT o.email, 'row in ' || o.source || ' without a CRM user' AS what, 'a CRM user' AS expected, 'none' AS found
        FROM (\(SQLQuery.joined([SQLName.jobRequests, .recordings, .resumes, .payments, .creditLedger, .dashboardStats].map {
                  "SELECT email, \(bind: $0.name)::text AS source FROM \($0)"
              }, separator: " UNION "))) o
        LEFT JOIN \(SQLName.crmUsers) u ON u.email = o.email
        WHERE u.email IS NULL
        ORDER BY o.email, o.source
        """

    static func rowLevelSecurity(_ tables: [String]) -> SQLQuery {
        """
        SELECT NULL AS email, 'row level security on ' || name AS what, 'enabled' AS expected,
               CASE WHEN c.oid IS NULL THEN 'no such table' ELSE 'disabled' END AS found
        FROM unnest(\(bind: "{" + tables.joined(separator: ",") + "}")::text[]) AS name
        LEFT JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(name))
        WHERE c.oid IS NULL OR NOT c.relrowsecurity
        """
    }

    /// The API roles' privileges against migration 0017's matrix (`tables` the app's, `written` those the app
    /// writes): a grant beyond it (TRUNCATE, say) or one missing, and any privilege on `crm_private`.
    static func privileges(tables: [String], written: [String]) -> SQLQuery {
        """
        WITH roles AS (SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')),
        matrix AS (
            SELECT r.rolname, t.name, p.privilege,
                   CASE r.rolname
                       WHEN 'service_role' THEN p.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
                       WHEN 'authenticated' THEN p.privilege = 'SELECT'
                            OR (p.privilege IN ('INSERT', 'UPDATE', 'DELETE') AND t.name = ANY (\(bind: "{" + written.joined(separator: ",") + "}")::text[]))
                       ELSE false END AS allowed,
                   has_table_privilege(r.rolname, to_regclass('public.' || quote_ident(t.name)), p.privilege) AS granted
            FROM roles r CROSS JOIN unnest(\(bind: "{" + tables.joined(separator: ",") + "}")::text[]) AS t(name)
            CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
            WHERE to_regclass('public.' || quote_ident(t.name)) IS NOT NULL)
        SELECT NULL AS email, privilege || ' on ' || name || ' for ' || rolname AS what,
               CASE WHEN allowed THEN 'granted' ELSE 'not granted' END AS expected,
               CASE WHEN granted THEN 'granted' ELSE 'not granted' END AS found
        FROM matrix WHERE allowed <> granted
        UNION ALL
        SELECT NULL, 'USAGE on schema crm_private for ' || rolname, 'not granted', 'granted'
        FROM roles WHERE has_schema_privilege(rolname, 'crm_private', 'USAGE')
        ORDER BY 2
        """
    }

    /// How a message names a table: by its name in public, qualified elsewhere (`auth.users`).
    private static func label(_ table: SQLName) -> String {
        table.schema == "public" ? table.name : table.description
    }

    /// A trigger that must be there and enabled; with `always`, enabled always (`ENABLE ALWAYS TRIGGER`: it fires
    /// under `session_replication_role = replica` too).
    static func trigger(_ table: SQLName, _ trigger: String, always: Bool = false) -> SQLQuery {
        """
        SELECT NULL AS email, 'trigger ' || \(bind: trigger) || ' on ' || \(bind: label(table)) AS what,
               \(bind: always ? "present and enabled always" : "present and enabled") AS expected,
               CASE WHEN t.oid IS NULL THEN 'missing' WHEN t.tgenabled = 'D' THEN 'disabled' ELSE 'enabled for some sessions only' END AS found
        FROM (SELECT 1) one
        LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass(\(bind: table.sql)) AND t.tgname = \(bind: trigger)
        WHERE t.oid IS NULL OR t.tgenabled = 'D' OR (\(bind: always) AND t.tgenabled <> 'A')
        """
    }

    /// Whether the report rollup is filled and kept (`in_use`, one row): the reports read it. Never on Citus.
    static let rollupInUse: SQLQuery = "SELECT in_use FROM \(SQLName.activityRollupState)"

    /// The report rollup not filled yet (triggers keep it, but reports read the tables until `verify --fix` or
    /// `migrate` fills it).
    static let rollupNotFilled: SQLQuery = """
        SELECT NULL AS email, 'report rollup' AS what, 'filled and in use' AS expected, 'not filled (verify --fix fills it)' AS found
        """

    /// Where the report rollup differs from the tables' counts, per user and month, then per month for all users.
    static let rollupDrift: SQLQuery = """
        SELECT email, 'report rollup ' || to_char(month, 'YYYY-MM') || CASE WHEN email IS NULL THEN ', all users' ELSE '' END
                      || ' (applications/recordings/resumes/sign-ups/payments/charged'
                      || CASE WHEN email IS NULL THEN '/active users' ELSE '' END || ')' AS what, expected, found
        FROM \(SQLName.activityDrift)()
        """

    /// A trigger that must not be there (on Citus: one that `migrate --citus` drops).
    static func unwantedTrigger(_ table: SQLName, _ trigger: String) -> SQLQuery {
        """
        SELECT NULL AS email, 'trigger ' || \(bind: trigger) || ' on ' || \(bind: label(table)) AS what,
               'absent on Citus (migrate --citus drops it)' AS expected, 'present' AS found
        FROM pg_trigger t
        WHERE t.tgrelid = to_regclass(\(bind: table.sql)) AND t.tgname = \(bind: trigger)
        """
    }

    /// Every user a check finds drifted (stats, credits, balance), in one table, before anything is locked.
    static let collectDrifted: SQLQuery = """
        CREATE TEMP TABLE \(SQLName.verifyDrifted) ON COMMIT DROP AS
        SELECT email FROM (\(statsDrift)) stats WHERE email IS NOT NULL
        UNION SELECT email FROM (\(creditsDrift)) credits WHERE email IS NOT NULL
        UNION SELECT email FROM (\(balanceDrift)) balances WHERE email IS NOT NULL
        """

    /// Locks the drifted users' rows before the repairs read them again, in the order the app's writes and an
    /// import's final writes take them (CRM user, stats, profile), so that no write of the app falls between
    /// what a repair reads and what it writes. On Citus (no multi-shard `SELECT … FOR UPDATE`) the balances
    /// are locked by an update that changes nothing; the app's triggers there write no profile.
    static func lockDrifted(distributed: Bool) -> [SQLQuery] {
        guard !distributed else {
            return ["SELECT count(*) AS n FROM \(SQLName.lockBalances)(ARRAY(SELECT email FROM \(SQLName.verifyDrifted)))"]
        }
        return [SQLName.crmUsers, .dashboardStats, .profiles].map { table in
            """
            SELECT count(*) AS n FROM (SELECT 1 FROM \(table) t WHERE t.email IN (SELECT email FROM \(SQLName.verifyDrifted))
                                       ORDER BY t.email FOR NO KEY UPDATE) locked
            """
        }
    }

    static let fixStats: SQLQuery = """
        WITH real AS (
            SELECT u.email,
                   (SELECT count(*) FROM \(SQLName.jobRequests) j WHERE j.email = u.email)::integer AS applications,
                   (SELECT count(*) FROM \(SQLName.recordings) r WHERE r.email = u.email)::integer AS recordings,
                   (SELECT count(*) FROM \(SQLName.resumes) x WHERE x.email = u.email)::integer AS resumes
            FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(SQLName.verifyDrifted))),
        \(ledgerSums),
        drifted AS (
            SELECT real.*, s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes AS before,
                   greatest(coalesce(l.total, 0), 0) AS balance
            FROM real LEFT JOIN \(SQLName.dashboardStats) s ON s.email = real.email LEFT JOIN ledger l ON l.email = real.email
            WHERE (s.total_applications, s.total_recordings, s.total_resumes)
                  IS DISTINCT FROM (real.applications, real.recordings, real.resumes)),
        fixed AS (
            -- A missing row is created with the balance of the ledger; an existing one keeps its own.
            INSERT INTO \(SQLName.dashboardStats) AS s (email, total_applications, total_recordings, total_resumes, credits)
            SELECT email, applications, recordings, resumes, balance FROM drifted
            ON CONFLICT (email) DO UPDATE SET total_applications = EXCLUDED.total_applications,
                total_recordings = EXCLUDED.total_recordings, total_resumes = EXCLUDED.total_resumes,
                updated_at = EXCLUDED.updated_at
            RETURNING email)
        SELECT d.email, 'stats ' || coalesce(d.before, 'missing') || ' -> ' || d.applications || '/' || d.recordings || '/' || d.resumes
               AS change
        FROM drifted d JOIN fixed USING (email) ORDER BY d.email
        """

    static let fixMissingAccounts: SQLQuery = """
        WITH \(ledgerSums),
        opened AS (
            INSERT INTO \(SQLName.profiles) (email, user_id, credits)
            SELECT u.email, CASE WHEN taken.id IS NULL THEN u.user_id END, greatest(coalesce(l.total, 0), 0)
            FROM \(SQLName.crmUsers) u
            LEFT JOIN ledger l ON l.email = u.email
            LEFT JOIN \(SQLName.profiles) p ON p.email = u.email
            LEFT JOIN \(SQLName.profiles) taken ON taken.user_id = u.user_id
            WHERE p.email IS NULL AND u.email IN (SELECT email FROM \(SQLName.verifyDrifted))
            RETURNING email, credits)
        SELECT email, 'credit account opened with ' || credits || ' credit(s), the ledger sum' AS change FROM opened ORDER BY email
        """

    static let fixCredits: SQLQuery = """
        WITH \(ledgerSums),
        drifted AS (
            SELECT p.email, p.credits AS before, greatest(coalesce(l.total, 0), 0) AS after
            FROM \(SQLName.profiles) p JOIN \(SQLName.crmUsers) u ON u.email = p.email
            LEFT JOIN ledger l ON l.email = p.email
            WHERE p.credits IS DISTINCT FROM coalesce(l.total, 0) AND p.email IN (SELECT email FROM \(SQLName.verifyDrifted))),
        fixed AS (
            UPDATE \(SQLName.profiles) p SET credits = d.after, updated_at = now() FROM drifted d WHERE p.email = d.email RETURNING p.email)
        SELECT d.email, 'credits ' || d.before || ' -> ' || d.after || ' (the ledger sum)' AS change FROM drifted d JOIN fixed USING (email)
        ORDER BY d.email
        """

    static let fixBalances: SQLQuery = """
        WITH \(ledgerSums),
        drifted AS (
            SELECT s.email, s.credits AS before, greatest(coalesce(l.total, 0), 0) AS after
            FROM \(SQLName.dashboardStats) s LEFT JOIN ledger l ON l.email = s.email
            WHERE s.credits IS DISTINCT FROM greatest(coalesce(l.total, 0), 0) AND s.email IN (SELECT email FROM \(SQLName.verifyDrifted))),
        fixed AS (
            UPDATE \(SQLName.dashboardStats) s SET credits = d.after FROM drifted d WHERE s.email = d.email RETURNING s.email)
        SELECT d.email, 'balance ' || d.before || ' -> ' || d.after || ' (the ledger sum)' AS change FROM drifted d JOIN fixed USING (email)
        ORDER BY d.email
        """
}
