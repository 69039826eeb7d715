import PostgresClient

/// The temporary tables (ON COMMIT DROP, found through the search path) and the one temporary function of an
/// import's steps, and verify's, each named once; the step that makes one says what it holds.
extension SQLName {
    // Staging (RowStager) and the reference checks (ReferenceChecks).
    public static let rejectedUsersRaw = SQLName("rejected_users_raw")
    public static let knownUsers = SQLName("known_users")
    public static let knownJobRequests = SQLName("known_job_requests")

    // Removals and erasures (UserRemoval, Erasures).
    public static let removedUsers = SQLName("removed_users")
    public static let removedRows = SQLName("removed_rows")
    public static let absentUsers = SQLName("absent_users")
    public static let erasureBoundaries = SQLName("erasure_boundaries")

    // Renames and merges (IdentityChanges).
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
    public static let creditUsers = SQLName("credit_users")
    public static let creditEvents = SQLName("credit_events")
    public static let creditOpenings = SQLName("credit_openings")
    public static let refusedCharges = SQLName("refused_charges")
    public static let refusedChargesFunction = SQLName(schema: "pg_temp", "crm_refused_charges")

    // The merges (MergePlan) and the final writes (FinalWrites, AccountOpening, AccountMoves).
    public static let recordingJobs = SQLName("recording_jobs")
    public static let changedUsers = SQLName("changed_users")
    public static let lockedBalances = SQLName("locked_balances")
    public static let openingTotals = SQLName("opening_totals")
    public static let openingAccounts = SQLName("opening_accounts")
    public static let userMoves = SQLName("user_moves")
    public static let movedStats = SQLName("moved_stats")

    // verify --fix (Verifier).
    public static let verifyDrifted = SQLName("verify_drifted")
}
