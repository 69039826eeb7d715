import Foundation
import Logging

/// Logs `NAME done` with the seconds since the previous phase.
struct Phase {
    let logger: Logger
    private var start = Date()

    init(logger: Logger) {
        self.logger = logger
    }

    mutating func finished(_ name: String) {
        logger.info("\(name) done", metadata: ["seconds": "\(String(format: "%.2f", Date().timeIntervalSince(start)))"])
        start = Date()
    }
}
