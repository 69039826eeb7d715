import PostgresClient
import TestSupport
import Testing

/// Small helpers that put rows into a migrated test database through plain SQL, as the app would.
struct Fixture {
    let connection: PostgresConnection

    func crmUser(_ email: String, firstName: String = "Test") throws {
        try connection.query(#"INSERT INTO "digital_resume_by_CRM" (email, first_name) VALUES ($1, $2)"#, [email, firstName])
    }

    /// Adds a job request and returns its id.
    @discardableResult
    func jobRequest(_ email: String, externalID: String? = nil, userID: String? = nil) throws -> String {
        try connection.query(
            "INSERT INTO crm_job_requests (email, external_id, job_title, user_id) VALUES ($1, $2, 'Engineer', $3) RETURNING id",
            [email, externalID, userID]).scalar(String.self)
    }

    func recording(_ email: String, charged: Bool = true, jobRequestID: String? = nil) throws {
        try connection.query(
            "INSERT INTO crm_recordings (email, video_url, credit_charged, job_request_id) VALUES ($1, 'https://cdn.example.com/v.mp4', $2, $3)",
            [email, charged, jobRequestID])
    }

    func resume(_ email: String) throws {
        try connection.query("INSERT INTO crm_resumes (email, file_url) VALUES ($1, 'https://cdn.example.com/cv.pdf')", [email])
    }

    func payment(_ email: String, count: Int = 1) throws {
        try connection.query(
            "INSERT INTO crm_payments (email, amount_cents, paid_at) SELECT $1, 999, now() FROM generate_series(1, $2)",
            [email, count])
    }

    /// The stats row of `email` as `[applications, recordings, resumes]`, each count read by column name and
    /// written in decimal; empty when `email` has no stats row.
    func stats(_ email: String) throws -> [String?] {
        let row = try connection.query(
            "SELECT total_applications, total_recordings, total_resumes FROM crm_dashboard_stats WHERE email = $1",
            [email]).rows.first
        return try row.map { row in
            try ["total_applications", "total_recordings", "total_resumes"].map { try row.decode(Int?.self, $0).map(String.init) }
        } ?? []
    }

    func credits(_ email: String) throws -> Int? {
        try connection.query("SELECT credits FROM profiles WHERE email = $1", [email]).scalar(Int?.self)
    }

    /// The credit ledger rows of `email`, in the order PostgreSQL returns them.
    func ledger(_ email: String) throws -> [LedgerEntry] {
        try connection.query("SELECT delta, reason FROM crm_credit_ledger WHERE email = $1", [email]).all(as: LedgerEntry.self)
    }

    func count(_ table: String, email: String) throws -> Int {
        try connection.query("SELECT count(*) FROM \(ident: table) WHERE email = \(bind: email)").scalar(Int.self)
    }

    /// Every broken invariant of SPEC §2, one line each; empty when the data is consistent.
    func invariantViolations() throws -> [String] {
        try connection.invariantViolations()
    }
}

/// One row of `crm_credit_ledger`: how many credits, and why.
struct LedgerEntry: Equatable, CustomStringConvertible {
    let delta: Int
    let reason: String
    var description: String { "\(reason):\(delta)" }
}

extension LedgerEntry: RowDecodable {
    init(row: Row) throws {
        delta = try row.decode(Int.self, "delta")
        reason = try row.decode(String.self, "reason")
    }
}

/// Runs `body` and checks that PostgreSQL refused it with `sqlState`.
func expectSQLState<T>(
    _ sqlState: SQLState, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) {
    do {
        _ = try body()
        Issue.record("expected SQLSTATE \(sqlState), but the statement succeeded", sourceLocation: sourceLocation)
    } catch let error as PostgresError {
        #expect(error.sqlState == sqlState, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected SQLSTATE \(sqlState), got \(error)", sourceLocation: sourceLocation)
    }
}
