import Foundation
import PostgresClient
import Synchronization

/// One of the app's signed-in users: the CRM email and the `auth.users` account it signs in with.
public struct AppUser: Sendable, Hashable {
    public let email: String
    public let userID: String

    public init(email: String, userID: String) {
        self.email = email
        self.userID = userID
    }
}

/// The live app beside the pipeline: sessions that act as the app's users the way PostgREST runs their
/// requests (`authenticator` becoming `authenticated` with the user's JWT claims and Supabase's 8 s
/// `statement_timeout`, one transaction per request). Each round of a session, for a user picked at random:
/// insert a job request, insert a charged recording on it, read the dashboard (`crm_dashboard_stats`).
/// Every request's outcome and latency is recorded; ``stop()`` ends the sessions and returns them.
public final class AppTraffic: Sendable {
    /// How many sessions, how fast, as whom.
    public struct Configuration: Sendable {
        /// The connection string the sessions log in with (PostgREST's `authenticator`).
        public var url: String
        public var users: [AppUser]
        public var sessions: Int
        /// Rounds per second per session; `nil` for no pause between rounds.
        public var roundsPerSecond: Double?
        /// What Supabase gives `authenticated` (PostgREST applies it to every request).
        public var statementTimeout = "8s"

        public init(url: String, users: [AppUser], sessions: Int, roundsPerSecond: Double? = nil) {
            self.url = url
            self.users = users
            self.sessions = sessions
            self.roundsPerSecond = roundsPerSecond
        }
    }

    /// PostgREST's login role as Supabase makes it: it holds nothing itself and becomes one of the API roles.
    public static let loginRoleSQL = """
        DO $roles$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
                CREATE ROLE authenticator LOGIN NOINHERIT;
            END IF;
            GRANT anon, authenticated, service_role TO authenticator;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- made concurrently by another test process
        END
        $roles$;
        """

    private let configuration: Configuration
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private let requests = Mutex<[AppRequest]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let setUpFailures = Mutex<[String]>([])

    /// Starts the sessions; each opens its own connection.
    public init(_ configuration: Configuration) {
        precondition(!configuration.users.isEmpty, "app traffic needs users")
        self.configuration = configuration
        started = clock.now
        for _ in 0..<configuration.sessions {
            finished.enter()
            Thread.detachNewThread { [self] in
                defer { finished.leave() }
                do {
                    try runSession()
                } catch {
                    setUpFailures.withLock { $0.append("\(error)") }
                }
            }
        }
    }

    /// Seconds since the traffic started: the time axis of every ``AppRequest``.
    public var elapsed: Double { seconds(clock.now - started) }

    /// Ends the sessions after their current request and returns every request they made.
    ///
    /// - Throws: When a session could not connect or failed outside a request (a harness problem).
    public func stop() throws -> AppTrafficLog {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        if let failure = setUpFailures.withLock({ $0.first }) { throw TestSupportError("an app session failed: \(failure)") }
        return AppTrafficLog(requests: requests.withLock { $0 }.sorted { $0.start < $1.start })
    }

    private func runSession() throws {
        let connection = try PostgresConnection(url: configuration.url, applicationName: "app (PostgREST)")
        let pause = configuration.roundsPerSecond.map { 1 / $0 }
        while !stopping.load(ordering: .relaxed) {
            let roundStart = clock.now
            let user = configuration.users.randomElement()!
            let jobRequest = request(.applyForJob, as: user, on: connection) { connection in
                try connection.query("""
                    INSERT INTO crm_job_requests (email, job_title, company_name, status)
                    VALUES (\(bind: user.email), 'Registered Nurse', 'Harbour Clinic', 'applied') RETURNING id
                    """).scalar(String.self)
            }
            if let jobRequest {
                request(.record, as: user, on: connection) { connection in
                    try connection.query("""
                        INSERT INTO crm_recordings (email, job_request_id, video_url, duration_seconds, credit_charged)
                        VALUES (\(bind: user.email), \(bind: jobRequest)::uuid, 'https://cdn.example.com/app.mp4', 60, true)
                        """)
                }
            }
            request(.readDashboard, as: user, on: connection) { connection in
                try connection.query("SELECT total_applications, total_recordings, total_resumes, credits FROM crm_dashboard_stats")
            }
            if let pause {
                let left = pause - seconds(clock.now - roundStart)
                if left > 0 { Thread.sleep(forTimeInterval: left) }
            }
        }
    }

    /// One request as PostgREST runs it: its own transaction, the role and claims set for it, then the statement.
    @discardableResult
    private func request<T>(
        _ kind: AppRequest.Kind, as user: AppUser, on connection: PostgresConnection, _ statement: (PostgresConnection) throws -> T
    ) -> T? {
        let start = clock.now
        var outcome = AppRequest.Outcome.succeeded
        var value: T?
        do {
            try connection.query(kind == .readDashboard ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED")
            let claims = #"{"sub":"\#(user.userID)","role":"authenticated","email":"\#(user.email)"}"#
            try connection.query("""
                SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', \(bind: claims), true),
                       set_config('statement_timeout', \(bind: configuration.statementTimeout), true)
                """)
            value = try statement(connection)
            try connection.query("COMMIT")
        } catch let error as PostgresError {
            _ = try? connection.query("ROLLBACK")
            outcome = AppRequest.Outcome(error)
        } catch {
            _ = try? connection.query("ROLLBACK")
            outcome = .failed(sqlState: "client: \(error)")
        }
        let request = AppRequest(kind: kind, start: seconds(start - started), seconds: seconds(clock.now - start), outcome: outcome)
        requests.withLock { $0.append(request) }
        return outcome == .succeeded ? value : nil
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// One request of the app and how it went.
public struct AppRequest: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case applyForJob = "insert a job request"
        case record = "insert a charged recording"
        case readDashboard = "read the dashboard"
    }

    public enum Outcome: Sendable, Equatable {
        case succeeded
        /// The user had no credit left: the app's own rule (SQLSTATE 23514 from the credit trigger), not a failure.
        case noCredit
        /// Anything else, by SQLSTATE (`40P01` deadlock, `55P03` lock timeout, `57014` statement timeout, …).
        case failed(sqlState: String)

        init(_ error: PostgresError) {
            if error.sqlState == .checkViolation && error.message.hasPrefix("insufficient credits") {
                self = .noCredit
            } else {
                self = .failed(sqlState: error.sqlState?.rawValue ?? "\(error.code)")
            }
        }
    }

    public let kind: Kind
    /// When it started, in seconds since the traffic started.
    public let start: Double
    /// How long it took, from BEGIN to COMMIT.
    public let seconds: Double
    public let outcome: Outcome
}
