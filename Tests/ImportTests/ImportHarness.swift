import Foundation
import PostgresClient
import TestSupport
import Testing

/// A folder of input files and a migrated database, and the real binary to import one into the other.
struct ImportHarness {
    let database: TestDatabase
    let folder: String

    init(_ database: TestDatabase) {
        self.database = database
        folder = NSTemporaryDirectory() + "crm-import-tests/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` in the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    var rejectFile: String { folder + "/rejects.jsonl" }

    /// Runs `crm-pipeline import` on `paths` (default: the folder) with the reject file in the folder.
    func run(_ paths: [String]? = nil, _ arguments: [String] = []) throws -> CommandLineRunner.Outcome {
        try CommandLineRunner.run(
            ["import"] + (paths ?? [folder]) + ["--database-url", database.url, "--reject-file", rejectFile] + arguments)
    }

    /// The reject file's lines as dictionaries.
    func rejects() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: rejectFile, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// `reason@line` for every reject, in file order.
    func rejectSummary() throws -> [String] {
        try rejects().map { "\($0["reason"] as? String ?? "?")@\($0["line"] as? Int ?? 0)" }
    }

    /// The one value of a one-column `query` in text form, or `nil` when it is NULL or there is no row.
    func scalar(_ query: SQLQuery) throws -> String? {
        try database.connect().query(query).scalar(String?.self)
    }

    /// Row counts of the CRM tables, as `users/job requests/recordings/resumes/payments/ledger`.
    func counts() throws -> String {
        try scalar("""
            SELECT (SELECT count(*) FROM "digital_resume_by_CRM") || '/' || (SELECT count(*) FROM crm_job_requests) || '/'
                || (SELECT count(*) FROM crm_recordings) || '/' || (SELECT count(*) FROM crm_resumes) || '/'
                || (SELECT count(*) FROM crm_payments) || '/' || (SELECT count(*) FROM crm_credit_ledger)
            """) ?? ""
    }

    func invariantViolations() throws -> [String] {
        try database.connect().invariantViolations()
    }
}
