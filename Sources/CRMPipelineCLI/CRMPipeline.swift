import ArgumentParser

/// The `crm-pipeline` command: imports CRM exports into PostgreSQL and reports on them.
@main
struct CRMPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-pipeline",
        abstract: "Import CRM exports (CSV, XML) into PostgreSQL, and report on them.",
        discussion: """
            Exit codes follow sysexits.h: 0 done, 64 usage, 65 bad input data, 66 input missing,
            69 database unreachable, 70 internal error, 75 another import holds the lock.
            """,
        version: "0.1.0",
        subcommands: [
            MigrateCommand.self, ImportCommand.self, ReportCommand.self, VerifyCommand.self,
            RunCommand.self, GenerateCommand.self,
        ]
    )
}
