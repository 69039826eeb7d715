import Foundation
import TestSupport
import Testing

@Suite("make install, through scripts/install.sh")
struct InstallTests {
    @Test("the installed binary runs from anywhere through PREFIX/bin, and finds its migrations in PREFIX/lib/crm-pipeline")
    func installedBinaryRuns() throws {
        let prefix = NSTemporaryDirectory() + "crm-install-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let binDir = URL(fileURLWithPath: CommandLineRunner.binaryPath).deletingLastPathComponent().path
        let installed = try CommandLineRunner.run(executable: SharedFolder.projectRoot + "/scripts/install.sh", [prefix, binDir])
        #expect(installed.status == 0, "\(installed.standardError)")
        let binary = prefix + "/bin/crm-pipeline"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: binary) == "../lib/crm-pipeline/crm-pipeline")
        #expect(FileManager.default.fileExists(atPath: prefix + "/lib/crm-pipeline/crm-pipeline_Migrate.resources/Migrations/0001_supabase_shim.sql"))
        let printed = try CommandLineRunner.run(executable: binary, ["migrate", "--print", "--all"])
        #expect(printed.status == 0, "\(printed.standardError)")
        #expect(printed.standardOutput.contains("0017_privileges.sql"))
    }

    @Test("without a build to install, install.sh says what is missing (66)")
    func nothingToInstall() throws {
        let outcome = try CommandLineRunner.run(
            executable: SharedFolder.projectRoot + "/scripts/install.sh", [NSTemporaryDirectory() + "crm-install-none", "/nonexistent"])
        #expect(outcome.status == 66)
        #expect(outcome.standardError.contains("build crm-pipeline first"))
    }
}
