import CRMSchema
import Extract
import PipelineCore
import PostgresClient
import Validate

/// The referential and credit checks on the deduplicated staging, each a set-based statement that
/// deletes the rows it rejects and returns them (`file, line, value, message`).
struct ReferenceChecks {
    let connection: PostgresConnection

    /// Runs every check, writing each rejected row to `rejects`.
    ///
    /// - Parameters:
    ///   - lockParents: Lock the users and job requests the staged rows name as they are found (`FOR KEY
    ///     SHARE`, to commit), for merges without FK triggers: a parent found here stays there.
    ///   - path: The path of a staged row's file, by its index.
    ///   - scope: The backfill chunk the staging holds (``BackfillChunk/whole`` for a nightly load).
    ///   - narrowed: Look for stored twins of the staged rows among the known users' rows only
    ///     (``LoadSQL/ofKnownUsers(_:narrowed:)``).
    func run(credits: RecordValidator.CreditPolicy, rejects: RejectFileWriter, lockParents: Bool, scope: BackfillChunk,
             narrowed: Bool, path: (Int) -> String) throws -> LoadTally {
        var tally = LoadTally()
        func reject(_ query: SQLQuery, _ entity: Entity, _ field: Field, _ reason: RejectReason) throws {
            for refused in try connection.query(query).all(as: RefusedRow.self) {
                let reject = Reject(location: refused.place.location(path), entity: entity, field: field, value: refused.value,
                                    reason: reason, message: refused.message ?? reason.rawValue)
                tally.count(reject)
                try rejects.write(reject)
            }
        }
        // The CRM users and job requests the staged rows may refer to, copied once into temporary tables:
        // the checks then anti-join temporary tables only, which Citus can plan (it refuses a correlated
        // subquery on a distributed table inside a statement on a local one).
        // Their emails first, counted (ANALYZE): a UNION of the children's emails looks as large as all their rows
        // to the planner, which then read the whole users table for a delta's 14,000 emails (300 → 70 ms in 1.4M).
        // In a backfill's chunk, within its range, as its staged rows all are: the users table grows with every chunk.
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.namedUsers) ON COMMIT DROP AS
            \(LoadSQL.stagedEmails([.jobRequests, .recordings, .resumes, .payments]))
            """)
        try connection.query("ANALYZE \(SQLName.namedUsers)")
        // Most children's users are staged beside them: the named emails that are not, found once, spare each child
        // table's check an anti-join of all its rows with the staged users (0.6 s of a 979k-row nightly), and the
        // whole check when there are none.
        let notStaged = try connection.query("""
            CREATE TEMP TABLE \(SQLName.namedUsersNotStaged) ON COMMIT DROP AS
            SELECT n.email FROM \(SQLName.namedUsers) n WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.deduplicated(.users)) u WHERE u.email = n.email)
            """).affectedRows
        if notStaged > 0 { try connection.query("ANALYZE \(SQLName.namedUsersNotStaged)") }
        try connection.query("""
            INSERT INTO \(SQLName.knownUsers) (email, user_id)
            SELECT u.email, u.user_id FROM \(SQLName.crmUsers) u
            WHERE u.email IN (SELECT email FROM \(SQLName.namedUsers)) AND \(scope.contains("u.email"))
            \(lockParents ? "FOR KEY SHARE" : "")
            """)
        try connection.query("ANALYZE \(SQLName.knownUsers)")
        try connection.query(LoadSQL.copyJobRequestsOfRecordings(into: SQLName.knownJobRequests, locking: lockParents, narrowed: narrowed,
                                                                 scope: scope))
        if notStaged > 0 {
            for entity in [Entity.jobRequests, .recordings, .resumes, .payments] {
                try reject(unknownUser(entity), entity, .email, .unknownUser)
            }
        }
        try reject("""
            DELETE FROM \(SQLName.deduplicated(.recordings)) s
            WHERE s.job_request_external_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM \(SQLName.deduplicated(.jobRequests)) j WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
              AND NOT EXISTS (SELECT 1 FROM \(SQLName.knownJobRequests) j WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
            RETURNING s.file, s.line, s.job_request_external_id AS value, 'no job request with this external id for this user' AS message
            """, .recordings, .jobRequestExternalID, .unknownJobRequest)
        if credits == .charge {
            let walk = CreditWalk(connection: connection)
            try walk.collect(existing: SQLName.knownUsers, scope: scope, narrowed: narrowed)
            for reject in try walk.refuse(openings: CreditWalk.openingsBeforeMerges,
                                          why: "the user has no credit left for this recording at its time", path: path) {
                tally.count(reject)
                try rejects.write(reject)
            }
        }
        return tally
    }

    /// Children whose user is neither in this import nor in the database, whose user record in this import
    /// was rejected, or whom this import removes.
    private func unknownUser(_ entity: Entity) -> SQLQuery {
        """
        DELETE FROM \(SQLName.deduplicated(entity)) s
        WHERE s.email IN (SELECT email FROM \(SQLName.namedUsersNotStaged))
          AND (EXISTS (SELECT 1 FROM \(SQLName.rejectedUsers) r WHERE r.email = s.email)
               OR EXISTS (SELECT 1 FROM \(SQLName.removedUsers) r WHERE r.email = s.email)
               OR NOT EXISTS (SELECT 1 FROM \(SQLName.knownUsers) u WHERE u.email = s.email))
        RETURNING s.file, s.line, s.email AS value,
            CASE WHEN EXISTS (SELECT 1 FROM \(SQLName.rejectedUsers) r WHERE r.email = s.email)
                 THEN 'the user''s own record in this import was rejected'
                 WHEN EXISTS (SELECT 1 FROM \(SQLName.removedUsers) r WHERE r.email = s.email)
                 THEN 'the user is removed by this import (' || (SELECT r.why FROM \(SQLName.removedUsers) r WHERE r.email = s.email) || ')'
                 ELSE 'no user with this email in the database or in this import' END AS message
        """
    }
}
