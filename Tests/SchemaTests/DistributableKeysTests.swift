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
                SELECT c.conrelid::regclass::text AS table_name, c.conname, c.contype::text AS kind,
                       (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'email') = ANY (c.conkey)
                           AS includes_email,
                       c.contype <> 'f' OR (SELECT attnum FROM pg_attribute WHERE attrelid = c.confrelid AND attname = 'email') = ANY (c.confkey)
                           AS references_email_key
                FROM pg_constraint c
                WHERE c.contype IN ('p', 'u', 'f')
                  AND c.conrelid IN (SELECT to_regclass(quote_ident(name)) FROM unnest($1::text[]) AS name)
                """, [tables]).all(as: KeyConstraint.self)
            let tablesSeen = Set(rows.map(\.table))
            #expect(tablesSeen.count == Self.crmTables.count, "constraints found on \(tablesSeen.sorted())")
            for row in rows {
                #expect(row.includesEmail == true, "\(row.table) \(row.name) does not include email")
                #expect(row.referencesEmailKey == true, "\(row.table) \(row.name) references a key without email")
            }
            // Unique indexes that are not constraints count too.
            let indexes = try connection.query("""
                SELECT i.indexrelid::regclass::text AS index_name FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = 'email'
                WHERE i.indisunique AND NOT a.attnum = ANY (i.indkey)
                  AND i.indrelid IN (SELECT to_regclass(quote_ident(name)) FROM unnest($1::text[]) AS name)
                """, [tables]).rows.map { try $0.decode(String.self, "index_name") }
            #expect(indexes.isEmpty, "unique indexes without email: \(indexes)")
        }
    }

    @Test("every child table has its (email, created_at) index for reports")
    func reportIndexes() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let indexed = try connection.query("""
                SELECT DISTINCT i.indrelid::regclass::text AS table_name FROM pg_index i
                WHERE pg_get_indexdef(i.indexrelid) LIKE '%(email, created_at)%'
                """).rows.map { try $0.decode(String.self, "table_name") }
            #expect(Set(indexed).isSuperset(of: ["crm_job_requests", "crm_recordings", "crm_resumes", "crm_credit_ledger"]))
        }
    }
}

/// A primary key, unique constraint or foreign key, and whether its columns (and those it references) include email.
private struct KeyConstraint: RowDecodable {
    let table: String
    let name: String
    /// NULL when the table has no email column.
    let includesEmail: Bool?
    let referencesEmailKey: Bool?

    init(row: Row) throws {
        table = try row.decode(String.self, "table_name")
        name = try row.decode(String.self, "conname")
        includesEmail = try row.decode(Bool?.self, "includes_email")
        referencesEmailKey = try row.decode(Bool?.self, "references_email_key")
    }
}
