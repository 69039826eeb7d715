import PipelineCore
import PostgresClient

/// The project's tables and functions, each named once. Every statement of Load, Report, Migrate and the
/// CLI refers to them through these names.
extension SQLName {
    /// The private schema: internal tables and functions, out of every API role's reach (migration 0015).
    public static let privateSchema = "crm_private"

    // The app's tables, in public (the ones PostgREST exposes).
    public static let crmUsers = SQLName(schema: "public", "digital_resume_by_CRM")
    public static let jobRequests = SQLName(schema: "public", "crm_job_requests")
    public static let recordings = SQLName(schema: "public", "crm_recordings")
    public static let resumes = SQLName(schema: "public", "crm_resumes")
    public static let payments = SQLName(schema: "public", "crm_payments")
    public static let creditLedger = SQLName(schema: "public", "crm_credit_ledger")
    public static let dashboardStats = SQLName(schema: "public", "crm_dashboard_stats")
    public static let profiles = SQLName(schema: "public", "profiles")
    public static let authUsers = SQLName(schema: "auth", "users")

    /// The CRM table an entity is loaded into.
    public static func table(of entity: Entity) -> SQLName {
        switch entity {
        case .users: crmUsers
        case .jobRequests: jobRequests
        case .recordings: recordings
        case .resumes: resumes
        case .payments: payments
        case .erasures: erasures
        }
    }

    // Internal tables (crm_private).
    public static let schemaMigrations = SQLName(schema: privateSchema, "crm_schema_migrations")
    /// Where releases before migration 0015 kept ``schemaMigrations``; `migrate` moves it.
    public static let legacySchemaMigrations = SQLName(schema: "public", "crm_schema_migrations")
    public static let importRuns = SQLName(schema: privateSchema, "crm_import_runs")
    public static let importFiles = SQLName(schema: privateSchema, "crm_import_files")
    public static let tableSnapshots = SQLName(schema: privateSchema, "crm_table_snapshots")
    public static let backfillState = SQLName(schema: privateSchema, "crm_backfill_state")
    public static let backfillRejectedUsers = SQLName(schema: privateSchema, "crm_backfill_rejected_users")
    /// The stored users a snapshot backfill's staged users rows name by CRM id or `merged_into`, found once for every chunk.
    public static let backfillNamedUsers = SQLName(schema: privateSchema, "crm_backfill_named_users")
    /// The users a backfill's renames and merges join, loaded in a chunk of their own (both emails of each).
    public static let backfillIdentityUsers = SQLName(schema: privateSchema, "crm_backfill_identity_users")
    /// The erasure log: who was erased (a keyed hash of the email, never the email), when, and what went (migration 0020).
    public static let erasures = SQLName(schema: privateSchema, "crm_erasures")
    /// The keyed hash of an email (`crm_email_hash(text)`), the erasure log's key.
    public static let emailHash = SQLName(schema: privateSchema, "crm_email_hash")
    /// Which source (CRM) has each user (`email`, `source`): a snapshot removes only its own users (migration 0020).
    public static let userSources = SQLName(schema: privateSchema, "crm_user_sources")

    /// The monthly rollup the reports read (migration 0024), each with `month`, the first day of a UTC month, and the
    /// counts `applications`, `recordings`, `resumes`, `sign_ups`, `payments` and `charged` (charged recordings).
    /// What each write changed (`email`, `month`, counts), appended by the tables' statement triggers.
    public static let activityDeltas = SQLName(schema: privateSchema, "crm_activity_deltas")
    /// The deltas folded per user (`month`, `email`, counts).
    public static let activityMonths = SQLName(schema: privateSchema, "crm_activity_months")
    /// The deltas folded for all users (`month`, counts).
    public static let activityTotals = SQLName(schema: privateSchema, "crm_activity_totals")
    /// One row, `in_use`: whether triggers keep the rollup (not on Citus), so that reports may read it.
    public static let activityRollupState = SQLName(schema: privateSchema, "crm_activity_rollup_state")

    /// A backfill's staging of one entity: UNLOGGED, it outlives the chunks' transactions.
    public static func backfillStaging(_ entity: Entity) -> SQLName {
        SQLName(schema: privateSchema, "crm_backfill_s_" + entity.name)
    }

    // Functions (crm_private): the set-based upkeep and its helpers.
    public static let isBulkLoader = SQLName(schema: privateSchema, "crm_is_bulk_loader")
    public static let isDistributed = SQLName(schema: privateSchema, "crm_is_distributed")
    public static let profilesCatchUp = SQLName(schema: privateSchema, "crm_profiles_catch_up")
    public static let usersCreated = SQLName(schema: privateSchema, "crm_users_created")
    public static let adjustStats = SQLName(schema: privateSchema, "crm_adjust_stats")
    public static let bookCredits = SQLName(schema: privateSchema, "crm_book_credits")
    public static let linkAccounts = SQLName(schema: privateSchema, "crm_link_accounts")
    public static let balancesFollowProfiles = SQLName(schema: privateSchema, "crm_balances_follow_profiles")
    public static let moveBalances = SQLName(schema: privateSchema, "crm_move_balances")
    public static let lockBalances = SQLName(schema: privateSchema, "crm_lock_balances")
    public static let refuseCreditMovement = SQLName(schema: privateSchema, "crm_refuse_credit_movement")
    public static let tableSizes = SQLName(schema: privateSchema, "crm_table_sizes")
    /// `crm_activity_fold()`: the rollup's deltas folded into its per-user and all-user rows; returns how many.
    public static let activityFold = SQLName(schema: privateSchema, "crm_activity_fold")
    /// `crm_activity_fill()`: the rollup set to the tables' counts and put in use; in a REPEATABLE READ transaction
    /// begun while holding ``AdvisoryLockKey/activityRollup``.
    public static let activityFill = SQLName(schema: privateSchema, "crm_activity_fill")
    /// `crm_rollup_lock_key()`: ``AdvisoryLockKey/activityRollup``.
    public static let rollupLockKey = SQLName(schema: privateSchema, "crm_rollup_lock_key")
    /// `crm_activity_drift()`: where the rollup differs from the tables (`month`, `email` or NULL for all users,
    /// `expected`, `found`).
    public static let activityDrift = SQLName(schema: privateSchema, "crm_activity_drift")
    /// `crm_activity_active_users(month)`: the users active in a month (applications, recordings or resumes), folded
    /// and not (migration 0025).
    public static let activityActiveUsers = SQLName(schema: privateSchema, "crm_activity_active_users")
    /// `crm_activity_add(counted regclass)`: a table of counts per month and user added to the folded rows, under the
    /// folding's lock to the commit (migration 0025; the fold and a nightly call it).
    public static let activityAdd = SQLName(schema: privateSchema, "crm_activity_add")

    // The domain's rules (migration 0021), called through ``CreditSQL`` and ``AdvisoryLockKey``.
    public static let openingCredits = SQLName(schema: privateSchema, "crm_opening_credits")
    public static let creditsPerPayment = SQLName(schema: privateSchema, "crm_credits_per_payment")
    public static let creditsPerRecording = SQLName(schema: privateSchema, "crm_credits_per_recording")
    public static let importLockKey = SQLName(schema: privateSchema, "crm_import_lock_key")

    // An import's temporary tables (ON COMMIT DROP, found through the search path).
    /// The validated rows of one entity as read.
    public static func staged(_ entity: Entity) -> SQLName { SQLName("s_" + entity.name) }
    /// The same rows after deduplication.
    public static func deduplicated(_ entity: Entity) -> SQLName { SQLName("d_" + entity.name) }
    /// Emails whose user record was rejected.
    public static let rejectedUsers = SQLName("rejected_users")
    /// Per-email counts of what the merges changed.
    public static let touched = SQLName("touched")
    /// Emails of the users the import created.
    public static let newUsers = SQLName("new_users")
    /// Emails of the new users whose accounts were opened with their final values (``newUsers`` minus those
    /// the app had already given a profile).
    public static let openedUsers = SQLName("opened_users")
    /// The rows the merges inserted with the rollup's insert triggers aside, counted per month and user as the
    /// rollup counts them (``ReportRollup/switchSetting``).
    public static let activityCounted = SQLName(schema: "pg_temp", "crm_activity_counted")
}

/// The states of an import run (`crm_import_runs.status`).
public enum RunStatus: String, Sendable, CaseIterable {
    case running
    case succeeded
    case failed
    case dryRun = "dry_run"
}

/// The upkeep's stand-aside switch (`SET LOCAL`), honoured for callers that bypass Row Level Security.
public enum UpkeepSwitch {
    public static let setting = "crm.bulk_load"
}

/// The report rollup's statement triggers (migration 0024) on the tables it counts.
public enum ReportRollup {
    /// What the rollup counts, in its columns' order: each entity's rows count in `column`, in the UTC month of
    /// their `time` column (the charged recordings also count in `charged`).
    public static let counts: [(entity: Entity, column: String, time: String)] = [
        (.jobRequests, "applications", "created_at"), (.recordings, "recordings", "created_at"), (.resumes, "resumes", "created_at"),
        (.users, "sign_ups", "created_at"), (.payments, "payments", "paid_at"),
    ]
    /// The tables whose rows the rollup counts.
    public static var countedTables: [SQLName] { counts.map { .table(of: $0.entity) } }
    /// The rollup's trigger on `table` for `event` (`inserts`, `deletes` or `updates`).
    public static func trigger(on table: SQLName, _ event: String) -> String { "\(table.name)_rollup_\(event)" }
    /// The insert triggers' stand-aside switch (migration 0026), honoured as ``UpkeepSwitch`` is: on while an
    /// import inserts rows it counts into the rollup itself.
    public static let switchSetting = "crm.rollup_counted"
}

/// The advisory locks of the project (`pg_advisory_lock(key)`), each key written once.
public enum AdvisoryLockKey {
    /// Held by an import for its whole run; `crm_profiles_catch_up()` stands aside while it is
    /// (`crm_private.crm_import_lock_key()` returns the same key: a test holds them equal).
    public static let importer: Int64 = 0x4352_4D5F_494D_5054  // "CRM_IMPT"
    /// Held by a backfill chunk on Citus from its first write to its commit: Citus takes the shard locks of a
    /// multi-shard statement in an order of its own per statement, and two chunks writing at once (a rename's
    /// delete of CRM users beside an insert of job requests) deadlocked.
    public static let citusChunkWrites: Int64 = 0x4352_4D5F_4348_4E4B  // "CRM_CHNK"
    /// Held by `crm_activity_fold()` while it folds the report rollup's deltas, and by `verify --fix` while it
    /// rebuilds the rollup (`crm_private.crm_rollup_lock_key()` returns the same key).
    public static let activityRollup: Int64 = 0x4352_4D5F_524F_4C4C  // "CRM_ROLL"
    /// Held by `migrate` while it applies migrations.
    public static let migrator: Int64 = 0x4352_4D5F_4D49_4752  // "CRM_MIGR"
}
