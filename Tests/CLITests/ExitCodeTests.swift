import Foundation
import PipelineCore
import TestSupport
import Testing

@Suite("Exit codes and messages, through the binary")
struct ExitCodeTests {
    static let password = "Sup3r-s3cret!pw"

    @Test("an unreachable database exits 69 naming host, port and database, without the password", arguments: [
        ["--database-url", "postgresql://loader:Sup3r-s3cret%21pw@127.0.0.1:1/crm_prod"],
        ["--database-url", "host=127.0.0.1 port=1 dbname=crm_prod user=loader password=Sup3r-s3cret!pw"],
    ])
    func unreachable(arguments: [String]) throws {
        let outcome = try CommandLineRunner.run(["migrate"] + arguments)
        #expect(outcome.status == ExitStatus.unavailable.rawValue)
        #expect(outcome.standardError.contains("127.0.0.1"))
        #expect(outcome.standardError.contains("port=1"))
        #expect(outcome.standardError.contains("crm_prod"))
        #expect(!(outcome.standardError + outcome.standardOutput).contains("s3cret"))
    }

    @Test("DATABASE_URL and PGPASSWORD are used, and the password is never printed")
    func environmentConnection() throws {
        let outcome = try CommandLineRunner.run(
            ["migrate", "--status"],
            environment: [
                "DATABASE_URL": "postgresql://loader@127.0.0.1:1/crm_env",
                "PGPASSWORD": Self.password,
            ])
        #expect(outcome.status == ExitStatus.unavailable.rawValue)
        #expect(outcome.standardError.contains("crm_env"))
        #expect(!(outcome.standardError + outcome.standardOutput).contains("s3cret"))
    }

    @Test("without a URL, libpq's PG* variables choose the server")
    func libpqDefaults() throws {
        let outcome = try CommandLineRunner.run(
            ["migrate", "--status"],
            environment: ["DATABASE_URL": nil, "PGHOST": "/nonexistent/pg-socket", "PGPORT": "6543", "PGDATABASE": "crm_pgvars"])
        #expect(outcome.status == ExitStatus.unavailable.rawValue)
        #expect(outcome.standardError.contains("/nonexistent/pg-socket"))
        #expect(outcome.standardError.contains("crm_pgvars"))
    }

    @Test("a malformed URL is a usage error that does not echo it")
    func malformedURL() throws {
        let outcome = try CommandLineRunner.run(
            ["migrate", "--database-url", "postgresql://u:\(Self.password)@h/db?no_such_option=1"])
        #expect(outcome.status == ExitStatus.usage.rawValue)
        #expect(outcome.standardError.contains("cannot be parsed"))
        #expect(!outcome.standardError.contains("s3cret"))
    }

    @Test("a URL with a port that is no number is a usage error (64, not 69: cron must not retry a typo)")
    func malformedPort() throws {
        let outcome = try CommandLineRunner.run(["migrate", "--database-url", "postgresql://bob:\(Self.password)@@host:abc/db"])
        #expect(outcome.status == ExitStatus.usage.rawValue)
        #expect(outcome.standardError.contains("the port must be a number"), "\(outcome.standardError)")
        #expect(!outcome.standardError.contains(Self.password))
    }

    @Test("--help lists every exit code the command line can end with, one per line, within 80 columns")
    func helpListsExitCodes() throws {
        let outcome = try CommandLineRunner.run(["--help"], environment: ["COLUMNS": "80"])
        #expect(outcome.status == 0)
        let lines = outcome.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        for status in ExitStatus.allCases {
            let code = String(status.rawValue)
            #expect(lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(code + " ") }, "exit code \(code)")
        }
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
    }

    @Test("usage errors exit 64", arguments: [
        ["migrate", "--status", "--print"],
        ["migrate", "--all"],
        ["no-such-command"],
        ["migrate", "--log-level", "loud"],
    ])
    func usageErrors(arguments: [String]) throws {
        let outcome = try CommandLineRunner.run(arguments)
        #expect(outcome.status == ExitStatus.usage.rawValue, "\(outcome.standardError)")
        #expect(!outcome.standardError.isEmpty)
    }

    @Test("--help lists the subcommands and exits 0")
    func help() throws {
        let outcome = try CommandLineRunner.run(["--help"])
        #expect(outcome.status == 0)
        for command in ["migrate", "import", "report", "verify", "run", "generate"] {
            #expect(outcome.standardOutput.contains(command))
        }
    }
}
