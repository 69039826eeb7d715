import CRMSchema
import Extract
import PipelineCore
import PostgresClient
import Validate

/// The referential and credit checks on the deduplicated staging, each a set-based statement that
/// deletes the rows it rejects and returns them (`file, line, value, message`).
struct ReferenceChecks {
    let connection: PostgresConnection

    /// Walks each user's credit events in time order (UTC instants; payments first at equal instants,
    /// undated recordings last), from the balance in the database (4 for a new account) and returns the
    /// `seq` of each charged recording that would take it below zero. Only new charges count: a recording
    /// already loaded and charged is not charged again. Payments only add, so only users with more new
    /// charges than their opening balance can be refused one: the walk reads their events alone (at 979k
    /// generated rows, 2.6k users of 140k).
    static let createCreditWalk: SQLQuery = """
        CREATE OR REPLACE FUNCTION pg_temp.crm_refused_charges() RETURNS SETOF bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            event record;
            current_email text;
            balance bigint;
        BEGIN
            FOR event IN
                WITH charges AS (
                    SELECT s.email, s.seq, s.created_at AS at
                    FROM \(SQLName.deduplicated(.recordings)) s
                    LEFT JOIN \(SQLName.recordings) t ON t.email = s.email AND t.external_id = s.external_id
                    WHERE s.credit_charged AND (t.email IS NULL OR NOT t.credit_charged)),
                at_risk AS (
                    SELECT c.email, coalesce(min(p.credits), 4) AS opening
                    FROM charges c LEFT JOIN \(SQLName.profiles) p ON p.email = c.email
                    GROUP BY c.email HAVING count(*) > coalesce(min(p.credits), 4))
                SELECT e.email, e.seq, e.delta, r.opening
                FROM (SELECT email, seq, -1 AS delta, at, 1 AS kind FROM charges
                      UNION ALL
                      -- narrowed to at_risk before the anti-join, which then probes few stored payments
                      SELECT s.email, s.seq, 3, s.paid_at, 0
                      FROM \(SQLName.deduplicated(.payments)) s
                      LEFT JOIN \(SQLName.payments) t ON t.email = s.email AND t.external_id = s.external_id
                      WHERE t.email IS NULL AND s.email IN (SELECT email FROM at_risk)) e
                JOIN at_risk r ON r.email = e.email
                ORDER BY e.email, e.at NULLS LAST, e.kind, e.seq
            LOOP
                IF event.email IS DISTINCT FROM current_email THEN
                    current_email := event.email;
                    balance := event.opening;
                END IF;
                IF balance + event.delta < 0 THEN
                    RETURN NEXT event.seq;
                ELSE
                    balance := balance + event.delta;
                END IF;
            END LOOP;
        END
        $$
        """

    /// A temporary copy of the job requests (email, external id, id) the staged recordings may name: for the
    /// check before the merges (`known_job_requests`), and again after the job requests were merged, for the
    /// recordings' job ids (`recording_jobs`).
    ///
    /// - Parameter locking: Copy exactly the job requests named, locked as the FK trigger would lock them
    ///   (for merges without FK triggers); else every job request of the users whose recordings name one
    ///   (the form Citus plans).
    static func copyJobRequestsOfRecordings(into table: SQLName, locking: Bool = false) -> SQLQuery {
        let naming: SQLQuery = "FROM \(SQLName.deduplicated(.recordings)) WHERE job_request_external_id IS NOT NULL"
        let named: SQLQuery = locking
            ? "(j.email, j.external_id) IN (SELECT email, job_request_external_id \(naming))"
            : "j.email IN (SELECT email \(naming))"
        return """
            CREATE TEMP TABLE \(table) ON COMMIT DROP AS
            SELECT j.email, j.external_id, j.id FROM \(SQLName.jobRequests) j
            WHERE \(named)
            \(locking ? "FOR KEY SHARE" : "")
            """
    }

    static let knownUsers = SQLName("known_users")
    static let knownJobRequests = SQLName("known_job_requests")

    /// Runs every check, writing each rejected row to `rejects`.
    ///
    /// - Parameters:
    ///   - lockParents: Lock the users and job requests the staged rows name as they are found (`FOR KEY
    ///     SHARE`, to commit), for merges without FK triggers: a parent found here stays there.
    ///   - path: The path of a staged row's file, by its index.
    func run(credits: RecordValidator.CreditPolicy, rejects: RejectFileWriter, lockParents: Bool, path: (Int) -> String) throws -> LoadTally {
        var tally = LoadTally()
        func reject(_ query: SQLQuery, _ entity: Entity, _ field: Field, _ reason: RejectReason) throws {
            for row in try connection.query(query).rows {
                let location = SourceLocation(file: path(try row.decode(Int.self, "file")), line: try row.decode(Int.self, "line"))
                let reject = Reject(location: location, entity: entity, field: field, value: try row.decode(String?.self, "value"),
                                    reason: reason, message: try row.decode(String.self, "message"))
                tally.count(reject)
                try rejects.write(reject)
            }
        }
        // The CRM users and job requests the staged rows may refer to, copied once into temporary tables:
        // the checks then anti-join temporary tables only, which Citus can plan (it refuses a correlated
        // subquery on a distributed table inside a statement on a local one).
        try connection.query("""
            CREATE TEMP TABLE \(Self.knownUsers) ON COMMIT DROP AS
            SELECT u.email FROM \(SQLName.crmUsers) u
            WHERE u.email IN (SELECT email FROM \(SQLName.deduplicated(.jobRequests)) UNION SELECT email FROM \(SQLName.deduplicated(.recordings))
                              UNION SELECT email FROM \(SQLName.deduplicated(.resumes)) UNION SELECT email FROM \(SQLName.deduplicated(.payments)))
            \(lockParents ? "FOR KEY SHARE" : "")
            """)
        try connection.query(Self.copyJobRequestsOfRecordings(into: Self.knownJobRequests, locking: lockParents))
        for entity in [Entity.jobRequests, .recordings, .resumes, .payments] {
            try reject(unknownUser(entity), entity, .email, .unknownUser)
        }
        try reject("""
            DELETE FROM \(SQLName.deduplicated(.recordings)) s
            WHERE s.job_request_external_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM \(SQLName.deduplicated(.jobRequests)) j WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
              AND NOT EXISTS (SELECT 1 FROM \(Self.knownJobRequests) j WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
            RETURNING s.file, s.line, s.job_request_external_id AS value, 'no job request with this external id for this user' AS message
            """, .recordings, .jobRequestExternalID, .unknownJobRequest)
        if credits == .charge {
            try reject("""
                DELETE FROM \(SQLName.deduplicated(.recordings)) s WHERE s.seq IN (SELECT pg_temp.crm_refused_charges())
                RETURNING s.file, s.line, s.credit_charged::text AS value, 'the user has no credit left for this recording at its time' AS message
                """, .recordings, .creditCharged, .insufficientCredits)
        }
        return tally
    }

    /// Children whose user is neither in this import nor in the database, or whose user record in this
    /// import was rejected.
    private func unknownUser(_ entity: Entity) -> SQLQuery {
        """
        DELETE FROM \(SQLName.deduplicated(entity)) s
        WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.deduplicated(.users)) u WHERE u.email = s.email)
          AND (EXISTS (SELECT 1 FROM \(SQLName.rejectedUsers) r WHERE r.email = s.email)
               OR NOT EXISTS (SELECT 1 FROM \(Self.knownUsers) u WHERE u.email = s.email))
        RETURNING s.file, s.line, s.email AS value,
            CASE WHEN EXISTS (SELECT 1 FROM \(SQLName.rejectedUsers) r WHERE r.email = s.email)
                 THEN 'the user''s own record in this import was rejected'
                 ELSE 'no user with this email in the database or in this import' END AS message
        """
    }
}
