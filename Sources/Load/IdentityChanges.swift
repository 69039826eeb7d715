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
        let users = SQLName.deduplicated(.users), crmUsers = SQLName.crmUsers
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
                     AND EXISTS (SELECT 1 FROM \(SQLName.profiles) p WHERE p.email = c.to_email)
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
        return rejects
    }

    /// The tables whose rows move with their user, parents before children (a recording names its job request).
    static let movedTables: [SQLName] = [.jobRequests, .recordings, .resumes, .payments, .creditLedger]

    /// Moves every user in ``moves`` into its target, and the staged rows of the merged away ones with them.
    ///
    /// - Parameters:
    ///   - lockInOrder: Lock the CRM rows first, in email order (`FOR UPDATE` for the users that go).
    ///   - privileged: Whether the row triggers stand aside; the moves copy rows, which they would count twice.
    /// - Returns: Per entity, the users renamed or merged and the rows that moved with them.
    func apply(lockInOrder: Bool, privileged: Bool) throws -> [Entity: EntityCounts] {
        let moves = Self.moves, crmUsers = SQLName.crmUsers
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
            SELECT m.kind, count(*) AS n FROM \(moves) m WHERE EXISTS (SELECT 1 FROM \(crmUsers) u WHERE u.email = m.from_email) GROUP BY m.kind
            """).rows {
            let n = try row.decode(Int.self, "n")
            if try row.decode(String.self, "kind") == "merged" { counts[.users, default: EntityCounts()].merged += n } else {
                counts[.users, default: EntityCounts()].renamed += n
            }
        }
        // A target not stored yet takes the CRM row of its first stored user, under its own email and account, and
        // an empty stats row that the sums below fill.
        try connection.query("""
            CREATE TEMP TABLE identity_new_targets ON COMMIT DROP AS
            SELECT DISTINCT ON (m.to_email) m.to_email, m.from_email, \(Self.account(of: "m.to_email")) AS account
            FROM \(moves) m JOIN \(crmUsers) u ON u.email = m.from_email
            WHERE NOT EXISTS (SELECT 1 FROM \(crmUsers) x WHERE x.email = m.to_email)
            ORDER BY m.to_email, m.from_email
            """)
        try connection.query("""
            INSERT INTO \(crmUsers)
            SELECT (jsonb_populate_record(NULL::\(crmUsers), to_jsonb(u) || jsonb_build_object('email', t.to_email, 'user_id', t.account))).*
            FROM identity_new_targets t JOIN \(crmUsers) u ON u.email = t.from_email
            """)
        try connection.query("""
            INSERT INTO \(SQLName.dashboardStats) (email, user_id) SELECT to_email, account FROM identity_new_targets
            """)
        // The rows: copied under the target's email and account (an external id the target has already gets a suffix),
        // then deleted, children first.
        for table in Self.movedTables {
            let renamed: SQLQuery = table == .creditLedger ? "'{}'::jsonb" : """
                CASE WHEN EXISTS (SELECT 1 FROM \(table) w WHERE w.email = m.to_email AND w.external_id = r.external_id)
                     THEN jsonb_build_object('external_id', r.external_id || '~' || left(md5(r.email), 8)) ELSE '{}'::jsonb END
                """
            let moved = try connection.query("""
                WITH copied AS (
                    INSERT INTO \(table)
                    SELECT (jsonb_populate_record(NULL::\(table),
                                to_jsonb(r) || jsonb_build_object('email', m.to_email, 'user_id', u.user_id) || \(renamed))).*
                    FROM \(table) r JOIN \(moves) m ON r.email = m.from_email JOIN \(crmUsers) u ON u.email = m.to_email
                    RETURNING 1)
                SELECT count(*) AS n FROM copied
                """).scalar(Int.self)
            if let entity = Entity.crmRecords.first(where: { SQLName.table(of: $0) == table }) {
                counts[entity, default: EntityCounts()].merged += moved
            }
        }
        for table in [SQLName.recordings, .jobRequests, .resumes, .payments, .creditLedger] {
            try connection.query("DELETE FROM \(table) t USING \(moves) m WHERE t.email = m.from_email")
        }
        try moveBalances()
        try connection.query("""
            INSERT INTO \(SQLName.userSources) (email, source)
            SELECT m.to_email, c.source FROM \(moves) m JOIN \(SQLName.userSources) c ON c.email = m.from_email ON CONFLICT DO NOTHING
            """)
        try connection.query("DELETE FROM \(SQLName.userSources) c USING \(moves) m WHERE c.email = m.from_email")
        try connection.query("DELETE FROM \(crmUsers) u USING \(moves) m WHERE u.email = m.from_email")
        try moveStagedRows()
        try connection.query("DROP TABLE identity_new_targets")
        return counts
    }

    /// The stats and the credit accounts: each target's totals and balance are its own plus its movers'. A target
    /// without an account takes its first mover's (its email, the target's account where no other has it); the
    /// other movers' credits go to the target's account, theirs left at 0.
    private func moveBalances() throws {
        let moves = Self.moves, stats = SQLName.dashboardStats, profiles = SQLName.profiles
        try connection.query("""
            UPDATE \(stats) s SET total_applications = s.total_applications + d.applications, total_recordings = s.total_recordings + d.recordings,
                total_resumes = s.total_resumes + d.resumes, credits = s.credits + d.credits, updated_at = now()
            FROM (SELECT m.to_email, sum(x.total_applications)::integer AS applications, sum(x.total_recordings)::integer AS recordings,
                         sum(x.total_resumes)::integer AS resumes, sum(x.credits)::integer AS credits
                  FROM \(moves) m JOIN \(stats) x ON x.email = m.from_email GROUP BY m.to_email) d
            WHERE s.email = d.to_email
            """)
        try connection.query("DELETE FROM \(stats) s USING \(moves) m WHERE s.email = m.from_email")
        try connection.query("""
            UPDATE \(profiles) p SET email = t.to_email, updated_at = now(),
                user_id = CASE WHEN NOT EXISTS (SELECT 1 FROM \(profiles) q WHERE q.user_id = t.account AND q.id <> p.id) THEN t.account END
            FROM (SELECT DISTINCT ON (m.to_email) m.to_email, m.from_email, \(Self.account(of: "m.to_email")) AS account
                  FROM \(moves) m JOIN \(profiles) f ON f.email = m.from_email
                  WHERE NOT EXISTS (SELECT 1 FROM \(profiles) x WHERE x.email = m.to_email)
                  ORDER BY m.to_email, m.from_email) t
            WHERE p.email = t.from_email
            """)
        try connection.query("""
            UPDATE \(profiles) p SET credits = p.credits + d.credits, updated_at = now()
            FROM (SELECT m.to_email, sum(f.credits)::integer AS credits FROM \(moves) m JOIN \(profiles) f ON f.email = m.from_email
                  GROUP BY m.to_email) d
            WHERE p.email = d.to_email AND d.credits <> 0
            """)
        try connection.query("""
            UPDATE \(profiles) p SET credits = 0, updated_at = now() FROM \(moves) m WHERE p.email = m.from_email AND p.credits <> 0
            """)
    }

    /// This import's rows of a user merged away are the target's (a row of the target's own with the same key wins).
    private func moveStagedRows() throws {
        for entity in Entity.crmRecords where entity != .users {
            let staged = SQLName.deduplicated(entity)
            try connection.query("UPDATE \(staged) s SET email = m.to_email FROM \(Self.moves) m WHERE s.email = m.from_email")
            try connection.query("""
                DELETE FROM \(staged) a USING \(staged) b WHERE a.email = b.email AND a.external_id = b.external_id AND a.seq < b.seq
                """)
        }
    }
}
