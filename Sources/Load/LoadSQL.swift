import CRMSchema
import PipelineCore
import PostgresClient

/// The SQL fragments several steps of an import share, each written once.
enum LoadSQL {
    /// The distinct emails this import staged for `entities` (after deduplication).
    static func stagedEmails(_ entities: [Entity]) -> SQLQuery {
        .joined(entities.map { "SELECT email FROM \(SQLName.deduplicated($0))" }, separator: " UNION ")
    }

    /// Per user, what the merges changed (``SQLName/touched`` summed): `email`, `applications`, `recordings`,
    /// `resumes`, `payments` and `charged`, integers.
    static let touchedPerUser: SQLQuery = """
        SELECT email, sum(applications)::integer AS applications, sum(recordings)::integer AS recordings,
               sum(resumes)::integer AS resumes, sum(payments)::integer AS payments, sum(charged)::integer AS charged
        FROM \(SQLName.touched) GROUP BY email
        """
}
