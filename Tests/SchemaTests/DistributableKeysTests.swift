import PostgresClient
import TestSupport
import Testing

@Suite("Keys are distributable by email")
struct DistributableKeysTests {
    static let crmTables = [
        "digital_resume_by_CRM", "crm_job_requests", "crm_recordings", "crm_resumes",
        "crm_dashboard_stats", "crm_credit_ledger", "crm_payments",
    ]

    @Test("every primary key, unique constraint and foreign key of a CRM table includes email")
    func keysIncludeEmail() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let tables = "{" + Self.crmTables.joined(separator: ",") + "}"
            let rows = try connection.query("""
                SELECT c.conrelid::regclass::text, c.conname, c.contype::text,
                       (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'email') = ANY (c.conkey),
                       c.contype <> 'f' OR (SELECT attnum FROM pg_attribute WHERE attrelid = c.confrelid AND attname = 'email') = ANY (c.confkey)
                FROM pg_constraint c
                WHERE c.contype IN ('p', 'u', 'f')
                  AND c.conrelid IN (SELECT to_regclass(quote_ident(name)) FROM unnest($1::text[]) AS name)
                """, [tables]).textRows
            let tablesSeen = Set(rows.compactMap { $0[0] })
            #expect(tablesSeen.count == Self.crmTables.count, "constraints found on \(tablesSeen.sorted())")
            for row in rows {
                #expect(row[3] == "t", "\(row[0] ?? "") \(row[1] ?? "") does not include email")
                #expect(row[4] == "t", "\(row[0] ?? "") \(row[1] ?? "") references a key without email")
            }
            // Unique indexes that are not constraints count too.
            let indexes = try connection.query("""
                SELECT i.indexrelid::regclass::text FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'email'
                WHERE i.indisunique AND NOT a.attnum = ANY (i.indkey)
                  AND i.indrelid IN (SELECT to_regclass(quote_ident(name)) FROM unnest($1::text[]) AS name)
                """, [tables]).textRows
            #expect(indexes.isEmpty, "unique indexes without email: \(indexes)")
        }
    }

    @Test("every child table has its (email, created_at) index for reports")
    func reportIndexes() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let indexed = try connection.query("""
                SELECT DISTINCT i.indrelid::regclass::text FROM pg_index i
                WHERE pg_get_indexdef(i.indexrelid) LIKE '%(email, created_at)%'
                """).textRows.compactMap { $0[0] }
            #expect(Set(indexed).isSuperset(of: ["crm_job_requests", "crm_recordings", "crm_resumes", "crm_credit_ledger"]))
        }
    }
}
