import Foundation
import Metrics
import PipelineCore

/// How an import (or a pipeline run with its imports) ended, for `--metrics-file`.
public struct ImportOutcome: Sendable {
    /// What the imports that finished did; `nil` when none did (a failure, or a pipeline without import).
    public var tally: LoadTally?
    public var exitStatus: ExitStatus
    public var seconds: TimeInterval
    /// Input files read and skipped (already imported), and their bytes on disk.
    public var filesRead = 0
    public var filesSkipped = 0
    public var inputBytes = 0
    public var dryRun = false
    public var finishedAt = Date()

    public init(tally: LoadTally?, exitStatus: ExitStatus, seconds: TimeInterval) {
        self.tally = tally
        self.exitStatus = exitStatus
        self.seconds = seconds
    }

    /// The Prometheus text of the outcome, every name starting with `prefix` (`crm_pipeline_import`,
    /// `crm_pipeline_run`). `previousSuccess` is the last-success time of the file being replaced, kept
    /// when this run failed or was a dry run.
    public func metrics(prefix: String, previousSuccess: Double?) -> String {
        var text = PrometheusText()
        let succeeded = exitStatus == .ok
        let finished = finishedAt.timeIntervalSince1970.rounded()
        text.gauge("\(prefix)_success", "Whether the last run succeeded (1) or failed (0).", succeeded ? 1 : 0)
        text.gauge("\(prefix)_exit_code", "The exit code of the last run (sysexits: 0 ok, 65 data, 69 unavailable, 75 locked).",
                   Double(exitStatus.rawValue))
        text.gauge("\(prefix)_dry_run", "Whether the last run was a dry run (1), which keeps nothing.", dryRun ? 1 : 0)
        text.gauge("\(prefix)_duration_seconds", "Wall time of the last run.", (seconds * 1_000).rounded() / 1_000)
        text.gauge("\(prefix)_last_run_timestamp_seconds", "When the last run ended, in Unix time.", finished)
        if let success = succeeded && !dryRun ? finished : previousSuccess {
            text.gauge("\(prefix)_last_success_timestamp_seconds", "When a run last succeeded and kept its data, in Unix time.", success)
        }
        text.gauge("\(prefix)_files", "Input files of the last run: read, or skipped as already imported.",
                   [(labels: ["state": "read"], value: Double(filesRead)), (labels: ["state": "skipped"], value: Double(filesSkipped))])
        text.gauge("\(prefix)_input_bytes", "Bytes of the input files on disk (compressed where they are).", Double(inputBytes))
        guard let tally else { return text.text }
        let rows: [(String, KeyPath<EntityCounts, Int>)] = [
            ("read", \.read), ("inserted", \.inserted), ("updated", \.updated), ("unchanged", \.unchanged),
            ("duplicate", \.duplicates), ("rejected", \.rejected), ("deleted", \.deleted), ("erased", \.erased),
            ("renamed", \.renamed), ("merged", \.merged),
        ]
        text.gauge("\(prefix)_rows", "Rows of the last run by entity and what became of them.", Entity.allCases.flatMap { entity in
            rows.map { outcome, keyPath in
                (labels: ["entity": entity.name, "outcome": outcome],
                 value: Double(tally.counts[entity, default: EntityCounts()][keyPath: keyPath]))
            }
        })
        text.gauge("\(prefix)_rejected_rows", "Rejected rows of the last run by reason.", RejectReason.allCases.map { reason in
            (labels: ["reason": reason.rawValue], value: Double(tally.rejectsByReason[reason.rawValue, default: 0]))
        })
        return text.text
    }
}
