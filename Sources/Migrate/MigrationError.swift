import Foundation
import PipelineCore
import PostgresClient

/// Why migrations could not be listed or applied.
public enum MigrationError: UserFacingError {
    /// The migration files were not found next to the executable.
    case resourcesMissing
    /// A shipped file is not named `NNNN_words.sql`.
    case badFileName(String)
    /// Two shipped files have the same version number.
    case duplicateVersion(String, String)
    /// An applied migration's file changed after it was applied.
    case edited(name: String, recorded: String, shipped: String)
    /// The database has a migration this build does not know (it was migrated by a newer build).
    case unknownApplied(name: String)
    /// A migration's SQL failed; nothing of it was applied.
    case failed(name: String, error: PostgresError)
    /// `--citus` on a database without the citus extension.
    case citusMissing
    /// Distributing the tables over Citus failed.
    case distributionFailed(PostgresError)
    /// A migration file could not be written to the folder given with `--print --supabase`.
    case cannotWrite(path: String, reason: String)
    /// Every attempt of a migration timed out waiting for a lock another session held; it was not applied.
    case locked(name: String, policy: LockWaitPolicy, holders: [LockHolder])

    public var exitStatus: ExitStatus {
        switch self {
        case .failed(_, let error), .distributionFailed(let error): error.isConnectionProblem ? .unavailable : .software
        case .citusMissing: .unavailable
        case .cannotWrite: .cannotCreate
        case .locked: .temporaryFailure
        default: .software
        }
    }

    public var description: String {
        switch self {
        case .resourcesMissing:
            "the migration files are missing: install the crm-pipeline_Migrate.resources folder next to the binary"
        case .badFileName(let name):
            "migration file \(name) is not named NNNN_description.sql"
        case .duplicateVersion(let first, let second):
            "migration files \(first) and \(second) have the same version number"
        case .edited(let name, let recorded, let shipped):
            "migration \(name) was changed after it was applied (applied sha256 \(recorded.prefix(12))…,"
                + " file sha256 \(shipped.prefix(12))…): never edit an applied migration, add a new one"
        case .unknownApplied(let name):
            "the database has migration \(name) applied, which this build of crm-pipeline does not ship:"
                + " use the newer build that applied it"
        case .failed(let name, let error):
            "migration \(name) failed, nothing of it was applied: \(error)"
        case .citusMissing:
            "--citus needs the citus extension in this database: add citus to shared_preload_libraries on every node,"
                + " run CREATE EXTENSION citus and add the workers (citus_add_node), or migrate without --citus"
        case .distributionFailed(let error):
            "distributing the tables over Citus failed: \(error)\nThe tables distributed so far stay so; fix the cause and run migrate --citus again."
        case .cannotWrite(let path, let reason):
            "cannot write the migration file \(path): \(reason)"
        case .locked(let name, let policy, let holders):
            "migration \(name) was not applied: it needs a lock on a table that another transaction holds, and waited "
                + String(format: "%g s for it %d time(s)", policy.timeout, policy.attempts)
                + (holders.isEmpty
                    ? ". Run migrate again when the app is quieter."
                    : "; held by " + holders.map(\.description).joined(separator: "; ")
                        + ". Run migrate again once that transaction has ended, or end it: "
                        + holders.map { "SELECT pg_terminate_backend(\($0.pid));" }.joined(separator: " "))
                + " (--lock-timeout and --lock-attempts set the wait.)"
        }
    }
}
