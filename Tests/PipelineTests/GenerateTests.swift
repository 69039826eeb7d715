import Foundation
import PipelineCore
import TestSupport
import Testing

@Suite("generate, through the binary")
struct GenerateTests {
    @Test("the same seed gives byte-identical files; another seed does not", arguments: ["csv", "xml"])
    func deterministic(format: String) throws {
        let base = NSTemporaryDirectory() + "crm-generate-" + UUID().uuidString
        for (folder, seed) in [("a", "5"), ("b", "5"), ("c", "6")] {
            let outcome = try CommandLineRunner.run(["generate", "--users", "300", "--format", format, "--seed", seed, "--out", base + "/" + folder])
            #expect(outcome.status == 0)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: base + "/a").sorted()
        #expect(names == (format == "csv" ? ["job_requests.csv", "payments.csv", "recordings.csv", "resumes.csv", "users.csv"] : ["crm-export.xml"]))
        for name in names {
            let a = FileManager.default.contents(atPath: "\(base)/a/\(name)")
            #expect(a == FileManager.default.contents(atPath: "\(base)/b/\(name)"))
            #expect(a != FileManager.default.contents(atPath: "\(base)/c/\(name)"))
        }
    }

    @Test("a clean set imports with no reject and verify is clean", arguments: ["csv", "xml"])
    func cleanSet(format: String) throws {
        try TestDatabase.withFresh { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "clean", users: 300, extra: ["--bad-rows", "0", "--duplicates", "0", "--format", format])
            let outcome = try CommandLineRunner.run(["import", harness.folder + "/clean", "--database-url", database.url, "--reject-file", harness.folder + "/r.jsonl"])
            #expect(outcome.status == 0)
            #expect(!outcome.standardOutput.contains("Rejected rows"))
            #expect(try CommandLineRunner.run(["verify", "--database-url", database.url]).status == 0)
        }
    }

    @Test("the requested duplicates and bad rows come back as merges and rejects of every reason")
    func sharesComeBack() throws {
        try TestDatabase.withFresh { database throws in
            let harness = try PipelineHarness(database)
            try harness.generate(into: "dirty", users: 1_000, extra: ["--bad-rows", "0.2", "--duplicates", "0.1"])
            let outcome = try CommandLineRunner.run(["import", harness.folder + "/dirty", "--database-url", database.url, "--reject-file", harness.folder + "/r.jsonl"])
            #expect(outcome.status == 0)
            let lines = try String(contentsOfFile: harness.folder + "/r.jsonl", encoding: .utf8).split(separator: "\n")
            let reasons = Set(lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["reason"] as? String
            })
            let expected: Set<String> = ["invalid_email", "missing_required", "invalid_date", "future_date", "invalid_url",
                                         "invalid_number", "out_of_range", "unknown_user", "unknown_job_request",
                                         "malformed_row", "insufficient_credits"]
            #expect(reasons == expected)
            #expect((150...250).contains(lines.count), "\(lines.count) rejects")
            let merges = outcome.standardOutput.split(separator: "\n").first { $0.hasPrefix("Duplicates merged") }
            let count = merges.flatMap { Int($0.split(separator: "(")[1].split(separator: ")")[0]) } ?? 0
            #expect((60...140).contains(count), "\(count) merges")
            #expect(try CommandLineRunner.run(["verify", "--database-url", database.url]).status == 0)
        }
    }
}
