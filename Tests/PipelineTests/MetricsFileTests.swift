import Foundation
import PipelineCore
import PostgresClient
import TestSupport
import Testing

/// A Prometheus text file, parsed back: samples by `name{labels}`, and the declared type of each metric.
struct ParsedMetrics {
    var samples: [String: Double] = [:]
    var types: [String: String] = [:]
    var helps: Set<String> = []

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# TYPE ") {
                types[parts[2]] = parts[3]
            } else if line.hasPrefix("# HELP ") {
                helps.insert(parts[2])
            } else {
                let space = try #require(line.lastIndex(of: " "), "a sample line: \(line)")
                let key = String(line[..<space]), name = String(key.prefix { $0 != "{" })
                #expect(types[name] == "gauge" && helps.contains(name), "\(name) is sampled before its HELP and TYPE")
                #expect(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && name.hasPrefix("crm_pipeline_"), "\(name)")
                // Unwrapped apart: assigned into the dictionary, #require would take `Double?` as its value and check nothing.
                let value = try #require(Double(line[line.index(after: space)...]), "a number: \(line)")
                samples[key] = value
            }
        }
    }

    subscript(_ key: String) -> Double? { samples[key] }
}

@Suite("--metrics-file, parsed back")
struct MetricsFileTests {
    @Test("a successful import writes every figure; a failed one keeps the last success and says how it failed")
    func importMetrics() throws {
        try TestDatabase.withFresh { database in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop", users: 200, extra: ["--bad-rows", "0.05", "--duplicates", "0"])
            let metrics = harness.folder + "/crm.prom"
            let imported = try CommandLineRunner.run(["import", harness.folder + "/drop", "--database-url", database.url,
                                                      "--reject-file", harness.folder + "/rejects.jsonl", "--metrics-file", metrics])
            #expect(imported.status == 0, "\(imported.standardError)")
            let first = try ParsedMetrics(path: metrics)
            #expect(first["crm_pipeline_import_success"] == 1)
            #expect(first["crm_pipeline_import_exit_code"] == 0)
            #expect(first["crm_pipeline_import_files{state=\"read\"}"] == 5)
            #expect((first["crm_pipeline_import_input_bytes"] ?? 0) > 10_000)
            let users = try database.connect().query("SELECT count(*) FROM \"digital_resume_by_CRM\"").scalar(Double.self)
            #expect(first["crm_pipeline_import_rows{entity=\"users\",outcome=\"inserted\"}"] == users)
            let rejected = try String(contentsOfFile: harness.folder + "/rejects.jsonl", encoding: .utf8).split(separator: "\n").count
            let reasons = first.samples.filter { $0.key.hasPrefix("crm_pipeline_import_rejected_rows{") }
            #expect(reasons.count == RejectReason.allCases.count)
            #expect(reasons.values.reduce(0, +) == Double(rejected))
            let success = try #require(first["crm_pipeline_import_last_success_timestamp_seconds"])
            #expect(success == first["crm_pipeline_import_last_run_timestamp_seconds"])

            let failed = try CommandLineRunner.run(["import", harness.folder + "/drop", "--database-url",
                                                    "postgresql://nobody@127.0.0.1:1/none", "--metrics-file", metrics])
            #expect(failed.status == 69)
            let second = try ParsedMetrics(path: metrics)
            #expect(second["crm_pipeline_import_success"] == 0)
            #expect(second["crm_pipeline_import_exit_code"] == 69)
            #expect(second["crm_pipeline_import_last_success_timestamp_seconds"] == success, "the last success is kept")
            #expect(second.samples.keys.allSatisfy { !$0.hasPrefix("crm_pipeline_import_rows") }, "no rows for a run that loaded none")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: harness.folder).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "written through a temporary file renamed into place")
        }
    }

    @Test("run --metrics-file: the pipeline's outcome and its imports' rows")
    func runMetrics() throws {
        try TestDatabase.withFresh(migrated: false) { database in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop")
            let metrics = harness.folder + "/pipeline.prom"
            let outcome = try harness.run("pipelines/nightly-import.yml", ["--metrics-file", metrics])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let parsed = try ParsedMetrics(path: metrics)
            #expect(parsed["crm_pipeline_run_success"] == 1)
            #expect(parsed["crm_pipeline_run_rows{entity=\"users\",outcome=\"inserted\"}"] == 200)
            #expect(parsed["crm_pipeline_run_files{state=\"read\"}"] == 5)
        }
    }

    @Test("a metrics file that cannot be written is exit 73, naming it")
    func unwritable() throws {
        try TestDatabase.withFresh { database in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "drop", users: 10)
            let outcome = try CommandLineRunner.run(["import", harness.folder + "/drop", "--database-url", database.url,
                                                     "--reject-file", harness.folder + "/r.jsonl", "--metrics-file", "/nonexistent/dir/crm.prom"])
            #expect(outcome.status == 73)
            #expect(outcome.standardError.contains("/nonexistent/dir/crm.prom: error: cannot write the metrics file"))
        }
    }
}
