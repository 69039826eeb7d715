import ArgumentParser
import Foundation
import Load
import Metrics
import PipelineCore
import Synchronization

/// Keeps the outcomes of the imports this process ran (a pipeline's import steps run in-process) and
/// writes `--metrics-file`.
enum ImportMetricsRecorder {
    private static let outcomes = Mutex<[ImportOutcome]>([])

    /// Finishes `outcome` (its time), keeps it, and writes it to `file` if one was asked for.
    ///
    /// - Throws: `ExitCode` 73 after printing why, when the file cannot be written.
    static func record(_ outcome: ImportOutcome, since started: Date, file: String?, prefix: String) throws {
        var outcome = outcome
        outcome.seconds = Date().timeIntervalSince(started)
        outcome.finishedAt = Date()
        outcomes.withLock { $0.append(outcome) }
        guard let file else { return }
        try runReportingErrors {
            let previous = MetricsFile.previousValue(of: "\(prefix)_last_success_timestamp_seconds", in: file)
            try MetricsFile.write(outcome.metrics(prefix: prefix, previousSuccess: previous), to: file)
        }
    }

    /// The imports recorded since `index` (the count before a pipeline started), added up: `nil` tally
    /// when none finished.
    static func combined(since index: Int, exitStatus: ExitStatus) -> ImportOutcome {
        let imports = outcomes.withLock { Array($0.dropFirst(index)) }
        let tallies = imports.compactMap(\.tally)
        var total = ImportOutcome(tally: tallies.isEmpty ? nil : LoadTally.sum(tallies), exitStatus: exitStatus, seconds: 0)
        total.filesRead = imports.reduce(0) { $0 + $1.filesRead }
        total.filesSkipped = imports.reduce(0) { $0 + $1.filesSkipped }
        total.inputBytes = imports.reduce(0) { $0 + $1.inputBytes }
        total.dryRun = !imports.isEmpty && imports.allSatisfy(\.dryRun)
        return total
    }

    /// How many imports were recorded so far.
    static var count: Int { outcomes.withLock { $0.count } }
}

extension ExitStatus {
    /// The exit status an error ends the process with (as `runReportingErrors` maps it).
    static func of(_ error: any Error) -> ExitStatus {
        if let exit = error as? ExitCode { return ExitStatus(rawValue: exit.rawValue) ?? .software }
        if let error = error as? any UserFacingError { return error.exitStatus }
        return .software
    }
}
