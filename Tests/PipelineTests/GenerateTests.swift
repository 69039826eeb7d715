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

    @Test("users, activity and payments are spread over every month of the --months window, which ends in December 2025")
    func spreadOverTheWindow() throws {
        let folder = NSTemporaryDirectory() + "crm-generate-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try CommandLineRunner.run(["generate", "--users", "2000", "--bad-rows", "0", "--duplicates", "0", "--out", folder])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let window = Set((1...12).map { String(format: "2025-%02d", $0) })
        for file in ["users.csv", "job_requests.csv", "recordings.csv", "resumes.csv", "payments.csv"] {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            // The month of each row's first timestamp (created_at; paid_at for payments).
            let months = Set(text.split(separator: "\n").dropFirst().compactMap { line in
                line.split(separator: ",").first { $0.count >= 20 && $0.dropFirst(4).first == "-" && $0.contains("T") }
                    .map { String($0.prefix(7)) }
            })
            #expect(window.isSubset(of: months), "\(file): no rows in \(window.subtracting(months).sorted())")
            // Beyond the window only by the time zones the rows are written in (UTC-5 to UTC+9).
            #expect(months.subtracting(window).isSubset(of: ["2024-12", "2026-01"]), "\(file): \(months.sorted())")
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

    @Test("the generated samples are byte for byte what their commands write (samples/README.md)", arguments: [
        ("hubspot-xlsx", ["--layout", "hubspot", "--format", "xlsx", "--users", "12", "--seed", "2024"]),
        ("salesforce-export", ["--layout", "salesforce", "--users", "12", "--seed", "2024", "--pack", "zip"]),
        ("compressed", ["--users", "30", "--seed", "2024", "--pack", "gz"]),
    ])
    func samplesAreGenerated(folder: String, arguments: [String]) throws {
        let out = NSTemporaryDirectory() + "crm-samples-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outcome = try CommandLineRunner.run(["generate"] + arguments + ["--out", out])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let sample = SharedFolder.projectRoot + "/samples/" + folder
        let names = try FileManager.default.contentsOfDirectory(atPath: sample).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == names)
        for name in names {
            #expect(FileManager.default.contents(atPath: "\(out)/\(name)") == FileManager.default.contents(atPath: "\(sample)/\(name)"), "\(name)")
        }
    }

    @Test("--pack gz, zip and tar.gz give the files that import like the loose ones")
    func packing() throws {
        let base = NSTemporaryDirectory() + "crm-pack-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: base) }
        for pack in ["gz", "zip", "tar.gz"] {
            let outcome = try CommandLineRunner.run(["generate", "--users", "20", "--pack", pack, "--out", "\(base)/\(pack)"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/gz").sorted() == [
            "job_requests.csv.gz", "payments.csv.gz", "recordings.csv.gz", "resumes.csv.gz", "users.csv.gz"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/zip") == ["crm-export.zip"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/tar.gz") == ["crm-export.tar.gz"])
    }
}
