import Foundation
import PipelineCore
import TestSupport
import Testing

@Suite("Import exit codes and inputs, through the binary")
struct ImportExitCodeTests {
    @Test("a missing input file exits 66")
    func missingFile() throws {
        let outcome = try CommandLineRunner.run(["import", "/nonexistent/users.csv", "--database-url", "host=/nonexistent"])
        #expect(outcome.status == ExitStatus.noInput.rawValue)
        #expect(outcome.standardError.contains("/nonexistent/users.csv"))
    }

    @Test("usage errors exit 64: a file of no known kind, a bad mapping, bad options", arguments: [
        (["contacts.csv"], [String]()),
        (["users.csv"], ["--mapping", "MAPPING"]),
        (["users.csv"], ["--delimiter", "x"]),
        (["users.csv"], ["--max-error-rate", "2"]),
        (["users.csv"], ["--credits", "free"]),
    ])
    func usage(files: [String], options: [String]) throws {
        let folder = NSTemporaryDirectory() + "crm-usage-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files { _ = FileManager.default.createFile(atPath: folder + "/" + file, contents: Data("email\n".utf8)) }
        _ = FileManager.default.createFile(atPath: folder + "/mapping.yml", contents: Data("users:\n  colums: {}\n".utf8))
        let arguments = ["import"] + files.map { folder + "/" + $0 }
            + options.map { $0 == "MAPPING" ? folder + "/mapping.yml" : $0 } + ["--database-url", "host=/nonexistent"]
        let outcome = try CommandLineRunner.run(arguments)
        #expect(outcome.status == ExitStatus.usage.rawValue, "\(outcome.standardError)")
    }

    @Test("an unreachable database exits 69")
    func unreachable() throws {
        let folder = NSTemporaryDirectory() + "crm-unreachable-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/users.csv", contents: Data("email\na@example.com\n".utf8))
        let outcome = try CommandLineRunner.run(["import", folder, "--database-url", "postgresql://u:pw-secret@127.0.0.1:1/crm"])
        #expect(outcome.status == ExitStatus.unavailable.rawValue)
        #expect(!outcome.standardError.contains("pw-secret"))
    }

    @Test("each hostile XML document is refused with exit 65 and nothing is loaded",
          .enabled(if: SharedFolder.hasConformance, Comment(rawValue: SharedFolder.conformanceMissing)), arguments: [
        "01_billion_laughs.xml", "02_quadratic_blowup.xml", "03_xxe_local_file.xml",
        "04_external_dtd.xml", "05_xxe_parameter_entity.xml", "06_xxe_network_entity.xml",
    ])
    func hostileXML(file: String) throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let outcome = try harness.run([SharedFolder.conformance + "/xml-attacks/" + file])
            #expect(outcome.status == ExitStatus.dataError.rawValue, "\(outcome.standardError)")
            #expect(outcome.standardError.contains(file + ":"))
            #expect(!(outcome.standardError + outcome.standardOutput).contains("root:x:0:0"))
            #expect(try harness.counts() == "0/0/0/0/0/0")
        }
    }

    @Test("the shipped samples import with the expected rejects and every invariant holds", arguments: [
        ("samples/csv", [String](), "users            8         5"),
        ("samples/xml", [], "users            8         5"),
        ("samples/hubspot", ["--mapping", "pipelines/mappings/hubspot-contacts.yml"], "users            6         4"),
        ("samples/salesforce", ["--mapping", "pipelines/mappings/salesforce-contacts.yml"], "users            2         2"),
    ])
    func samples(path: String, options: [String], expected: String) throws {
        let root = SharedFolder.projectRoot
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            let outcome = try harness.run([root + "/" + path], options.map { $0.hasPrefix("pipelines/") ? root + "/" + $0 : $0 })
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains(expected), "\(outcome.standardOutput)")
            #expect(try harness.invariantViolations().isEmpty)
        }
    }
}

@Suite("Import output, through the binary")
struct ImportOutputTests {
    @Test("--log-format json writes one JSON object per log line, without personal data")
    func jsonLogs() throws {
        try TestDatabase.withFresh { database throws in
            let harness = ImportHarness(database)
            harness.write("users.csv", "email,first_name\nsecret.person@example.com,Zebulon\nbad,X\n")
            let outcome = try harness.run(nil, ["--log-format", "json"])
            #expect(outcome.status == 0)
            let lines = outcome.standardError.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["level"] != nil && object?["message"] != nil, "\(line)")
            }
            #expect(!outcome.standardError.contains("secret.person"))
            #expect(!outcome.standardError.contains("Zebulon"))
            #expect(outcome.standardOutput.contains("Rejected rows by reason: invalid_email 1"))
        }
    }
}
