import PostgresClient

/// One chunk of a backfill: the users whose email is in `[lower, upper)` (no bound at the ends), or the users a
/// rename or merge of the input joins (``identities(_:index:)``). A user's rows are all in one chunk, chunks never
/// share a user, and a chunk's statements can read the CRM tables' indexes for its range only.
struct BackfillChunk: Sendable, Equatable {
    /// The chunk's number: from 0 in email order; the identities' chunk comes after the ranges.
    let index: Int
    let lower: String?
    let upper: String?
    /// The identities' chunk: exactly these emails. A range chunk: the emails it leaves to that chunk.
    private(set) var emails: [String] = []
    private(set) var isIdentities = false

    /// Every email: what a nightly load works on.
    static let whole = BackfillChunk(index: 0, lower: nil, upper: nil)

    /// The users a rename or merge joins (both emails of each; ``BackfillStaging/collectIdentities()``): one chunk,
    /// loaded first and alone, so that rows move between two users inside one transaction that no other chunk touches.
    static func identities(_ emails: [String], index: Int) -> BackfillChunk {
        BackfillChunk(index: index, lower: nil, upper: nil, emails: emails, isIdentities: true)
    }

    /// `column` (an email) within the chunk, as an SQL condition. A statement that joins the staging
    /// with a CRM table by email adds it on the table's side too: the staged rows are all in the range, and
    /// PostgreSQL then reads the table's index for the range only, not the whole table.
    func contains(_ column: SQLQuery) -> SQLQuery {
        if isIdentities { return "\(column) = ANY (\(bind: emails)::text[])" }
        let range: SQLQuery = switch (lower, upper) {
        case (nil, nil): "true"
        case (let lower?, nil): "\(column) >= \(bind: lower)"
        case (nil, let upper?): "\(column) < \(bind: upper)"
        case (let lower?, let upper?): "(\(column) >= \(bind: lower) AND \(column) < \(bind: upper))"
        }
        return emails.isEmpty ? range : "(\(range) AND \(column) <> ALL (\(bind: emails)::text[]))"
    }

    /// The chunks that `bounds` (sorted, distinct emails) cut, one more than there are bounds, each leaving out
    /// the `identities`, which get a chunk of their own, first (with the next index after the ranges).
    static func cut(by bounds: [String], identities: [String] = []) -> [BackfillChunk] {
        let edges: [String?] = [nil] + bounds.map { $0 } + [nil]
        let ranges = (0...bounds.count).map { BackfillChunk(index: $0, lower: edges[$0], upper: edges[$0 + 1], emails: identities) }
        return identities.isEmpty ? ranges : [.identities(identities, index: ranges.count)] + ranges
    }
}
