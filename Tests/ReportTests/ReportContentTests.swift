import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite("Report contents, through the binary")
struct ReportContentTests {
    @Test("users: exact totals and period counts, with rows at 23:59:59 in and 00:00 of the next month out")
    func users() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let report = try ReportDataSet.json(database, ["users", "--month", "2024-05"])
            #expect(report["report"] as? String == "users")
            let period = report["period"] as? [String: Any]
            #expect(period?["from"] as? String == "2024-05-01T00:00:00Z")
            #expect(period?["to"] as? String == "2024-06-01T00:00:00Z")
            let rows = try #require(report["rows"] as? [[String: Any]])
            let ann = try #require(rows.first { $0["email"] as? String == "ann@example.com" })
            #expect(ann["total_applications"] as? Int == 2)
            #expect(ann["total_recordings"] as? Int == 3)
            #expect(ann["applications_in_period"] as? Int == 1)
            #expect(ann["recordings_in_period"] as? Int == 2)
            #expect(ann["credits_bought"] as? Int == 3)
            #expect(ann["credits_used"] as? Int == 1)
            #expect(ann["credits"] as? Int == 8)
            #expect(ann["last_activity"] as? String == "2024-06-01T00:00:00Z")
            let totals = try #require(report["totals"] as? [String: Any])
            #expect(totals["users"] as? Int == 3)
            #expect(totals["recordings_in_period"] as? Int == 3)
        }
    }

    @Test("summary: users new and active, period counts, month series, top users")
    func summary() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let report = try ReportDataSet.json(database, ["summary", "--month", "2024-05"])
            let totals = try #require(report["totals"] as? [String: Any])
            #expect(totals["users_total"] as? Int == 3)
            #expect(totals["users_new"] as? Int == 1)
            #expect(totals["users_active"] as? Int == 2)
            #expect(totals["applications_in_period"] as? Int == 2)
            #expect(totals["recordings_in_period"] as? Int == 3)
            #expect(totals["credits_bought"] as? Int == 3)
            #expect(totals["credits_used"] as? Int == 2)
            #expect(totals["recordings_per_active_user"] as? Double == 1.5)
            let months = try #require(report["rows"] as? [[String: Any]])
            #expect(months.count == 12)
            #expect(months.last?["month"] as? String == "2024-05")
            #expect(months.last?["recordings"] as? Int == 3)
            #expect(months.dropLast().last?["applications"] as? Int == 1)
            let top = try #require(report["top_users"] as? [[String: Any]])
            #expect(top.first?["email"] as? String == "ann@example.com")
        }
    }

    @Test("a period across a month boundary: its buckets in both months count once each, per user and per month")
    func periodAcrossMonths() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let range = ["--from", "2024-04-30", "--to", "2024-05-31"]
            let summary = try ReportDataSet.json(database, ["summary"] + range)
            let totals = try #require(summary["totals"] as? [String: Any])
            #expect(totals["users_new"] as? Int == 1)
            #expect(totals["users_active"] as? Int == 2)
            #expect(totals["applications_in_period"] as? Int == 3)
            #expect(totals["recordings_in_period"] as? Int == 3)
            #expect(totals["credits_bought"] as? Int == 3)
            #expect(totals["credits_used"] as? Int == 2)
            let months = try #require(summary["rows"] as? [[String: Any]])
            #expect(months.map { $0["month"] as? String }.suffix(2) == ["2024-04", "2024-05"])
            #expect(months.suffix(2).map { $0["applications"] as? Int } == [1, 2])
            #expect(months.suffix(2).map { $0["new_users"] as? Int } == [1, 1])
            let top = try #require(summary["top_users"] as? [[String: Any]])
            #expect(top.map { $0["email"] as? String } == ["ann@example.com", "yamada@example.jp", "mal@example.com"])
            let users = try #require(ReportDataSet.json(database, ["users", "--top", "2"] + range)["rows"] as? [[String: Any]])
            #expect(users.map { $0["email"] as? String } == ["ann@example.com", "yamada@example.jp"])
            #expect(users.first?["applications_in_period"] as? Int == 2)
            #expect(users.first?["recordings_in_period"] as? Int == 2)
            #expect(users.first?["credits_bought"] as? Int == 3)
            #expect(users.first?["credits_used"] as? Int == 1)
        }
    }

    @Test("a period longer than the twelve months of the series: every row in it counts, the series ends with its last month")
    func periodLongerThanTheSeries() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let summary = try ReportDataSet.json(database, ["summary", "--from", "2023-01-01", "--to", "2024-12-31"])
            let totals = try #require(summary["totals"] as? [String: Any])
            #expect(totals["users_new"] as? Int == 3)
            #expect(totals["users_active"] as? Int == 3)
            #expect(totals["applications_in_period"] as? Int == 3)
            #expect(totals["recordings_in_period"] as? Int == 4)
            #expect(totals["resumes_in_period"] as? Int == 1)
            #expect(totals["credits_bought"] as? Int == 6)
            #expect(totals["credits_used"] as? Int == 3)
            let months = try #require(summary["rows"] as? [[String: Any]])
            #expect(months.first?["month"] as? String == "2024-01" && months.last?["month"] as? String == "2024-12")
            #expect(months.reduce(0) { $0 + ($1["recordings"] as? Int ?? 0) } == 4)
        }
    }

    @Test("credits: ledger parts per user, and a balance that disagrees with its ledger is flagged")
    func credits() throws {
        try TestDatabase.withFresh { database throws in
            let connection = try database.connect()
            try ReportDataSet.load(into: connection)
            try connection.query("UPDATE profiles SET credits = 42 WHERE email = 'yamada@example.jp'")
            let report = try ReportDataSet.json(database, ["credits", "--month", "2024-05"])
            let rows = try #require(report["rows"] as? [[String: Any]])
            #expect(rows.first?["email"] as? String == "yamada@example.jp")
            #expect(rows.first?["disagrees"] as? Bool == true)
            #expect(rows.first?["ledger_sum"] as? Int == 3)
            let ann = try #require(rows.first { $0["email"] as? String == "ann@example.com" })
            #expect(ann["bought"] as? Int == 6)
            #expect(ann["used"] as? Int == 2)
            #expect(ann["bought_in_period"] as? Int == 3)
            #expect((report["totals"] as? [String: Any])?["users_flagged"] as? Int == 1)
        }
    }

    @Test("tables: sizes per table, and growth since the previous snapshot")
    func tables() throws {
        try TestDatabase.withFresh { database throws in
            let first = try ReportDataSet.json(database, ["tables"])
            let firstRows = try #require(first["rows"] as? [[String: Any]])
            let recordings = try #require(firstRows.first { $0["table"] as? String == "crm_recordings" })
            #expect(recordings["rows"] as? Int == 0)
            #expect(recordings["rows_growth"] is NSNull)
            #expect((recordings["total_bytes"] as? Int ?? 0) >= (recordings["table_bytes"] as? Int ?? 0) + (recordings["index_bytes"] as? Int ?? 0))
            try ReportDataSet.load(into: database.connect())
            let second = try ReportDataSet.json(database, ["tables"])
            let rows = try #require(second["rows"] as? [[String: Any]])
            #expect(rows.first { $0["table"] as? String == "crm_recordings" }?["rows_growth"] as? Int == 4)
            #expect(rows.first { $0["table"] as? String == "digital_resume_by_CRM" }?["rows"] as? Int == 3)
        }
    }

    @Test("imports: recent runs with their counts")
    func imports() throws {
        try TestDatabase.withFresh { database throws in
            let harness = NSTemporaryDirectory() + "crm-report-import-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: harness, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: harness + "/users.csv", contents: Data("email\na@example.com\nbad\n".utf8))
            _ = try CommandLineRunner.run(["import", harness, "--database-url", database.url, "--reject-file", harness + "/r.jsonl"])
            let report = try ReportDataSet.json(database, ["imports"])
            let rows = try #require(report["rows"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["status"] as? String == "succeeded")
            #expect(rows.first?["rows_read"] as? Int == 2)
            #expect(rows.first?["rejected"] as? Int == 1)
            #expect(rows.first?["inserted"] as? Int == 1)
        }
    }

    @Test("an empty database gives a valid, empty report of every kind in every format", arguments: [
        "users", "summary", "credits", "tables", "imports",
    ])
    func emptyDatabase(kind: String) throws {
        try TestDatabase.withFresh { database throws in
            for format in ["table", "csv", "json", "markdown", "html"] {
                let outcome = try ReportDataSet.report(database, [kind, "--format", format])
                #expect(outcome.status == 0, "\(kind) \(format): \(outcome.standardError)")
                #expect(!outcome.standardOutput.isEmpty)
            }
        }
    }

    @Test("period options: a bad month or range is a usage error")
    func periodOptions() throws {
        for arguments in [["users", "--month", "2024-13"], ["users", "--from", "2024-05-02"], ["users", "--month", "2024-05", "--from", "2024-05-01", "--to", "2024-05-02"], ["nonsense"]] {
            let outcome = try CommandLineRunner.run(["report"] + arguments + ["--database-url", "host=/nonexistent"])
            #expect(outcome.status == 64, "\(arguments)")
        }
    }
}

@Suite("Reports during a backfill, through the binary")
struct ReportSnapshotTests {
    @Test("every report reads one snapshot: its parts agree while chunks commit underneath")
    func consistentDuringBackfill() throws {
        try TestDatabase.withFresh { database throws in
            let folder = try GeneratedExport.make("snapshot", ["--users", "6000", "--seed", "4", "--months", "1"])
            let process = try CommandLineRunner.start(["import", folder, "--mode", "backfill", "--chunk-rows", "800",
                                                       "--database-url", database.url, "--reject-file", folder + "/r.jsonl"]).process
            var reports = 0
            var sawProgress = Set<Int>()
            while process.isRunning || reports < 3 {
                let report = try ReportDataSet.json(database, ["summary", "--month", "2025-12"])
                let totals = try #require(report["totals"] as? [String: Any])
                let month = try #require((report["rows"] as? [[String: Any]])?.last)
                // Different statements of one report, equal only if they read the same snapshot.
                #expect(totals["recordings_in_period"] as? Int == month["recordings"] as? Int)
                #expect(totals["applications_in_period"] as? Int == month["applications"] as? Int)
                #expect(totals["credits_used"] as? Int == month["credits_used"] as? Int)
                sawProgress.insert(totals["recordings_in_period"] as? Int ?? -1)
                reports += 1
                if reports > 200 { break }
            }
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(sawProgress.count >= 2, "the reports all ran before or after the backfill")
        }
    }
}
