import ArgumentParser

/// The `crm-pipeline` command: imports CRM exports into PostgreSQL and reports on them.
@main
struct CRMPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-pipeline",
        abstract: "Import CRM exports (CSV, XML) into PostgreSQL, and report on them.",
        discussion: """
            Exit codes (sysexits.h), for cron and wrappers:
              0   done; rejected rows are reported, not failures
              64  usage: a bad option, database URL, mapping or pipeline file
              65  bad input data, or rejects over the threshold: nothing was committed
              66  an input file is missing or unreadable
              69  the database is unreachable: retry later
              70  internal error: please report it
              73  an output file (reject file, report, migration file) cannot be created
              74  writing an output file failed (a full disk)
              75  another import holds the lock: try later
            """,
        version: "0.1.0",
        subcommands: [
            MigrateCommand.self, ImportCommand.self, ReportCommand.self, VerifyCommand.self,
            RunCommand.self, GenerateCommand.self,
        ]
    )
}
