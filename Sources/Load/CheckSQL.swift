import PipelineCore
import PostgresClient

/// Referential and credit checks on the deduplicated staging tables. Each statement deletes the rows
/// it rejects and returns them: `file, line, value, message`.
enum CheckSQL {
    /// The CRM users and job requests in the database that the staged rows may refer to, copied once
    /// into temporary tables before the checks. The checks then anti-join temporary tables only, which
    /// PostgreSQL plans as well as a subquery on the CRM table, and which Citus can plan at all (it
    /// refuses a correlated subquery on a distributed table inside a statement on a local one).
    static let collectKnownRows = [
        """
        CREATE TEMP TABLE known_users ON COMMIT DROP AS
        SELECT u.email FROM "digital_resume_by_CRM" u
        WHERE u.email IN (SELECT email FROM "d_job_requests" UNION SELECT email FROM "d_recordings"
                          UNION SELECT email FROM "d_resumes" UNION SELECT email FROM "d_payments")
        """,
        copyJobRequestsOfRecordings(into: "known_job_requests"),
    ]

    /// A temporary copy of the job requests (email, external id, id) of the users whose staged
    /// recordings name one: for the check before the merges, and again after the job requests were
    /// merged, for the recordings' job ids.
    static func copyJobRequestsOfRecordings(into table: String) -> String {
        """
        CREATE TEMP TABLE \(quoteIdentifier(table)) ON COMMIT DROP AS
        SELECT j.email, j.external_id, j.id FROM crm_job_requests j
        WHERE j.email IN (SELECT email FROM "d_recordings" WHERE job_request_external_id IS NOT NULL)
        """
    }

    /// Children whose user is neither in this import nor in the database, or whose user record in this
    /// import was rejected.
    static func unknownUser(_ entity: Entity) -> String {
        let table = StagingSQL.deduplicated(entity)
        return """
            DELETE FROM \(table) s
            WHERE NOT EXISTS (SELECT 1 FROM "d_users" u WHERE u.email = s.email)
              AND (EXISTS (SELECT 1 FROM rejected_users r WHERE r.email = s.email)
                   OR NOT EXISTS (SELECT 1 FROM known_users u WHERE u.email = s.email))
            RETURNING s.file, s.line, s.email,
                CASE WHEN EXISTS (SELECT 1 FROM rejected_users r WHERE r.email = s.email)
                     THEN 'the user''s own record in this import was rejected'
                     ELSE 'no user with this email in the database or in this import' END
            """
    }

    /// Recordings whose job request is neither in this import nor in the database for the same user.
    static let unknownJobRequest = """
        DELETE FROM "d_recordings" s
        WHERE s.job_request_external_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "d_job_requests" j
                          WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
          AND NOT EXISTS (SELECT 1 FROM known_job_requests j
                          WHERE j.email = s.email AND j.external_id = s.job_request_external_id)
        RETURNING s.file, s.line, s.job_request_external_id, 'no job request with this external id for this user'
        """

    /// Walks each user's credit events in time order (UTC instants; payments first at equal instants,
    /// undated recordings last), from the balance in the database (4 for a new account) and rejects each
    /// charged recording that would take it below zero. Only new charges count: a recording already
    /// loaded and charged is not charged again.
    static let createCreditCheck = """
        CREATE OR REPLACE FUNCTION pg_temp.crm_refused_charges() RETURNS SETOF bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            event record;
            current_email text;
            balance bigint;
        BEGIN
            FOR event IN
                SELECT e.email, e.seq, e.delta, coalesce(p.credits, 4) AS opening
                FROM (SELECT s.email, s.seq, -1 AS delta, s.created_at AS at, 1 AS kind
                      FROM "d_recordings" s
                      LEFT JOIN crm_recordings t ON t.email = s.email AND t.external_id = s.external_id
                      WHERE s.credit_charged AND (t.email IS NULL OR NOT t.credit_charged)
                      UNION ALL
                      SELECT s.email, s.seq, 3, s.paid_at, 0
                      FROM "d_payments" s
                      LEFT JOIN crm_payments t ON t.email = s.email AND t.external_id = s.external_id
                      WHERE t.email IS NULL) e
                LEFT JOIN profiles p ON p.email = e.email
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

    static let insufficientCredits = """
        DELETE FROM "d_recordings" s WHERE s.seq IN (SELECT pg_temp.crm_refused_charges())
        RETURNING s.file, s.line, s.credit_charged::text, 'the user has no credit left for this recording at its time'
        """
}
