import Foundation
import Logging

/// Progress on standard error: a line rewritten in place on a terminal, plain log lines otherwise (cron).
final class ProgressReporter: @unchecked Sendable {
    private let logger: Logger
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var wroteLine = false

    init(logger: Logger) {
        self.logger = logger
    }

    func update(_ line: String) {
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            wroteLine = true
        } else {
            logger.info("\(line)")
        }
    }

    func finish() {
        if wroteLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
