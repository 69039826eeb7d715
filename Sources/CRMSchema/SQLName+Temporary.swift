import PostgresClient

/// The temporary tables (ON COMMIT DROP, found through the search path) and the one temporary function of an
/// import's steps, and verify's, each named once; the step that makes one says what it holds.
extension SQLName {
    // Staging (RowStager) and the reference checks (ReferenceChecks).
    public static let rejectedUsersRaw = SQLName("rejected_users_raw")
    /// The existing CRM users the staged children name, with the account they had then (`email`, `user_id`).
    public static let knownUsers = SQLName("known_users")
    /// The distinct emails the staged children name (`email`), analyzed: the lookup of ``knownUsers`` then knows
    /// how few they are.
    public static let namedUsers = SQLName("named_users")
    /// The emails of ``namedUsers`` that no staged user row has (`email`), analyzed: only their children can be
    /// rejected for their user, and the checks then read no child of a user staged beside it.
    public static let namedUsersNotStaged = SQLName("named_users_not_staged")
    /// A backfill's staged users as a chunk's deduplication leaves them (each field's latest value), tombstones left
    /// out: what names stored users in a snapshot, as a nightly's ``identityKnown`` (`email`, `crm_user_id`, `merged_into`).
    public static let backfillLatestUsers = SQLName("backfill_latest_users")
    /// The existing job requests the staged recordings may name (`email`, `external_id`, `id`).
    public static let knownJobRequests = SQLName("known_job_requests")

    // Removals and erasures (UserRemoval, Erasures).
    /// The users to remove (`email`), where the export says so (`file`, `line`), why (`why`), and whether
    /// to erase them (`erase`, with the request's `requested_at` and `reference`).
    public static let removedUsers = SQLName("removed_users")
    /// What went, per user and table (`email`, `table_name`, `n`).
    public static let removedRows = SQLName("removed_rows")
    /// The users of the snapshot's source that it does not name.
    public static let absentUsers = SQLName("absent_users")
    /// Per email of this import that an erasure names (this import's or the log's): the latest request.
    public static let erasureBoundaries = SQLName("erasure_boundaries")

    // Renames and merges (IdentityChanges).
    /// Who moves where: `from_email` (stored, or only in this import) into `to_email`, `kind` renamed or merged.
    public static let identityMoves = SQLName("identity_moves")
    public static let identityKnown = SQLName("identity_known")
    public static let identityAccounts = SQLName("identity_accounts")
    public static let identityCandidates = SQLName("identity_candidates")
    public static let identityTargets = SQLName("identity_targets")
    public static let identityRows = SQLName("identity_rows")
    public static let identityTargetRows = SQLName("identity_target_rows")
    public static let identityTaken = SQLName("identity_taken")
    public static let identityProfileChanges = SQLName("identity_profile_changes")

    // The credit walk (CreditWalk) and its function, made in pg_temp for the session.
    /// Each user with new charges whom a walk may need (`email`, `opening` balance before the import, `charges`,
    /// `existing`: the user has a committed account the app can spend from).
    public static let creditUsers = SQLName("credit_users")
    /// Their new charges (`kind` 1, `delta` −1 per recording; `stored`: the recording exists uncharged) and new
    /// payments (`kind` 0), by staged `seq`.
    public static let creditEvents = SQLName("credit_events")
    /// The users a walk walks, from which balance (`email`, `opening`).
    public static let creditOpenings = SQLName("credit_openings")
    /// The charges the last walk refused (`email`, `external_id`, `stored`: the recording existed uncharged
    /// before the import), for what must be undone after them.
    public static let refusedCharges = SQLName("refused_charges")
    /// The walk itself: the `seq` of each charge in ``creditEvents`` that takes its user below zero, for the users
    /// in ``creditOpenings``. Payments only add, so skipping a refused charge never makes a later one refused.
    public static let refusedChargesFunction = SQLName(schema: "pg_temp", "crm_refused_charges")

    // The merges (MergePlan) and the final writes (FinalWrites, AccountOpening, AccountMoves).
    /// The staged recordings' job request ids, read after the job requests were merged (a recording may
    /// name one of this import), so that the recordings merge joins a local table.
    public static let recordingJobs = SQLName("recording_jobs")
    /// The existing users whose stored rows the staging changes (their CRM row or any child's).
    public static let changedUsers = SQLName("changed_users")
    /// The balances of the users walked again, locked (`email`, `credits`).
    public static let lockedBalances = SQLName("locked_balances")
    /// What the merges inserted per user (from `touched`), keyed by email.
    public static let openingTotals = SQLName("opening_totals")
    /// The new users' accounts to open.
    public static let openingAccounts = SQLName("opening_accounts")
    /// Per user: what the merges inserted (`applications`, `recordings`, `resumes`, `payments`, `charged`),
    /// the new charges the walk let through (`needed`: the balance that covers them whatever their order), and
    /// whether the import created the user (`new`).
    public static let userMoves = SQLName("user_moves")
    /// The users whose stats rows were moved.
    public static let movedStats = SQLName("moved_stats")

    // verify --fix (Verifier).
    /// The users a repair may touch: those found drifted, then locked.
    public static let verifyDrifted = SQLName("verify_drifted")
}
