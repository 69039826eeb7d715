import Foundation
import Logging
import Synchronization

/// Progress on standard error: a line rewritten in place on a terminal, plain log lines otherwise (cron).
/// Parallel backfill jobs report through one reporter: its state is behind a lock.
final class ProgressReporter: Sendable {
    private let logger: Logger
    private let isTerminal = isatty(STDERR_FILENO) == 1
    /// Whether a line was written and not ended yet.
    private let wroteLine = Mutex(false)

    init(logger: Logger) {
        self.logger = logger
    }

    func update(_ line: String) {
        if isTerminal {
            wroteLine.withLock { wrote in
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
                wrote = true
            }
        } else {
            logger.info("\(line)")
        }
    }

    func finish() {
        wroteLine.withLock { wrote in
            if wrote { FileHandle.standardError.write(Data("\n".utf8)) }
            wrote = false
        }
    }
}
