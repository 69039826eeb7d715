import CRMSchema
import PipelineCore
import PostgresClient

/// The staging of one load: the layout of a staged row, and the temporary tables of a nightly load (or of one
/// backfill chunk): the validated rows as read (`s_…`, one per entity) and the work tables of every step.
/// (``BackfillStaging`` keeps a backfill's rows between chunks; ``Deduplication`` makes the `d_…` tables.)
/// Every identifier comes from `Entity`/`Field` or ``SQLName``, never from input.
struct StagingArea {
    let connection: PostgresConnection

    /// The PostgreSQL type of a staged column, which also says how ``CopyBinaryWriter`` writes its values.
    enum FieldType {
        case text, timestamptz, integer, bigint, boolean

        var sql: SQLQuery {
            switch self {
            case .text: "text"
            case .timestamptz: "timestamptz"
            case .integer: "integer"
            case .bigint: "bigint"
            case .boolean: "boolean"
            }
        }
    }

    /// The type of a field in staging (the same as in the target table).
    static func type(of field: Field) -> FieldType {
        switch field {
        case .createdAt, .updatedAt, .paidAt, .requestedAt: .timestamptz
        case .durationSeconds: .integer
        case .amountCents: .bigint
        case .creditCharged, .deleted: .boolean
        default: .text
        }
    }

    /// The columns of a staged row: its input position, the loaded fields, then the ids the client chose for it
    /// (``chosenIDs(_:)``).
    static func columns(_ entity: Entity) -> [String] {
        ["seq", "file", "line"] + entity.loadedFields.map(\.name) + chosenIDs(entity)
    }

    /// The ids `entity`'s staged rows carry, random UUIDs made by the client (``RandomUUIDs``) for the rows the import
    /// inserts, where the table's own default is a random UUID too: a child row's own `id`; a user's profile (time-ordered)
    /// and the three movements that open its ledger (``AccountOpening``).
    static func chosenIDs(_ entity: Entity) -> [String] {
        switch entity {
        case .users: ["profile_id", "ledger_initial_id", "ledger_payment_id", "ledger_recording_id"]
        case .jobRequests, .recordings, .resumes, .payments: ["id"]
        case .erasures: []
        }
    }

    /// Whether the id column `column` of ``chosenIDs(_:)`` takes a time-ordered key (``RandomUUIDs/nextTimeOrdered(at:)``)
    /// rather than a random one: the profile's, so that one run's profiles go to the right edge of `profiles_pkey`.
    static func isTimeOrdered(_ column: String) -> Bool {
        column == "profile_id"
    }

    /// Whether `entity`'s staged rows carry their own row's `id` (the child tables), the one its insert may take.
    static func carriesOwnID(_ entity: Entity) -> Bool {
        chosenIDs(entity) == ["id"]
    }

    /// The key that makes two rows the same record: email for users and erasures, (email, external_id) for the rest.
    static func key(_ entity: Entity) -> [Field] {
        entity.keyFields
    }

    static func definition(_ entity: Entity) -> SQLQuery {
        let fields = entity.loadedFields.map { field -> SQLQuery in "\(ident: field.name) \(type(of: field).sql)" }
        // (The default serves rows staged by hand, as tests do; the COPY always sends the client's.)
        let ids = chosenIDs(entity).map { column -> SQLQuery in "\(ident: column) uuid NOT NULL DEFAULT gen_random_uuid()" }
        return "seq bigint NOT NULL, file integer NOT NULL, line integer NOT NULL, \(SQLQuery.joined(fields + ids, separator: ", "))"
    }

    /// The `COPY … FROM STDIN` of one entity's rows into `table`, in binary (``CopyBinaryWriter``).
    static func copy(into table: SQLName, _ entity: Entity) -> SQLQuery {
        "COPY \(table) (\(SQLQuery.joined(columns(entity).map { "\(ident: $0)" }, separator: ", "))) FROM STDIN (FORMAT binary)"
    }

    /// A nightly load's staging and work tables, dropped at the end of its transaction.
    func createTemporary() throws {
        for entity in Entity.allCases {
            try connection.query("CREATE TEMP TABLE \(SQLName.staged(entity)) (\(Self.definition(entity))) ON COMMIT DROP")
        }
        try createWorkTables()
    }

    /// The per-transaction tables every load needs besides the staging itself, and the credit walk.
    /// (The function first: Citus refuses DDL after a parallel read of a distributed table.)
    func createWorkTables() throws {
        for statement in CreditWalk.createTables { try connection.query(statement) }
        try connection.query("CREATE TEMP TABLE \(SQLName.rejectedUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.touched) (email text NOT NULL, applications integer NOT NULL DEFAULT 0,
                recordings integer NOT NULL DEFAULT 0, resumes integer NOT NULL DEFAULT 0,
                charged integer NOT NULL DEFAULT 0, payments integer NOT NULL DEFAULT 0) ON COMMIT DROP
            """)
        try connection.query("CREATE TEMP TABLE \(SQLName.newUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("CREATE TEMP TABLE \(SQLName.openedUsers) (email text PRIMARY KEY) ON COMMIT DROP")
        try connection.query("CREATE TEMP TABLE \(SQLName.knownUsers) (email text PRIMARY KEY, user_id uuid) ON COMMIT DROP")
        for statement in UserRemoval.createTables { try connection.query(statement) }
        try connection.query(IdentityChanges.createTable)
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.changedUsers) (email text PRIMARY KEY, relinked boolean NOT NULL) ON COMMIT DROP
            """)
    }
}
