import PostgresClient

/// One chunk of a backfill: the users whose email is in `[lower, upper)` (no bound at the ends). A user's rows
/// are all in one chunk, chunks never share a user, and a chunk's statements can read the CRM tables' indexes
/// for its range only.
struct BackfillChunk: Sendable, Equatable {
    /// The chunk's number, from 0 in email order.
    let index: Int
    let lower: String?
    let upper: String?

    /// Every email: what a nightly load works on.
    static let whole = BackfillChunk(index: 0, lower: nil, upper: nil)

    /// `column` (an email) within the chunk's range, as an SQL condition. A statement that joins the staging
    /// with a CRM table by email adds it on the table's side too: the staged rows are all in the range, and
    /// PostgreSQL then reads the table's index for the range only, not the whole table.
    func contains(_ column: SQLQuery) -> SQLQuery {
        switch (lower, upper) {
        case (nil, nil): "true"
        case (let lower?, nil): "\(column) >= \(bind: lower)"
        case (nil, let upper?): "\(column) < \(bind: upper)"
        case (let lower?, let upper?): "(\(column) >= \(bind: lower) AND \(column) < \(bind: upper))"
        }
    }

    /// The chunks that `bounds` (sorted, distinct emails) cut: one more than there are bounds.
    static func cut(by bounds: [String]) -> [BackfillChunk] {
        let edges: [String?] = [nil] + bounds.map { $0 } + [nil]
        return (0...bounds.count).map { BackfillChunk(index: $0, lower: edges[$0], upper: edges[$0 + 1]) }
    }
}
