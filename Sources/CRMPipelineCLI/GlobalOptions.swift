import ArgumentParser
import Foundation
import Logging
import Synchronization

/// Options every subcommand takes: where the database is, and how much to log.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL or connection string (default: $DATABASE_URL, else libpq's PG* variables).",
            valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .customLong("log-format"), help: "text, or json (one object per line) for machines.")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// The connection string to use: the option, else `DATABASE_URL`, else `nil` for libpq's defaults.
    var resolvedDatabaseURL: String? {
        databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Sets up logging for the process, once: a pipeline runs several commands in one process, and the
    /// first one's settings stay.
    func bootstrapLogging() -> Logger {
        let level = logLevel
        let format = logFormat
        LoggingBootstrap.once {
            LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            }
        }
        return Logger(label: "crm-pipeline")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Guards `LoggingSystem.bootstrap`, which may run only once per process.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(_ body: () -> Void) {
        done.withLock { done in
            guard !done else { return }
            done = true
            body()
        }
    }
}
