import Foundation
import PipelineCore

/// What one entity's rows became.
public struct EntityCounts: Sendable, Equatable, Codable {
    public var read = 0
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var rejected = 0
    public var duplicates = 0
    /// Stored rows the import removed because the CRM no longer has them (issue 25).
    public var deleted = 0
    /// Stored rows the import removed because an erasure request named their person (issue 25).
    public var erased = 0
    /// Users renamed (their email changed in the CRM; issue 25), and the rows that moved with them.
    public var renamed = 0
    /// Users merged into another (issue 25), and the rows that moved with them.
    public var merged = 0

    public init() {}

    /// Adds another stage's (or chunk's) counts.
    public mutating func add(_ other: EntityCounts) {
        read += other.read
        inserted += other.inserted
        updated += other.updated
        unchanged += other.unchanged
        rejected += other.rejected
        duplicates += other.duplicates
        deleted += other.deleted
        erased += other.erased
        renamed += other.renamed
        merged += other.merged
    }

    private enum CodingKeys: String, CodingKey {
        case read, inserted, updated, unchanged, rejected, duplicates, deleted, erased, renamed, merged
    }

    /// Decodes a run record's counts, those of releases without `deleted` too.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        read = try values.decode(Int.self, forKey: .read)
        inserted = try values.decode(Int.self, forKey: .inserted)
        updated = try values.decode(Int.self, forKey: .updated)
        unchanged = try values.decode(Int.self, forKey: .unchanged)
        rejected = try values.decode(Int.self, forKey: .rejected)
        duplicates = try values.decode(Int.self, forKey: .duplicates)
        deleted = try values.decodeIfPresent(Int.self, forKey: .deleted) ?? 0
        erased = try values.decodeIfPresent(Int.self, forKey: .erased) ?? 0
        renamed = try values.decodeIfPresent(Int.self, forKey: .renamed) ?? 0
        merged = try values.decodeIfPresent(Int.self, forKey: .merged) ?? 0
    }
}

/// What a stage of a load did (read, deduplicate, check, merge): each stage returns one, and the import's
/// summary is their sum.
public struct LoadTally: Sendable, Equatable {
    public var counts: [Entity: EntityCounts] = [:]
    /// Rejected rows by reason code.
    public var rejectsByReason: [String: Int] = [:]
    /// `entity: file:line merged into file:line`, one line per duplicate merged.
    public var mergedRows: [String] = []
    /// Users rows rejected without a readable email: nobody can tell whom they name (a snapshot refuses them).
    public var unnamedUserRows = 0
    /// Addresses left out of email cells that held several (each row kept its first valid one).
    public var extraAddresses = 0

    public init() {}

    public var totalRead: Int { counts.values.reduce(0) { $0 + $1.read } }
    public var totalRejected: Int { counts.values.reduce(0) { $0 + $1.rejected } }

    /// Counts a rejected row.
    mutating func count(_ reject: Reject) {
        counts[reject.entity, default: EntityCounts()].rejected += 1
        rejectsByReason[reject.reason.rawValue, default: 0] += 1
    }

    /// Adds what another stage (or chunk) did.
    mutating func add(_ other: LoadTally) {
        for (entity, counts) in other.counts { self.counts[entity, default: EntityCounts()].add(counts) }
        for (reason, count) in other.rejectsByReason { rejectsByReason[reason, default: 0] += count }
        mergedRows += other.mergedRows
        unnamedUserRows += other.unnamedUserRows
        extraAddresses += other.extraAddresses
    }

    /// The sum of `tallies`.
    public static func sum(_ tallies: [LoadTally]) -> LoadTally {
        tallies.reduce(into: LoadTally()) { $0.add($1) }
    }
}

/// The outcome of an import, for the summary and the run record.
public struct ImportSummary: Sendable {
    public var runID: Int64 = 0
    /// What the stages did, added up.
    public var tally = LoadTally()
    public var skippedFiles: [String] = []
    public var rejectFile: String?
    public var elapsed: TimeInterval = 0
    public var dryRun = false
    /// The merge strategy the run used (named in the log and the run record).
    public var strategy = ""

    public init() {}

    public var counts: [Entity: EntityCounts] { tally.counts }
    public var rejectsByReason: [String: Int] { tally.rejectsByReason }
    public var mergedRows: [String] { tally.mergedRows }
    public var totalRead: Int { tally.totalRead }
    public var totalRejected: Int { tally.totalRejected }
}
