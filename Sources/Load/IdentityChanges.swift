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

    static let createTable: SQLQuery = """
        CREATE TEMP TABLE \(SQLName.identityMoves) (from_email text PRIMARY KEY, to_email text NOT NULL, kind text NOT NULL,
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
        let named = Self.emails(namedBy: users)
        try connection.query("CREATE TEMP TABLE \(SQLName.identityKnown) ON COMMIT DROP AS \(Self.storedUsers(namedBy: users))")
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityAccounts) ON COMMIT DROP AS SELECT p.email FROM \(SQLName.profiles) p WHERE p.email IN (\(named))
            """)
        let crmUsers = SQLName.identityKnown
        // Merges: the winner by email, or by CRM id among this import's users, then the stored ones (one each).
        // Every lookup below is a join with a grouped table, never a subquery per row: these temporary tables have
        // no statistics, and a subquery per row is a scan per row (26 s for 14,000 renames).
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityCandidates) ON COMMIT DROP AS
            WITH losers AS (DELETE FROM \(users) WHERE deleted AND merged_into IS NOT NULL RETURNING email, merged_into, file, line)
            SELECT l.email AS from_email, 'merged'::text AS kind, l.file, l.line, l.merged_into AS named,
                   CASE WHEN l.merged_into LIKE '%@%' THEN l.merged_into ELSE coalesce(s.email, u.email) END AS to_email
            FROM losers l
            LEFT JOIN (SELECT crm_user_id, min(email) AS email FROM \(users) GROUP BY crm_user_id HAVING count(*) = 1) s
              ON s.crm_user_id = l.merged_into
            LEFT JOIN (SELECT crm_user_id, min(email) AS email FROM \(crmUsers) GROUP BY crm_user_id HAVING count(*) = 1) u
              ON u.crm_user_id = l.merged_into
            UNION ALL
            SELECT t.email, 'renamed', s.file, s.line, s.crm_user_id, s.email
            FROM \(users) s JOIN \(crmUsers) t ON t.crm_user_id = s.crm_user_id AND t.email <> s.email
            WHERE s.crm_user_id IS NOT NULL
            """)
        try connection.query("ANALYZE \(SQLName.identityCandidates)")
        let refused = try connection.query("""
            WITH judged AS (
                SELECT c.*, c.to_email IS NOT NULL AND (staged_to.email IS NOT NULL OR stored_to.email IS NOT NULL) AS known, CASE
                    WHEN c.to_email IS NULL OR (staged_to.email IS NULL AND stored_to.email IS NULL)
                        THEN 'merged into ' || c.named || ', which is no user of the database or of this import'
                    WHEN c.to_email = c.from_email THEN 'merged into itself'
                    WHEN moving.n > 1 THEN 'another row of this import moves ' || c.from_email || ' elsewhere too'
                    WHEN moved_to.email IS NOT NULL OR removed_to.email IS NOT NULL
                        THEN c.to_email || ' is itself merged away or removed by this import'
                    WHEN c.kind = 'renamed' AND stored_to.email IS NOT NULL
                        THEN 'CRM id ' || c.named || ' belongs to the stored user ' || c.from_email || ', and this email is another stored user'
                    WHEN c.kind = 'renamed' AND staged_from.email IS NOT NULL
                        THEN 'CRM id ' || c.named || ' is also on ' || c.from_email || ' in this import'
                    WHEN c.kind = 'renamed' AND holders.n > 1 THEN 'CRM id ' || c.named || ' is on several stored users'
                    WHEN stored_to.email IS NULL AND account_to.email IS NOT NULL
                        THEN c.to_email || ' already has a credit account of its own'
                END AS refusal
                FROM \(SQLName.identityCandidates) c
                LEFT JOIN \(users) staged_to ON staged_to.email = c.to_email
                LEFT JOIN \(users) staged_from ON staged_from.email = c.from_email
                LEFT JOIN \(crmUsers) stored_to ON stored_to.email = c.to_email
                LEFT JOIN (SELECT from_email, count(*) AS n FROM \(SQLName.identityCandidates) GROUP BY from_email) moving ON moving.from_email = c.from_email
                LEFT JOIN (SELECT DISTINCT from_email AS email FROM \(SQLName.identityCandidates)) moved_to ON moved_to.email = c.to_email
                LEFT JOIN (SELECT DISTINCT email FROM \(SQLName.removedUsers)) removed_to ON removed_to.email = c.to_email
                LEFT JOIN (SELECT crm_user_id, count(*) AS n FROM \(crmUsers) GROUP BY crm_user_id) holders ON holders.crm_user_id = c.named
                LEFT JOIN (SELECT DISTINCT email FROM \(SQLName.identityAccounts)) account_to ON account_to.email = c.to_email),
            kept AS (
                INSERT INTO \(SQLName.identityMoves) (from_email, to_email, kind, file, line)
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
                location: try StagedPlace(row: row).location(path),
                entity: .users, field: merged ? .mergedInto : .email, value: merged ? try row.decode(String?.self, "named") : email,
                reason: unknown ? .unknownUser : .identityConflict, message: try row.decode(String.self, "refusal")))
            // Its other rows in the export are refused with it; a refused rename's row does not load either.
            try connection.query("INSERT INTO \(SQLName.rejectedUsers) (email) VALUES (\(bind: email)) ON CONFLICT DO NOTHING")
            if !merged { try connection.query("DELETE FROM \(users) WHERE email = \(bind: email)") }
        }
        try connection.query("DROP TABLE \(SQLName.identityCandidates)")
        try connection.query("DROP TABLE \(SQLName.identityAccounts)")
        return rejects
    }

    /// The stored users (`email`, `crm_user_id`) that the users rows in `users` name: by email, by CRM id, or as
    /// the user they are merged into. A snapshot names them all, a renamed user's old email included. The lookups are
    /// a UNION, not an OR, so that each may use its index (an OR read all of a 1.4M-users table: 355 ms).
    static func storedUsers(namedBy users: SQLName) -> SQLQuery {
        """
        SELECT u.email, u.crm_user_id FROM \(SQLName.crmUsers) u
        WHERE u.crm_user_id IN (SELECT crm_user_id FROM \(users) WHERE crm_user_id IS NOT NULL
                                UNION SELECT merged_into FROM \(users) WHERE merged_into IS NOT NULL)
        UNION
        SELECT u.email, u.crm_user_id FROM \(SQLName.crmUsers) u
        WHERE u.email IN (\(emails(namedBy: users)))
        """
    }

    /// The emails the users rows in `users` name: their own and those they are merged into.
    private static func emails(namedBy users: SQLName) -> SQLQuery {
        "SELECT email FROM \(users) UNION SELECT merged_into FROM \(users) WHERE merged_into IS NOT NULL"
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
        let moves = SQLName.identityMoves, crmUsers = SQLName.crmUsers, known = SQLName.identityKnown
        var counts: [Entity: EntityCounts] = [:]
        guard try connection.query("SELECT count(*) AS n FROM \(moves)").scalar(Int.self) > 0 else { return counts }
        guard privileged else {
            throw LoadError.usage("this import renames or merges users, which needs a role the triggers stand aside for (the one that ran migrate)")
        }
        try connection.query("ANALYZE \(moves)")
        if lockInOrder {
            for (column, mode): (SQLQuery, SQLQuery) in [("from_email", "UPDATE"), ("to_email", "NO KEY UPDATE")] {
                try connection.query("""
                    SELECT count(*) AS n FROM (SELECT 1 FROM \(crmUsers) u WHERE u.email IN (SELECT \(column) FROM \(moves))
                                               ORDER BY u.email FOR \(mode)) locked
                    """)
            }
        }
        try tally("SELECT m.kind, count(*) AS n FROM \(moves) m WHERE m.from_email IN (SELECT email FROM \(known)) GROUP BY m.kind",
                  as: .users, into: &counts)
        // A target not stored yet takes the CRM row of its first stored user, under its own email and account, and
        // an empty stats row that the sums below fill.
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityTargets) ON COMMIT DROP AS
            SELECT t.to_email, f.first_from, a.id AS account, k.email IS NOT NULL AS stored
            FROM (SELECT DISTINCT to_email FROM \(moves)) t
            LEFT JOIN (SELECT m.to_email, min(m.from_email) AS first_from FROM \(moves) m JOIN \(known) k ON k.email = m.from_email
                       GROUP BY m.to_email) f ON f.to_email = t.to_email
            LEFT JOIN \(known) k ON k.email = t.to_email
            LEFT JOIN (SELECT DISTINCT ON (a.email) a.email, a.id FROM \(SQLName.authUsers) a
                       WHERE NOT a.is_sso_user AND a.email IN (SELECT to_email FROM \(moves)) ORDER BY a.email, a.id) a ON a.email = t.to_email
            """)
        try copyRows(of: crmUsers, into: SQLName.identityRows, emails: "SELECT first_from FROM \(SQLName.identityTargets) WHERE NOT stored")
        try connection.query("""
            INSERT INTO \(crmUsers)
            SELECT x.* FROM \(SQLName.identityTargets) t JOIN \(SQLName.identityRows) u ON u.email = t.first_from
            CROSS JOIN LATERAL jsonb_populate_record(NULL::\(crmUsers), to_jsonb(u) || jsonb_build_object('email', t.to_email, 'user_id', t.account)) x
            WHERE NOT t.stored
            """)
        try connection.query("""
            INSERT INTO \(SQLName.dashboardStats) (email, user_id) SELECT to_email, account FROM \(SQLName.identityTargets) WHERE NOT stored AND first_from IS NOT NULL
            """)
        // Every target's account, the new ones' included, for the rows that move.
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityAccounts) ON COMMIT DROP AS
            SELECT u.email, u.user_id FROM \(crmUsers) u WHERE u.email IN (SELECT to_email FROM \(moves))
            """)
        // The rows: copied under the target's email and account (an external id the target has already gets a suffix),
        // then deleted, children first.
        for table in Self.movedTables {
            try copyRows(of: table, into: SQLName.identityRows, emails: "SELECT from_email FROM \(moves)")
            // An external id the target's rows have already gets a suffix (a ledger row has none).
            var suffix: SQLQuery = "'{}'::jsonb", taken: SQLQuery = ""
            if table != .creditLedger {
                try copyRows(of: table, into: SQLName.identityTargetRows, emails: "SELECT to_email FROM \(moves)")
                suffix = "CASE WHEN w.email IS NOT NULL THEN jsonb_build_object('external_id', r.external_id || '~' || left(md5(r.email), 8)) ELSE '{}' END"
                taken = """
                    LEFT JOIN (SELECT DISTINCT email, external_id FROM \(SQLName.identityTargetRows)) w ON w.email = m.to_email AND w.external_id = r.external_id
                    """
            }
            try connection.query("""
                INSERT INTO \(table)
                SELECT x.* FROM \(SQLName.identityRows) r JOIN \(moves) m ON r.email = m.from_email JOIN \(SQLName.identityAccounts) a ON a.email = m.to_email \(taken)
                CROSS JOIN LATERAL jsonb_populate_record(NULL::\(table),
                    to_jsonb(r) || jsonb_build_object('email', m.to_email, 'user_id', a.user_id) || \(suffix)) x
                """)
            guard let entity = Entity.crmRecords.first(where: { SQLName.table(of: $0) == table }) else { continue }
            try tally("SELECT m.kind, count(*) AS n FROM \(SQLName.identityRows) r JOIN \(moves) m ON r.email = m.from_email GROUP BY m.kind",
                      as: entity, into: &counts)
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
        for table in [SQLName.identityTargets, .identityAccounts, .identityRows, .identityTargetRows] {
            try connection.dropTableIfPresent(table)
        }
        return counts
    }

    /// Adds what `query` counts per kind of move (`kind`, `n`) to `entity`'s renamed and merged.
    private func tally(_ query: SQLQuery, as entity: Entity, into counts: inout [Entity: EntityCounts]) throws {
        for row in try connection.query(query).rows {
            let n = try row.decode(Int.self, "n")
            if try row.decode(String.self, "kind") == "merged" { counts[entity, default: EntityCounts()].merged += n } else {
                counts[entity, default: EntityCounts()].renamed += n
            }
        }
    }
}
