import CRMSchema
import PipelineCore
import PostgresClient

/// The credit rule applied to an import's charges (SPEC §2): a user's new charged recordings and payments,
/// walked in time order (UTC instants; payments first at equal instants, undated recordings last) from a
/// balance; a charge that would take it below zero is refused (`insufficient_credits`). Only new charges
/// count: a recording already loaded and charged is not charged again.
///
/// It runs twice (issue 24). Before the merges, from each user's balance then, for the users who could run
/// out at all (more new charges than balance: payments only add). Then, in ``FinalWrites``, for the users the
/// app exists for, from their balance locked at the moment the import writes it: only those whose balance
/// fell below their charges since are walked again (the app spent meanwhile), and only their charges that
/// no longer fit are refused.
struct CreditWalk {
    let connection: PostgresConnection

    static let createFunction: SQLQuery = """
        CREATE OR REPLACE FUNCTION \(SQLName.refusedChargesFunction)() RETURNS SETOF bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            event record;
            current_email text;
            balance bigint;
        BEGIN
            FOR event IN
                SELECT e.email, e.seq, e.delta, o.opening
                FROM \(SQLName.creditEvents) e JOIN \(SQLName.creditOpenings) o ON o.email = e.email
                ORDER BY e.email, e.at NULLS LAST, e.kind, e.seq
            LOOP
                IF event.email IS DISTINCT FROM current_email THEN
                    current_email := event.email;
                    balance := event.opening;
                END IF;
                IF balance + event.delta < 0 THEN
                    RETURN NEXT event.seq;
                ELSE
                    balance := balance + event.delta;
                END IF;
            END LOOP;
        END
        $$
        """

    /// Creates the walk's tables (empty) and its function, with the other work tables of a load.
    static let createTables: [SQLQuery] = [
        createFunction,
        """
        CREATE TEMP TABLE \(SQLName.creditUsers) (email text PRIMARY KEY, charges bigint NOT NULL, opening bigint NOT NULL,
                                    existing boolean NOT NULL) ON COMMIT DROP
        """,
        """
        CREATE TEMP TABLE \(SQLName.creditEvents) (email text NOT NULL, seq bigint NOT NULL, delta integer NOT NULL, at timestamptz,
                                     kind integer NOT NULL, stored boolean NOT NULL) ON COMMIT DROP
        """,
        "CREATE TEMP TABLE \(SQLName.creditOpenings) (email text PRIMARY KEY, opening bigint NOT NULL) ON COMMIT DROP",
        "CREATE TEMP TABLE \(SQLName.refusedCharges) (email text NOT NULL, external_id text NOT NULL, stored boolean NOT NULL) ON COMMIT DROP",
    ]

    /// Finds the new charges and the users a walk may need: those who could run out now, and every existing
    /// user with a new charge (whose balance the app may spend before the import writes). A first import's
    /// users are all new and few can run out, so little is kept.
    ///
    /// - Parameters:
    ///   - scope: The backfill chunk the staging holds (``BackfillChunk/whole`` for a nightly load).
    ///   - narrowed: Stored twins looked for among the known users' rows only (``LoadSQL/ofKnownUsers(_:narrowed:)``).
    func collect(existing: SQLName, scope: BackfillChunk, narrowed: Bool) throws {
        try connection.query("""
            INSERT INTO \(SQLName.creditUsers) (email, charges, opening, existing)
            SELECT c.email, c.charges, coalesce(s.credits, p.credits, \(CreditSQL.opening)) AS opening, x.email IS NOT NULL AS existing
            FROM (SELECT s.email, count(*) AS charges FROM \(SQLName.deduplicated(.recordings)) s
                  LEFT JOIN \(SQLName.recordings) t ON t.email = s.email AND t.external_id = s.external_id AND \(scope.contains("t.email"))
                      AND \(LoadSQL.ofKnownUsers("t.email", narrowed: narrowed))
                  WHERE s.credit_charged AND (t.email IS NULL OR NOT t.credit_charged)
                  GROUP BY s.email) c
            LEFT JOIN \(SQLName.dashboardStats) s ON s.email = c.email AND \(scope.contains("s.email")) AND \(LoadSQL.ofKnownUsers("s.email", narrowed: narrowed))
            LEFT JOIN \(SQLName.profiles) p ON p.email = c.email AND \(scope.contains("p.email"))
            LEFT JOIN \(existing) x ON x.email = c.email
            WHERE \(CreditSQL.used("c.charges")) > coalesce(s.credits, p.credits, \(CreditSQL.opening)) OR x.email IS NOT NULL
            """)
        try connection.query("""
            INSERT INTO \(SQLName.creditEvents) (email, seq, delta, at, kind, stored)
            SELECT s.email, s.seq, -\(CreditSQL.perRecording) AS delta, s.created_at AS at, 1 AS kind, t.email IS NOT NULL AS stored
            FROM \(SQLName.deduplicated(.recordings)) s
            LEFT JOIN \(SQLName.recordings) t ON t.email = s.email AND t.external_id = s.external_id AND \(scope.contains("t.email"))
                      AND \(LoadSQL.ofKnownUsers("t.email", narrowed: narrowed))
            WHERE s.credit_charged AND (t.email IS NULL OR NOT t.credit_charged) AND s.email IN (SELECT email FROM \(SQLName.creditUsers))
            UNION ALL
            SELECT s.email, s.seq, \(CreditSQL.perPayment), s.paid_at, 0, false
            FROM \(SQLName.deduplicated(.payments)) s
            LEFT JOIN \(SQLName.payments) t ON t.email = s.email AND t.external_id = s.external_id AND \(scope.contains("t.email"))
                AND \(LoadSQL.ofKnownUsers("t.email", narrowed: narrowed))
            WHERE t.email IS NULL AND s.email IN (SELECT email FROM \(SQLName.creditUsers))
            """)
    }

    /// The users who could run out before the merges, from their balance then.
    static let openingsBeforeMerges: SQLQuery = "SELECT email, opening FROM \(SQLName.creditUsers) WHERE charges > opening"

    /// The existing users whose balance, locked in `balances` (`email`, `credits`), no longer covers their new
    /// charges left, from that balance.
    static func openingsBelow(_ balances: SQLName) -> SQLQuery {
        """
        SELECT b.email, b.credits FROM \(balances) b
        JOIN (SELECT email, count(*) AS charges FROM \(SQLName.creditEvents) WHERE kind = 1 GROUP BY email) c ON c.email = b.email
        WHERE b.credits < c.charges
        """
    }

    /// Walks the users `openings` returns, from the balance it gives them; takes each refused charge out of the
    /// staging and of the events, keeps it in ``refused`` and returns its reject, in file and line order.
    ///
    /// - Parameter why: The reject message.
    func refuse(openings: SQLQuery, why: String, path: (Int) -> String) throws -> [Reject] {
        for statement: SQLQuery in ["DELETE FROM \(SQLName.creditOpenings)", "INSERT INTO \(SQLName.creditOpenings) (email, opening) \(openings)",
                                    "DELETE FROM \(SQLName.refusedCharges)"] {
            try connection.query(statement)
        }
        let refused = try connection.query("""
            WITH refused AS (
                DELETE FROM \(SQLName.creditEvents) e WHERE e.kind = 1 AND e.seq IN (SELECT \(SQLName.refusedChargesFunction)())
                RETURNING e.seq, e.stored),
            taken AS (
                DELETE FROM \(SQLName.deduplicated(.recordings)) s USING refused r WHERE s.seq = r.seq
                RETURNING s.file, s.line, s.credit_charged::text AS value, s.email, s.external_id, r.stored),
            kept AS (INSERT INTO \(SQLName.refusedCharges) (email, external_id, stored) SELECT email, external_id, stored FROM taken)
            SELECT file, line, value FROM taken ORDER BY file, line
            """).all(as: RefusedRow.self)
        return refused.map { row in
            Reject(location: row.place.location(path), entity: .recordings, field: .creditCharged, value: row.value,
                   reason: .insufficientCredits, message: why)
        }
    }
}
