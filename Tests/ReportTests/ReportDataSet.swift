import Foundation
import PostgresClient
import TestSupport

/// A small known data set: three users with rows on both sides of the May 2024 boundaries (UTC).
enum ReportDataSet {
    static func load(into connection: PostgresConnection) throws {
        try connection.executeScript("""
            INSERT INTO "digital_resume_by_CRM" (email, first_name, last_name, created_at) VALUES
                ('ann@example.com', 'Ann', 'Lee', '2024-04-10T00:00:00Z'),
                ('yamada@example.jp', '山田', '🚀 Taro', '2024-05-02T00:00:00Z'),
                ('mal@example.com', '<script>alert(1)</script>', 'Comma, "Quote"
            Newline', '2024-06-01T00:00:00Z');
            INSERT INTO crm_payments (email, external_id, amount_cents, paid_at) VALUES
                ('ann@example.com', 'P1', 900, '2024-05-31T23:59:59Z'),
                ('ann@example.com', 'P2', 900, '2024-06-01T00:00:00Z');
            INSERT INTO crm_job_requests (email, external_id, job_title, created_at) VALUES
                ('ann@example.com', 'J1', 'Nurse', '2024-05-01T00:00:00Z'),
                ('ann@example.com', 'J2', 'Nurse', '2024-04-30T23:59:59Z'),
                ('yamada@example.jp', 'J1', 'Engineer', '2024-05-31T23:59:59Z');
            INSERT INTO crm_recordings (email, external_id, video_url, credit_charged, created_at) VALUES
                ('ann@example.com', 'R1', 'https://v.io/1', true, '2024-05-31T23:59:59Z'),
                ('ann@example.com', 'R2', 'https://v.io/2', true, '2024-06-01T00:00:00Z'),
                ('ann@example.com', 'R3', 'https://v.io/3', false, '2024-05-15T12:00:00Z'),
                ('yamada@example.jp', 'R1', 'https://v.io/4', true, '2024-05-20T12:00:00Z');
            INSERT INTO crm_resumes (email, external_id, file_url, created_at) VALUES
                ('mal@example.com', 'CV1', 'https://f.io/1', '2024-06-02T00:00:00Z');
            """)
    }

    /// Runs `crm-pipeline report` on the database.
    static func report(_ database: TestDatabase, _ arguments: [String]) throws -> CommandLineRunner.Outcome {
        try CommandLineRunner.run(["report"] + arguments + ["--database-url", database.url])
    }

    /// The JSON output of a report as an object.
    static func json(_ database: TestDatabase, _ arguments: [String]) throws -> [String: Any] {
        let outcome = try report(database, arguments + ["--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        return object ?? [:]
    }
}
