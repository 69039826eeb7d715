import Extract
import Foundation
import PipelineCore
import Validate

/// What an import does and how strict it is (the options of `crm-pipeline import`).
public struct ImportOptions: Sendable {
    /// `nightly`: one transaction for the whole run. `backfill`: chunked commits, resumable.
    public enum Mode: String, Sendable, CaseIterable {
        case nightly, backfill
    }

    public var mode: Mode = .nightly
    public var credits: RecordValidator.CreditPolicy = .charge
    public var format: InputFormat?
    public var mapping: Mapping?
    public var csv = CSVOptions()
    /// Where rejects go; `nil` for `crm-import-RUN.rejects.jsonl` in the current folder.
    public var rejectFile: String?
    /// Fail (and commit nothing) when more rows than this are rejected.
    public var maxErrors: Int?
    /// Fail (and commit nothing) when more than this share of the rows read is rejected.
    public var maxErrorRate: Double?
    /// Run everything, then roll back.
    public var dryRun = false
    /// Import files even if the same bytes were imported successfully before.
    public var force = false
    /// Parallel connections for a backfill.
    public var jobs = 1
    /// Rows per backfill chunk (each chunk commits on its own).
    public var chunkRows = 100_000
    /// The CRM the users come from (`--source`): a snapshot removes only users of its own source.
    public var source = "default"
    /// This import's users are the source's complete list (`--users-snapshot`): its stored users that the list
    /// does not name are removed.
    public var usersSnapshot = false
    /// Fail (and commit nothing) when the import would remove more stored users than this.
    public var maxDeletes: Int?
    /// Fail (and commit nothing) when it would remove more than this share of the stored users: a guard
    /// against a truncated export. Applied from ``deleteRateFloor`` removals on.
    public var maxDeleteRate = 0.1
    /// The fewest removals the rate guard looks at: a small database loses a large share with a few.
    public static let deleteRateFloor = 10

    public init() {}
}
