/// The process exit codes of `crm-pipeline`, following `sysexits.h` so that cron and wrappers can act on them.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything was done; rejected rows are reported, not failures.
    case ok = 0
    /// The command line, a mapping file or a pipeline file is wrong (`EX_USAGE`).
    case usage = 64
    /// Input data is malformed, or rejects are over the threshold (`EX_DATAERR`).
    case dataError = 65
    /// An input file is missing or unreadable (`EX_NOINPUT`).
    case noInput = 66
    /// The database is unreachable (`EX_UNAVAILABLE`).
    case unavailable = 69
    /// An internal error: a bug, or something the tool did not expect (`EX_SOFTWARE`).
    case software = 70
    /// An output file cannot be created (`EX_CANTCREAT`).
    case cannotCreate = 73
    /// Reading or writing failed (`EX_IOERR`).
    case ioError = 74
    /// A temporary failure, such as another import holding the lock: try later (`EX_TEMPFAIL`).
    case temporaryFailure = 75
}

/// An error the command line reports to the user: a sentence to print, and the exit status to end with.
///
/// Every stage has its own error type conforming to this protocol; the root command maps them to
/// exit codes in one place.
public protocol UserFacingError: Error, CustomStringConvertible {
    /// The exit status the process ends with when this error stops it.
    var exitStatus: ExitStatus { get }
    /// Whether `description` already starts with the place in a file it is about, as compilers write it
    /// (`file:line: error: message`): the command line then prints it as it is.
    var isLocated: Bool { get }
}

extension UserFacingError {
    public var isLocated: Bool { false }
}
