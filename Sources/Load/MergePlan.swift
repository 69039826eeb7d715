import CRMSchema
import PipelineCore
import PostgresClient

/// How the deduplicated staging reaches the CRM tables. A strategy merges one entity at a time, in
/// `Entity.allCases` order (users first: the children need them), and says what each row became.
protocol MergeStrategy: Sendable {
    /// Its name, for the log and the run record.
    var name: String { get }
    /// Whether the upkeep opens new users' accounts with their final values (``AccountOpening``).
    var opensAccounts: Bool { get }
    /// Runs before the reference checks, in the merge's transaction.
    func prepare(on connection: PostgresConnection) throws
    /// Merges the staged rows of `entity` and returns their counts (`inserted`, `updated`, `unchanged`).
    func merge(_ entity: Entity, on connection: PostgresConnection) throws -> EntityCounts
}

/// The set-based merge: for each entity an UPDATE of the rows that exist and differ (an empty value never
/// erases a stored one), then an INSERT of the new ones in key order, recording per-email counts in
/// `touched` (users: in `new_users`) for the upkeep. Where no staged key exists yet (a first import, a
/// backfill chunk of new users) the UPDATE and the anti-join are left out. No `now()` in an `ON CONFLICT …
/// DO UPDATE` (Citus), no statement-level trigger. The statements are data: ``statements(for:existing:)``
/// lists them, `description` prints the whole plan.
///
/// With ``ForeignKeys/checkedSetBased`` the per-row foreign key triggers stand aside during the merges
/// (`session_replication_role = replica`): ``prepare(on:)`` first locks the parents the staged rows refer
/// to (`FOR KEY SHARE`, the lock each FK check would take, held to commit), then the reference checks find
/// every missing parent set-based, so the guarantee is the foreign key's: a concurrent delete of a parent
/// waits for the import, or came first and its children are rejected.
struct MergePlan: MergeStrategy, CustomStringConvertible {
    /// Who checks that a child's user and job request exist.
    enum ForeignKeys: Sendable {
        /// PostgreSQL's RI triggers, row by row.
        case triggers
        /// The reference checks, set-based, with the parents locked; the RI triggers aside.
        case checkedSetBased
    }

    var foreignKeys = ForeignKeys.triggers
    var opensAccounts = true

    var name: String {
        switch foreignKeys {
        case .triggers: "set-based UPDATE then INSERT"
        case .checkedSetBased: "set-based, keys checked set-based with the FK triggers aside"
        }
    }

    /// The staged recordings' job request ids, read after the job requests were merged (a recording may
    /// name one of this import), so that the recordings merge joins a local table.
    static let recordingJobs = SQLName("recording_jobs")

    /// The statements that merge `entity`, in order: counted existing rows, preparations, update, insert.
    struct Statements {
        let countExisting: SQLQuery
        let prepare: [SQLQuery]
        let update: SQLQuery?
        let insert: SQLQuery
    }

    /// - Parameter existing: Whether some staged keys may exist in the table (counted first); when none
    ///   does, there is nothing to update and nothing to leave out of the insert.
    func statements(for entity: Entity, existing: Bool = true) -> Statements {
        let target = MergeTarget(entity)
        var prepare: [SQLQuery] = []
        if entity == .recordings {
            prepare.append(ReferenceChecks.copyJobRequestsOfRecordings(into: Self.recordingJobs))
            if existing { prepare.append(Self.chargedLater) }
        }
        return Statements(
            countExisting: "SELECT count(*) AS n FROM \(SQLName.deduplicated(entity)) s JOIN \(target.table) t ON \(target.keyMatch(email: "s.email"))",
            prepare: prepare, update: existing ? target.update : nil, insert: target.insert(antiJoin: existing))
    }

    func prepare(on connection: PostgresConnection) throws {
        guard foreignKeys == .checkedSetBased else { return }
        for lock in Self.parentLocks { try connection.query(lock) }
        try connection.setLocal("session_replication_role", to: "replica")
    }

    func merge(_ entity: Entity, on connection: PostgresConnection) throws -> EntityCounts {
        let existing = try connection.query(statements(for: entity).countExisting).scalar(Int.self)
        let statements = statements(for: entity, existing: existing > 0)
        for statement in statements.prepare { try connection.query(statement) }
        var counts = EntityCounts()
        if let update = statements.update { counts.updated = try connection.query(update).scalar(Int.self) }
        counts.inserted = try connection.query(statements.insert).scalar(Int.self)
        counts.unchanged = existing - counts.updated
        return counts
    }

    var description: String {
        let locks = foreignKeys == .checkedSetBased ? Self.parentLocks.map { "\($0);" } + ["SET LOCAL session_replication_role = replica;"] : []
        return (locks + Entity.allCases.map { entity in
            let statements = statements(for: entity)
            return (["-- \(entity)", "\(statements.countExisting);"] + statements.prepare.map { "\($0);" }
                + [statements.update.map { "\($0);" } ?? "", "\(statements.insert);"]).joined(separator: "\n")
        }).joined(separator: "\n\n")
    }

    /// The users and job requests that staged children name and that exist already, locked as the FK
    /// triggers would lock them, until commit. Users and job requests of this import need no lock: no other
    /// transaction sees them.
    static let parentLocks: [SQLQuery] = [
        """
        SELECT count(*) AS n FROM (SELECT 1 FROM \(SQLName.crmUsers) u
            WHERE u.email IN (SELECT email FROM \(SQLName.deduplicated(.jobRequests)) UNION SELECT email FROM \(SQLName.deduplicated(.recordings))
                              UNION SELECT email FROM \(SQLName.deduplicated(.resumes)) UNION SELECT email FROM \(SQLName.deduplicated(.payments)))
            FOR KEY SHARE) locked
        """,
        """
        SELECT count(*) AS n FROM (SELECT 1 FROM \(SQLName.jobRequests) j
            WHERE (j.email, j.external_id) IN (SELECT email, job_request_external_id FROM \(SQLName.deduplicated(.recordings))
                                               WHERE job_request_external_id IS NOT NULL)
            FOR KEY SHARE) locked
        """,
    ]

    /// Recordings that exist uncharged and become charged: a charge each, booked like new ones.
    static let chargedLater: SQLQuery = """
        INSERT INTO \(SQLName.touched) (email, charged)
        SELECT s.email, count(*) FROM \(SQLName.deduplicated(.recordings)) s
        JOIN \(SQLName.recordings) t ON t.email = s.email AND t.external_id = s.external_id
        WHERE s.credit_charged AND NOT t.credit_charged
        GROUP BY s.email
        """
}
