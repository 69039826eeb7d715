import PipelineCore
import PostgresClient

/// Why an import stopped. Whatever the case, nothing of the run was committed.
public enum LoadError: UserFacingError {
    /// Another import holds the lock.
    case locked
    /// Rejects are over `--max-errors` or `--max-error-rate`.
    case tooManyRejects(rejected: Int, read: Int, limit: String)
    /// The import would remove more stored users than `--max-deletes` or `--max-delete-rate` allow.
    case tooManyDeletes(deletes: Int, stored: Int, limit: String)
    /// A snapshot's users rows were rejected without a readable email: the users they name would be removed.
    case snapshotUnreadable(rows: Int)
    /// Options that do not go together.
    case usage(String)
    /// The reject file cannot be created (its folder is missing or not writable).
    case rejectFileNotCreated(path: String, reason: String)
    /// Writing to the reject file failed (the disk is full).
    case rejectFileNotWritten(path: String, reason: String)
    /// The database refused or dropped a statement.
    case database(PostgresError)
    /// A backfill stopped; the chunks committed before stay, and a re-run resumes.
    case backfillStopped(PostgresError)

    public var exitStatus: ExitStatus {
        switch self {
        case .locked: .temporaryFailure
        case .tooManyRejects, .tooManyDeletes, .snapshotUnreadable: .dataError
        case .usage: .usage
        case .rejectFileNotCreated: .cannotCreate
        case .rejectFileNotWritten: .ioError
        case .database(let error), .backfillStopped(let error): error.exitStatus
        }
    }

    public var description: String {
        switch self {
        case .locked:
            "another import is running (it holds the import lock): nothing was loaded; try again later"
        case .tooManyRejects(let rejected, let read, let limit):
            "\(rejected) of \(read) rows were rejected, over the limit (\(limit)): nothing was committed"
        case .tooManyDeletes(let deletes, let stored, let limit):
            "the import would remove \(deletes) of the \(stored) stored users, over the limit (\(limit)): nothing was committed;"
                + " if the export really is complete, run it again with a higher limit"
        case .snapshotUnreadable(let rows):
            "\(rows) users row(s) of this snapshot were rejected without a readable email (see the reject file): the users they"
                + " name would look absent and be removed; nothing was committed. Fix the export, or import it without --users-snapshot"
        case .usage(let message):
            message
        case .rejectFileNotCreated(let path, let reason):
            "cannot create the reject file \(path): \(reason); nothing was committed"
        case .rejectFileNotWritten(let path, let reason):
            "cannot write to the reject file \(path): \(reason); nothing was committed"
        case .database(let error):
            "the import failed and nothing was committed: \(error)"
        case .backfillStopped(let error):
            "the backfill stopped: \(error)\nThe chunks committed so far stay; run the same command again to resume."
        }
    }
}
