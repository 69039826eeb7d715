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
    static let expectedTriggers: [(table: String, trigger: String)] = [
        ("digital_resume_by_CRM", "crm_users_open_accounts"), ("digital_resume_by_CRM", "crm_users_fill_user_id"),
        ("digital_resume_by_CRM", "crm_users_link_accounts"), ("crm_job_requests", "crm_job_requests_count"),
        ("crm_recordings", "crm_recordings_count"), ("crm_recordings", "crm_recordings_charge_credit"),
        ("crm_recordings", "crm_recordings_charge_credit_later"), ("crm_resumes", "crm_resumes_count"),
        ("crm_payments", "crm_payments_grant_credits"),
        ("crm_job_requests", "crm_job_requests_check_owner"), ("crm_recordings", "crm_recordings_check_owner"),
        ("crm_resumes", "crm_resumes_check_owner"), ("crm_dashboard_stats", "crm_dashboard_stats_check_owner"),
        ("crm_credit_ledger", "crm_credit_ledger_check_owner"), ("crm_payments", "crm_payments_check_owner"),
        ("crm_job_requests", "crm_job_requests_unlink_recordings"),
    ]

    /// The triggers that keep profiles and sign-ups up to date at once: expected on plain PostgreSQL, and
    /// expected absent once `migrate --citus` has distributed the tables (there they would make the app's
    /// writes fail; `crm_profiles_catch_up` does their work).
    static let profileTriggers: [(table: String, trigger: String)] = [
        ("crm_dashboard_stats", "crm_dashboard_stats_profiles_follow"), ("digital_resume_by_CRM", "crm_users_open_profile"),
        ("digital_resume_by_CRM", "crm_users_link_profile"), ("auth.users", "crm_link_crm_user"),
    ]

    static let protectedTables = [
        "digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes", "crm_dashboard_stats",
        "profiles", "crm_credit_ledger", "crm_payments",
    ]

    /// The tables the app writes itself (`authenticated` may insert, update and delete its own rows).
    static let appWrittenTables = ["crm_job_requests", "crm_recordings", "crm_resumes"]

    /// Every violation, in a stable order.
    public func check() throws -> [Violation] {
        var violations: [Violation] = []
        func collect(_ sql: String, _ parameters: [(any SQLParameter)?] = []) throws {
            violations += try connection.query(sql, parameters).rows.map {
                Violation(email: $0[0], what: $0[1] ?? "", expected: $0[2] ?? "", found: $0[3] ?? "")
            }
        }
        try collect(VerifySQL.statsDrift)
        try collect(VerifySQL.creditsDrift)
        try collect(VerifySQL.balanceDrift)
        try collect(VerifySQL.accountLinks)
        try collect(VerifySQL.orphans)
        try collect(VerifySQL.rowLevelSecurity, ["{" + Self.protectedTables.joined(separator: ",") + "}"])
        try collect(VerifySQL.privileges, ["{" + Self.protectedTables.joined(separator: ",") + "}",
                                           "{" + Self.appWrittenTables.joined(separator: ",") + "}"])
        let distributed = try connection.query("SELECT crm_private.crm_is_distributed()").scalar == "t"
        for (table, trigger) in Self.expectedTriggers {
            try collect(VerifySQL.trigger, [table, trigger])
        }
        for (table, trigger) in Self.profileTriggers {
            try collect(distributed ? VerifySQL.unwantedTrigger : VerifySQL.trigger, [table, trigger])
        }
        return violations
    }

    /// Repairs stats and credits drift in one transaction: stats rows set to the real counts (created where
    /// missing), balances set to the ledger sum, profiles caught up with them (opened, linked, set to the
    /// balance, sign-ups linked: `crm_profiles_catch_up`), and any account still missing or off the ledger
    /// repaired.
    ///
    /// - Returns: What changed, one line per user and kind of change.
    public func fix() throws -> [String] {
        try connection.transaction { connection in
            var changes: [String] = []
            // On Citus, the catch-up can only follow the multi-shard updates before it in one transaction
            // when they used one connection per node. (A placeholder setting without Citus.)
            try connection.setLocal("citus.multi_shard_modify_mode", to: "sequential")
            for sql in [VerifySQL.fixStats, VerifySQL.fixBalances, VerifySQL.catchUpProfiles, VerifySQL.fixMissingAccounts,
                        VerifySQL.fixCredits] {
                changes += try connection.query(sql).rows.map { $0.compactMap { $0 }.joined(separator: ": ") }
            }
            return changes
        }
    }
}

/// The statements of verify; each check returns `email, what, expected, found`.
enum VerifySQL {
    /// Each user's ledger sum, as a CTE named `ledger` (`email`, `total`): the record every credit check
    /// and repair compares with.
    private static let ledgerSums = "ledger AS (SELECT email, sum(delta) AS total FROM crm_credit_ledger GROUP BY email)"

    static let statsDrift = """
        WITH real AS (
            SELECT u.email,
                   (SELECT count(*) FROM crm_job_requests j WHERE j.email = u.email) AS applications,
                   (SELECT count(*) FROM crm_recordings r WHERE r.email = u.email) AS recordings,
                   (SELECT count(*) FROM crm_resumes x WHERE x.email = u.email) AS resumes
            FROM "digital_resume_by_CRM" u)
        SELECT real.email,
               CASE WHEN s.email IS NULL THEN 'stats row missing' ELSE 'stats (applications/recordings/resumes)' END,
               real.applications || '/' || real.recordings || '/' || real.resumes,
               coalesce(s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes, 'no row')
        FROM real LEFT JOIN crm_dashboard_stats s ON s.email = real.email
        WHERE (s.total_applications, s.total_recordings, s.total_resumes)
              IS DISTINCT FROM (real.applications::integer, real.recordings::integer, real.resumes::integer)
        ORDER BY real.email
        """

    static let creditsDrift = """
        WITH \(ledgerSums)
        SELECT u.email,
               CASE WHEN p.email IS NULL THEN 'credit account missing'
                    WHEN p.credits < 0 THEN 'credits below zero' ELSE 'credits (balance = ledger sum)' END,
               coalesce(l.total, 0)::text, coalesce(p.credits::text, 'no account')
        FROM "digital_resume_by_CRM" u
        LEFT JOIN profiles p ON p.email = u.email
        LEFT JOIN ledger l ON l.email = u.email
        WHERE p.email IS NULL OR p.credits < 0 OR p.credits IS DISTINCT FROM coalesce(l.total, 0)
        ORDER BY u.email
        """

    /// The co-located balance (crm_dashboard_stats.credits), which the row triggers move, against the ledger.
    static let balanceDrift = """
        WITH \(ledgerSums)
        SELECT s.email, 'balance (crm_dashboard_stats.credits = ledger sum)', coalesce(l.total, 0)::text, s.credits::text
        FROM crm_dashboard_stats s
        LEFT JOIN ledger l ON l.email = s.email
        WHERE s.credits IS DISTINCT FROM greatest(coalesce(l.total, 0), 0)
        ORDER BY s.email
        """

    /// Sign-ups not linked to their CRM user, and profiles not linked to their CRM user's account (where
    /// no other profile has it). On Citus both wait for `crm_profiles_catch_up`.
    static let accountLinks = """
        SELECT u.email, 'CRM user linked to its sign-up', min(a.id::text), 'not linked'
        FROM "digital_resume_by_CRM" u JOIN auth.users a ON a.email = u.email AND NOT a.is_sso_user
        WHERE u.user_id IS NULL
        GROUP BY u.email
        UNION ALL
        SELECT u.email, 'profile linked to the account', u.user_id::text, 'not linked'
        FROM "digital_resume_by_CRM" u JOIN profiles p ON p.email = u.email
        LEFT JOIN profiles taken ON taken.user_id = u.user_id
        WHERE u.user_id IS NOT NULL AND p.user_id IS NULL AND taken.id IS NULL
        ORDER BY 1, 2
        """

    static let catchUpProfiles = "SELECT user_email, change FROM crm_private.crm_profiles_catch_up() ORDER BY 1, 2"

    static let orphans = """
        SELECT o.email, 'row in ' || o.source || ' without a CRM user', 'a CRM user', 'none'
        FROM (SELECT email, 'crm_job_requests' AS source FROM crm_job_requests
              UNION SELECT email, 'crm_recordings' FROM crm_recordings
              UNION SELECT email, 'crm_resumes' FROM crm_resumes
              UNION SELECT email, 'crm_payments' FROM crm_payments
              UNION SELECT email, 'crm_credit_ledger' FROM crm_credit_ledger
              UNION SELECT email, 'crm_dashboard_stats' FROM crm_dashboard_stats) o
        LEFT JOIN "digital_resume_by_CRM" u ON u.email = o.email
        WHERE u.email IS NULL
        ORDER BY o.email, o.source
        """

    static let rowLevelSecurity = """
        SELECT NULL, 'row level security on ' || name, 'enabled', CASE WHEN c.oid IS NULL THEN 'no such table' ELSE 'disabled' END
        FROM unnest($1::text[]) AS name
        LEFT JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(name))
        WHERE c.oid IS NULL OR NOT c.relrowsecurity
        """

    /// The API roles' privileges against migration 0017's matrix (`$1` the app's tables, `$2` those the app
    /// writes): a grant beyond it (TRUNCATE, say) or one missing, and any privilege on `crm_private`.
    static let privileges = """
        WITH roles AS (SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')),
        matrix AS (
            SELECT r.rolname, t.name, p.privilege,
                   CASE r.rolname
                       WHEN 'service_role' THEN p.privilege IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
                       WHEN 'authenticated' THEN p.privilege = 'SELECT'
                            OR (p.privilege IN ('INSERT', 'UPDATE', 'DELETE') AND t.name = ANY ($2::text[]))
                       ELSE false END AS allowed,
                   has_table_privilege(r.rolname, to_regclass('public.' || quote_ident(t.name)), p.privilege) AS granted
            FROM roles r CROSS JOIN unnest($1::text[]) AS t(name)
            CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
            WHERE to_regclass('public.' || quote_ident(t.name)) IS NOT NULL)
        SELECT NULL, privilege || ' on ' || name || ' for ' || rolname,
               CASE WHEN allowed THEN 'granted' ELSE 'not granted' END, CASE WHEN granted THEN 'granted' ELSE 'not granted' END
        FROM matrix WHERE allowed <> granted
        UNION ALL
        SELECT NULL, 'USAGE on schema crm_private for ' || rolname, 'not granted', 'granted'
        FROM roles WHERE has_schema_privilege(rolname, 'crm_private', 'USAGE')
        ORDER BY 2
        """

    /// `$1` as a relation: a plain name is quoted (mixed case), a qualified one (`auth.users`) is taken as is.
    private static let namedTable = "to_regclass(CASE WHEN $1 LIKE '%.%' THEN $1 ELSE quote_ident($1) END)"

    static let trigger = """
        SELECT NULL, 'trigger ' || $2 || ' on ' || $1, 'present and enabled',
               CASE WHEN t.oid IS NULL THEN 'missing' ELSE 'disabled' END
        FROM (SELECT 1) one
        LEFT JOIN pg_trigger t ON t.tgrelid = \(namedTable) AND t.tgname = $2
        WHERE t.oid IS NULL OR t.tgenabled = 'D'
        """

    /// A trigger that must not be there (on Citus: one that `migrate --citus` drops).
    static let unwantedTrigger = """
        SELECT NULL, 'trigger ' || $2 || ' on ' || $1, 'absent on Citus (migrate --citus drops it)', 'present'
        FROM pg_trigger t
        WHERE t.tgrelid = \(namedTable) AND t.tgname = $2
        """

    static let fixStats = """
        WITH real AS (
            SELECT u.email,
                   (SELECT count(*) FROM crm_job_requests j WHERE j.email = u.email)::integer AS applications,
                   (SELECT count(*) FROM crm_recordings r WHERE r.email = u.email)::integer AS recordings,
                   (SELECT count(*) FROM crm_resumes x WHERE x.email = u.email)::integer AS resumes
            FROM "digital_resume_by_CRM" u),
        \(ledgerSums),
        drifted AS (
            SELECT real.*, s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes AS before,
                   greatest(coalesce(l.total, 0), 0) AS balance
            FROM real LEFT JOIN crm_dashboard_stats s ON s.email = real.email LEFT JOIN ledger l ON l.email = real.email
            WHERE (s.total_applications, s.total_recordings, s.total_resumes)
                  IS DISTINCT FROM (real.applications, real.recordings, real.resumes)),
        fixed AS (
            -- A missing row is created with the balance of the ledger; an existing one keeps its own.
            INSERT INTO crm_dashboard_stats AS s (email, total_applications, total_recordings, total_resumes, credits)
            SELECT email, applications, recordings, resumes, balance FROM drifted
            ON CONFLICT (email) DO UPDATE SET total_applications = EXCLUDED.total_applications,
                total_recordings = EXCLUDED.total_recordings, total_resumes = EXCLUDED.total_resumes,
                updated_at = EXCLUDED.updated_at
            RETURNING email)
        SELECT d.email, 'stats ' || coalesce(d.before, 'missing') || ' -> ' || d.applications || '/' || d.recordings || '/' || d.resumes
        FROM drifted d JOIN fixed USING (email) ORDER BY d.email
        """

    static let fixMissingAccounts = """
        WITH \(ledgerSums),
        opened AS (
            INSERT INTO profiles (email, user_id, credits)
            SELECT u.email, CASE WHEN taken.id IS NULL THEN u.user_id END, greatest(coalesce(l.total, 0), 0)
            FROM "digital_resume_by_CRM" u
            LEFT JOIN ledger l ON l.email = u.email
            LEFT JOIN profiles p ON p.email = u.email
            LEFT JOIN profiles taken ON taken.user_id = u.user_id
            WHERE p.email IS NULL
            RETURNING email, credits)
        SELECT email, 'credit account opened with ' || credits || ' credit(s), the ledger sum' FROM opened ORDER BY email
        """

    static let fixCredits = """
        WITH \(ledgerSums),
        drifted AS (
            SELECT p.email, p.credits AS before, greatest(coalesce(l.total, 0), 0) AS after
            FROM profiles p JOIN "digital_resume_by_CRM" u ON u.email = p.email
            LEFT JOIN ledger l ON l.email = p.email
            WHERE p.credits IS DISTINCT FROM coalesce(l.total, 0)),
        fixed AS (
            UPDATE profiles p SET credits = d.after, updated_at = now() FROM drifted d WHERE p.email = d.email RETURNING p.email)
        SELECT d.email, 'credits ' || d.before || ' -> ' || d.after || ' (the ledger sum)' FROM drifted d JOIN fixed USING (email)
        ORDER BY d.email
        """

    static let fixBalances = """
        WITH \(ledgerSums),
        drifted AS (
            SELECT s.email, s.credits AS before, greatest(coalesce(l.total, 0), 0) AS after
            FROM crm_dashboard_stats s LEFT JOIN ledger l ON l.email = s.email
            WHERE s.credits IS DISTINCT FROM greatest(coalesce(l.total, 0), 0)),
        fixed AS (
            UPDATE crm_dashboard_stats s SET credits = d.after FROM drifted d WHERE s.email = d.email RETURNING s.email)
        SELECT d.email, 'balance ' || d.before || ' -> ' || d.after || ' (the ledger sum)' FROM drifted d JOIN fixed USING (email)
        ORDER BY d.email
        """
}
