import CRMSchema
import PipelineCore
import PostgresClient

/// The SQL fragments several steps of an import share, each written once.
enum LoadSQL {
    /// The distinct emails this import staged for `entities` (after deduplication).
    static func stagedEmails(_ entities: [Entity]) -> SQLQuery {
        .joined(entities.map { "SELECT email FROM \(SQLName.deduplicated($0))" }, separator: " UNION ")
    }

    /// Per user, what the merges changed (``SQLName/touched`` summed): `email`, `applications`, `recordings`,
    /// `resumes`, `payments` and `charged`, integers.
    static let touchedPerUser: SQLQuery = """
        SELECT email, sum(applications)::integer AS applications, sum(recordings)::integer AS recordings,
               sum(resumes)::integer AS resumes, sum(payments)::integer AS payments, sum(charged)::integer AS charged
        FROM \(SQLName.touched) GROUP BY email
        """

    /// A temporary copy of the job requests (email, external id, id) the staged recordings may name: for the
    /// check before the merges (`known_job_requests`), and again after the job requests were merged, for the
    /// recordings' job ids (`recording_jobs`).
    ///
    /// - Parameters:
    ///   - locking: Copy exactly the job requests named, locked as the FK trigger would lock them
    ///     (for merges without FK triggers); else every job request of the users whose recordings name one
    ///     (the form Citus plans).
    ///   - narrowed: Among the known users' job requests only (``ofKnownUsers(_:narrowed:)``): before the
    ///     merges, a new user has none stored.
    ///   - scope: A backfill's chunk, whose staged rows are all in it: the job requests are read from the index for
    ///     its range only, not from the whole table that grows with every chunk.
    static func copyJobRequestsOfRecordings(into table: SQLName, locking: Bool = false, narrowed: Bool = false,
                                            scope: BackfillChunk) -> SQLQuery {
        let naming: SQLQuery = "FROM \(SQLName.deduplicated(.recordings)) WHERE job_request_external_id IS NOT NULL"
        let named: SQLQuery = locking
            ? "(j.email, j.external_id) IN (SELECT email, job_request_external_id \(naming))"
            : "j.email IN (SELECT email \(naming))"
        return """
            CREATE TEMP TABLE \(table) ON COMMIT DROP AS
            SELECT j.email, j.external_id, j.id FROM \(SQLName.jobRequests) j
            WHERE \(named) AND \(ofKnownUsers("j.email", narrowed: narrowed)) AND \(scope.contains("j.email"))
            \(locking ? "FOR KEY SHARE" : "")
            """
    }

    /// `column` (an email of a stored child row) among the existing users this import's children name
    /// (``SQLName/knownUsers``, which the reference checks fill): a stored row of any other staged email cannot
    /// exist (its user is new), so a statement that looks for stored twins reads the tables for the existing
    /// users only, however large they are. "true" where `narrowed` is false (Citus plans no such join).
    static func ofKnownUsers(_ column: SQLQuery, narrowed: Bool) -> SQLQuery {
        narrowed ? "\(column) IN (SELECT email FROM \(SQLName.knownUsers))" : "true"
    }
}
