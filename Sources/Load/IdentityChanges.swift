import CRMSchema
import PipelineCore
import PostgresClient

/// Users whose identity changed in the CRM (issue 25): a contact whose email changed — the same
/// `crm_user_id` under a new email, a rename — and a contact merged into another — `deleted` with
/// `merged_into`, a merge. Either way the user's rows move to the other email right after the
/// deduplication, so that the checks, the merges and the upkeep after see one user with all its rows.
/// A rename that would make two users one, or a merge into a user that is not there, is rejected
/// (`identity_conflict`, `unknown_user`), never carried out silently.
struct IdentityChanges {
    let connection: PostgresConnection

    /// Who moves where: `from_email` (stored, or only in this import) into `to_email`, `kind` renamed or merged.
    static let moves = SQLName("identity_moves")

    static let createTable: SQLQuery = """
        CREATE TEMP TABLE \(moves) (from_email text PRIMARY KEY, to_email text NOT NULL, kind text NOT NULL,
                                   file integer, line integer) ON COMMIT DROP
        """

    /// The account of `email` (an expression), as the users merge finds it: the first non-SSO account by id.
    private static func account(of email: SQLQuery) -> SQLQuery {
        "(SELECT (array_agg(a.id ORDER BY a.id))[1] FROM \(SQLName.authUsers) a WHERE a.email = \(email) AND NOT a.is_sso_user)"
    }

    /// Finds the merges (taking the losers' rows out of the staged users) and the renames, and rejects those that
    /// cannot be carried out; the rejected users' other rows are then rejected as theirs.
    ///
    /// - Returns: The rejects, in file and line order.
    func collect(path: (Int) -> String) throws -> [Reject] {
        let users = SQLName.deduplicated(.users)
        // The stored users and accounts the staged users may name, by CRM id or email, copied once into temporary
        // tables: the statements below then join temporary tables only, which Citus plans.
        let named: SQLQuery = """
            SELECT email FROM \(users) UNION SELECT merged_into FROM \(users) WHERE merged_into IS NOT NULL
            """
        try connection.query("""
            CREATE TEMP TABLE identity_known ON COMMIT DROP AS
            SELECT u.email, u.crm_user_id FROM \(SQLName.crmUsers) u
            WHERE u.crm_user_id IN (SELECT crm_user_id FROM \(users) WHERE crm_user_id IS NOT NULL
                                    UNION SELECT merged_into FROM \(users) WHERE merged_into IS NOT NULL)
               OR u.email IN (\(named))
            """)
        try connection.query("""
            CREATE TEMP TABLE identity_accounts ON COMMIT DROP AS SELECT p.email FROM \(SQLName.profiles) p WHERE p.email IN (\(named))
            """)
        let crmUsers = SQLName("identity_known")
        // Merges: the winner by email, or by CRM id among this import's users, then the stored ones (one each).
        try connection.query("""
            CREATE TEMP TABLE identity_candidates ON COMMIT DROP AS
            WITH losers AS (DELETE FROM \(users) WHERE deleted AND merged_into IS NOT NULL RETURNING email, merged_into, file, line)
            SELECT l.email AS from_email, 'merged'::text AS kind, l.file, l.line, l.merged_into AS named,
                   CASE WHEN l.merged_into LIKE '%@%' THEN l.merged_into
                        ELSE coalesce((SELECT min(s.email) FROM \(users) s WHERE s.crm_user_id = l.merged_into HAVING count(*) = 1),
                                      (SELECT min(u.email) FROM \(crmUsers) u WHERE u.crm_user_id = l.merged_into HAVING count(*) = 1))
                   END AS to_email
            FROM losers l
            UNION ALL
            SELECT t.email, 'renamed', s.file, s.line, s.crm_user_id, s.email
            FROM \(users) s JOIN \(crmUsers) t ON t.crm_user_id = s.crm_user_id AND t.email <> s.email
            WHERE s.crm_user_id IS NOT NULL
            """)
        let refused = try connection.query("""
            WITH known AS (
                SELECT c.*, c.to_email IS NOT NULL AND (EXISTS (SELECT 1 FROM \(users) s WHERE s.email = c.to_email)
                                                        OR EXISTS (SELECT 1 FROM \(crmUsers) u WHERE u.email = c.to_email)) AS known
                FROM identity_candidates c),
            judged AS (
                SELECT c.*, CASE
                    WHEN NOT c.known THEN 'merged into ' || c.named || ', which is no user of the database or of this import'
                    WHEN c.to_email = c.from_email THEN 'merged into itself'
                    WHEN (SELECT count(*) FROM identity_candidates o WHERE o.from_email = c.from_email) > 1
                        THEN 'another row of this import moves ' || c.from_email || ' elsewhere too'
                    WHEN EXISTS (SELECT 1 FROM identity_candidates o WHERE o.from_email = c.to_email)
                      OR EXISTS (SELECT 1 FROM \(UserRemoval.removed) r WHERE r.email = c.to_email)
                        THEN c.to_email || ' is itself merged away or removed by this import'
                    WHEN c.kind = 'renamed' AND EXISTS (SELECT 1 FROM \(crmUsers) u WHERE u.email = c.to_email)
                        THEN 'CRM id ' || c.named || ' belongs to the stored user ' || c.from_email || ', and this email is another stored user'
                    WHEN c.kind = 'renamed' AND EXISTS (SELECT 1 FROM \(users) s WHERE s.email = c.from_email)
                        THEN 'CRM id ' || c.named || ' is also on ' || c.from_email || ' in this import'
                    WHEN c.kind = 'renamed' AND (SELECT count(*) FROM \(crmUsers) u WHERE u.crm_user_id = c.named) > 1
                        THEN 'CRM id ' || c.named || ' is on several stored users'
                    WHEN NOT EXISTS (SELECT 1 FROM \(crmUsers) u WHERE u.email = c.to_email)
                     AND EXISTS (SELECT 1 FROM identity_accounts p WHERE p.email = c.to_email)
                        THEN c.to_email || ' already has a credit account of its own'
                END AS refusal
                FROM known c),
            kept AS (
                INSERT INTO \(Self.moves) (from_email, to_email, kind, file, line)
                SELECT from_email, to_email, kind, file, line FROM judged WHERE refusal IS NULL)
            SELECT j.kind, j.file, j.line, CASE WHEN j.kind = 'merged' THEN j.from_email ELSE j.to_email END AS email, j.named, j.refusal,
                   NOT j.known AS unknown
            FROM judged j WHERE j.refusal IS NOT NULL ORDER BY j.file, j.line
            """).rows
        var rejects: [Reject] = []
        for row in refused {
            let merged = try row.decode(String.self, "kind") == "merged"
            let unknown = try row.decode(Bool.self, "unknown")
            let email = try row.decode(String.self, "email")
            rejects.append(Reject(
                location: SourceLocation(file: path(try row.decode(Int.self, "file")), line: try row.decode(Int.self, "line")),
                entity: .users, field: merged ? .mergedInto : .email, value: merged ? try row.decode(String?.self, "named") : email,
                reason: unknown ? .unknownUser : .identityConflict, message: try row.decode(String.self, "refusal")))
            // Its other rows in the export are refused with it; a refused rename's row does not load either.
            try connection.query("INSERT INTO \(SQLName.rejectedUsers) (email) VALUES (\(bind: email)) ON CONFLICT DO NOTHING")
            if !merged { try connection.query("DELETE FROM \(users) WHERE email = \(bind: email)") }
        }
        try connection.query("DROP TABLE identity_candidates")
        try connection.query("DROP TABLE identity_accounts")
        return rejects
    }

    /// The tables whose rows move with their user, parents before children (a recording names its job request).
    static let movedTables: [SQLName] = [.jobRequests, .recordings, .resumes, .payments, .creditLedger]

    /// Moves every user in ``moves`` into its target, and the staged rows of the merged away ones with them.
    /// The rows are read into temporary tables first and written back from there (Citus plans statements that
    /// join a distributed table with a temporary one only in few shapes).
    ///
    /// - Parameters:
    ///   - lockInOrder: Lock the CRM rows first, in email order (`FOR UPDATE` for the users that go).
    ///   - privileged: Whether the row triggers stand aside; the moves copy rows, which they would count twice.
    /// - Returns: Per entity, the users renamed or merged and the rows that moved with them.
    func apply(lockInOrder: Bool, privileged: Bool) throws -> [Entity: EntityCounts] {
        let moves = Self.moves, crmUsers = SQLName.crmUsers, known = SQLName("identity_known")
        var counts: [Entity: EntityCounts] = [:]
        guard try connection.query("SELECT count(*) AS n FROM \(moves)").scalar(Int.self) > 0 else { return counts }
        guard privileged else {
            throw LoadError.usage("this import renames or merges users, which needs a role the triggers stand aside for (the one that ran migrate)")
        }
        if lockInOrder {
            for (column, mode): (SQLQuery, SQLQuery) in [("from_email", "UPDATE"), ("to_email", "NO KEY UPDATE")] {
                try connection.query("""
                    SELECT count(*) AS n FROM (SELECT 1 FROM \(crmUsers) u WHERE u.email IN (SELECT \(column) FROM \(moves))
                                               ORDER BY u.email FOR \(mode)) locked
                    """)
            }
        }
        for row in try connection.query("""
            SELECT m.kind, count(*) AS n FROM \(moves) m WHERE m.from_email IN (SELECT email FROM \(known)) GROUP BY m.kind
            """).rows {
            let n = try row.decode(Int.self, "n")
            if try row.decode(String.self, "kind") == "merged" { counts[.users, default: EntityCounts()].merged += n } else {
                counts[.users, default: EntityCounts()].renamed += n
            }
        }
        // A target not stored yet takes the CRM row of its first stored user, under its own email and account, and
        // an empty stats row that the sums below fill.
        try connection.query("""
            CREATE TEMP TABLE identity_targets ON COMMIT DROP AS
            SELECT t.to_email, (SELECT min(m.from_email) FROM \(moves) m WHERE m.to_email = t.to_email AND m.from_email IN (SELECT email FROM \(known)))
                       AS first_from,
                   a.id AS account, t.to_email IN (SELECT email FROM \(known)) AS stored
            FROM (SELECT DISTINCT to_email FROM \(moves)) t
            LEFT JOIN (SELECT DISTINCT ON (a.email) a.email, a.id FROM \(SQLName.authUsers) a
                       WHERE NOT a.is_sso_user AND a.email IN (SELECT to_email FROM \(moves)) ORDER BY a.email, a.id) a ON a.email = t.to_email
            """)
        try copyRows(of: crmUsers, into: "identity_rows", emails: "SELECT first_from FROM identity_targets WHERE NOT stored")
        try connection.query("""
            INSERT INTO \(crmUsers)
            SELECT (jsonb_populate_record(NULL::\(crmUsers), to_jsonb(u) || jsonb_build_object('email', t.to_email, 'user_id', t.account))).*
            FROM identity_targets t JOIN identity_rows u ON u.email = t.first_from WHERE NOT t.stored
            """)
        try connection.query("""
            INSERT INTO \(SQLName.dashboardStats) (email, user_id) SELECT to_email, account FROM identity_targets WHERE NOT stored AND first_from IS NOT NULL
            """)
        // Every target's account, the new ones' included, for the rows that move.
        try connection.query("""
            CREATE TEMP TABLE identity_accounts ON COMMIT DROP AS
            SELECT u.email, u.user_id FROM \(crmUsers) u WHERE u.email IN (SELECT to_email FROM \(moves))
            """)
        // The rows: copied under the target's email and account (an external id the target has already gets a suffix),
        // then deleted, children first.
        for table in Self.movedTables {
            try copyRows(of: table, into: "identity_rows", emails: "SELECT from_email FROM \(moves)")
            let renamed: SQLQuery
            if table == .creditLedger {
                renamed = "'{}'::jsonb"
            } else {
                try copyRows(of: table, into: "identity_target_rows", emails: "SELECT to_email FROM \(moves)")
                renamed = """
                    CASE WHEN EXISTS (SELECT 1 FROM identity_target_rows w WHERE w.email = m.to_email AND w.external_id = r.external_id)
                         THEN jsonb_build_object('external_id', r.external_id || '~' || left(md5(r.email), 8)) ELSE '{}'::jsonb END
                    """
            }
            let moved = try connection.query("""
                WITH copied AS (
                    INSERT INTO \(table)
                    SELECT (jsonb_populate_record(NULL::\(table),
                                to_jsonb(r) || jsonb_build_object('email', m.to_email, 'user_id', a.user_id) || \(renamed))).*
                    FROM identity_rows r JOIN \(moves) m ON r.email = m.from_email JOIN identity_accounts a ON a.email = m.to_email
                    RETURNING 1)
                SELECT count(*) AS n FROM copied
                """).scalar(Int.self)
            if let entity = Entity.crmRecords.first(where: { SQLName.table(of: $0) == table }) {
                counts[entity, default: EntityCounts()].merged += moved
            }
        }
        for table in [SQLName.recordings, .jobRequests, .resumes, .payments, .creditLedger] {
            try connection.query("DELETE FROM \(table) WHERE email IN (SELECT from_email FROM \(moves))")
        }
        try moveBalances()
        try connection.query("""
            INSERT INTO \(SQLName.userSources) (email, source)
            SELECT m.to_email, c.source FROM \(moves) m JOIN \(SQLName.userSources) c ON c.email = m.from_email ON CONFLICT DO NOTHING
            """)
        try connection.query("DELETE FROM \(SQLName.userSources) c USING \(moves) m WHERE c.email = m.from_email")
        try connection.query("DELETE FROM \(crmUsers) WHERE email IN (SELECT from_email FROM \(moves))")
        try moveStagedRows()
        for table in ["identity_targets", "identity_accounts", "identity_rows", "identity_target_rows"] {
            try connection.query("DROP TABLE IF EXISTS \(ident: table)")
        }
        return counts
    }
}
