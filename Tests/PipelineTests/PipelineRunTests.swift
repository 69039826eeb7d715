import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// A temporary folder with generated data and the environment a pipeline reads.
struct PipelineHarness {
    let folder = NSTemporaryDirectory() + "crm-pipeline-tests/" + UUID().uuidString
    let database: TestDatabase

    init(_ database: TestDatabase) throws {
        self.database = database
        try FileManager.default.createDirectory(atPath: folder + "/drop", withIntermediateDirectories: true)
    }

    func generate(into subfolder: String, users: Int = 200, extra: [String] = ["--bad-rows", "0", "--duplicates", "0"]) throws {
        try GeneratedExport.make("pipeline", ["--users", String(users), "--seed", "3"] + extra, into: folder + "/" + subfolder)
    }

    func run(_ pipeline: String, _ arguments: [String] = [], environment: [String: String?] = [:]) throws -> CommandLineRunner.Outcome {
        var variables: [String: String?] = [
            "DATABASE_URL": database.url, "CRM_DROP_DIR": folder + "/drop", "CRM_LOG_DIR": folder,
            "CRM_REPORT_DIR": folder + "/reports", "CRM_HISTORY_DIR": folder + "/history",
        ]
        variables.merge(environment) { $1 }
        let path = pipeline.hasPrefix("/") ? pipeline : SharedFolder.projectRoot + "/" + pipeline
        return try CommandLineRunner.run(["run", path] + arguments, environment: variables)
    }

    func write(_ name: String, _ text: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}

@Suite("Pipelines, through the binary")
struct PipelineRunTests {
    @Test("nightly-import loads the drop folder, moves the files to processed/, and prints a summary")
    func nightly() throws {
        try TestDatabase.withFresh(migrated: false) { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop")
            let outcome = try CommandLineRunner.run(["run", SharedFolder.projectRoot + "/pipelines/nightly-import.yml"],
                environment: ["DATABASE_URL": database.url, "CRM_DROP_DIR": harness.folder + "/drop", "CRM_LOG_DIR": harness.folder])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("# summary report"))
            let left = try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/drop").filter { $0.hasSuffix(".csv") }
            #expect(left.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/drop/processed").count == 5)
            #expect(try database.connect().invariantViolations().isEmpty)
        }
    }

    @Test("a failed import leaves the drop folder as it was, and the pipeline stops with its exit code")
    func failedImportKeepsFiles() throws {
        try TestDatabase.withFresh(migrated: false) { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop", extra: ["--bad-rows", "0.5"])
            let outcome = try harness.run("pipelines/nightly-import.yml")
            #expect(outcome.status == ExitStatus.dataError.rawValue)
            #expect(outcome.standardError.contains("step 2 (import"))
            #expect(!outcome.standardOutput.contains("# summary report"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/drop").filter { $0.hasSuffix(".csv") }.count == 5)
        }
    }

    @Test("monthly-report writes every report for the month to the report folder")
    func monthly() throws {
        try TestDatabase.withFresh { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop")
            _ = try CommandLineRunner.run(["import", harness.folder + "/drop", "--database-url", database.url, "--reject-file", harness.folder + "/r.jsonl"])
            let outcome = try harness.run("pipelines/monthly-report.yml", environment: ["CRM_MONTH": "2025-06"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: harness.folder + "/reports"))
            #expect(files == ["summary.html", "summary.json", "users.csv", "credits.csv", "tables.html", "imports.md"])
            let summary = try String(contentsOfFile: harness.folder + "/reports/summary.json", encoding: .utf8)
            #expect(summary.contains("\"label\" : \"2025-06\""))
        }
    }

    @Test("backfill loads history uncharged and verifies")
    func backfill() throws {
        try TestDatabase.withFresh(migrated: false) { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "history")
            let outcome = try harness.run("pipelines/backfill.yml")
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("All invariants hold"))
            #expect(try database.connect().query("SELECT count(*) FROM crm_recordings WHERE credit_charged").scalar(Int.self) == 0)
        }
    }

    @Test("--dry-run prints the resolved steps, variables substituted, and runs nothing")
    func dryRun() throws {
        let outcome = try CommandLineRunner.run(
            ["run", SharedFolder.projectRoot + "/pipelines/nightly-import.yml", "--dry-run"],
            environment: ["CRM_DROP_DIR": "/data/drop", "CRM_LOG_DIR": nil, "DATABASE_URL": "host=/nonexistent"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.contains("crm-pipeline import /data/drop --mapping pipelines/mappings/hubspot-contacts.yml --reject-file /var/log/crm/rejects.jsonl"))
        #expect(outcome.standardOutput.contains("--move-to /data/drop/processed"))
        #expect(outcome.standardOutput.contains("3. crm-pipeline report summary --format markdown"))
    }

    @Test("every pipeline-file error is a usage error naming its line", arguments: [
        ("steps:\n  - migrate: {}\n  - explode: {}\n", 3, "unknown step \"explode\""),
        ("steps:\n  - import:\n      paths: [a]\n      colour: red\n", 4, "unknown option \"colour\""),
        ("name: x\nschedule: nightly\nsteps: []\n", 2, "unknown key \"schedule\""),
        ("steps:\n  - import: {mapping: m.yml}\n", 2, "import needs paths:"),
        ("steps:\n  - import: {paths: [\"${NOT_SET_ANYWHERE}\"]}\n", 2, "NOT_SET_ANYWHERE is not set"),
        ("steps:\n  - verify: {fix: maybe}\n", 2, "fix is true or false"),
        ("steps:\n  - migrate: {}\n - bad indent\n", 1, "not valid YAML"),
    ])
    func fileErrors(yaml: String, line: Int, message: String) throws {
        let path = NSTemporaryDirectory() + "pipeline-\(UUID().uuidString).yml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        let outcome = try CommandLineRunner.run(["run", path], environment: ["DATABASE_URL": "host=/nonexistent"])
        #expect(outcome.status == ExitStatus.usage.rawValue, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("\(path):\(line)"), "\(outcome.standardError)")
        #expect(outcome.standardError.contains(message), "\(outcome.standardError)")
    }

    @Test("a missing pipeline file exits 66; a failing step's exit code is the pipeline's")
    func exitCodes() throws {
        #expect(try CommandLineRunner.run(["run", "/nonexistent/pipeline.yml"]).status == ExitStatus.noInput.rawValue)
        try TestDatabase.withFresh { database throws in
            let harness = try PipelineHarness(database)
            let path = harness.write("p.yml", "steps:\n  - import: {paths: [\"${CRM_DROP_DIR}/missing\"]}\n  - verify: {}\n")
            let outcome = try harness.run(path)
            #expect(outcome.status == ExitStatus.noInput.rawValue)
            #expect(!outcome.standardOutput.contains("All invariants hold"))
        }
    }
}
