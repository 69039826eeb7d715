import ArgumentParser
import Foundation
import Migrate
import PostgresClient

/// `crm-pipeline migrate`: applies, lists or prints the schema migrations.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations.",
        discussion: """
            Each migration runs in its own transaction and is recorded with its sha256 in
            crm_private.crm_schema_migrations; an applied migration whose file changed is an error.
            With --print --supabase DIR, each migration becomes a file of its own in DIR (a Supabase
            project's supabase/migrations), without transaction statements, for `supabase db push`.
            With --citus, the CRM tables are then distributed by email over a Citus cluster
            (profiles and auth.users become reference tables); run it on the coordinator. Once
            they are distributed, every migrate does that step again (it is idempotent).
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "List every migration with its state instead of applying.")
    var status = false

    @Flag(name: .customLong("print"), help: "Write the SQL of the pending migrations to standard output instead of applying.")
    var printSQL = false

    @Flag(help: "With --print: write every migration, without connecting to a database.")
    var all = false

    @Option(
        name: .customLong("supabase"),
        help: ArgumentHelp(
            "With --print: write one file per migration into this folder (e.g. supabase/migrations) instead of standard output.",
            valueName: "dir"))
    var supabaseFolder: String?

    @Flag(help: "After migrating, distribute the CRM tables over the Citus cluster (on its coordinator; idempotent).")
    var citus = false

    @Option(help: ArgumentHelp(
        "How long a statement may wait for a lock on a table the app uses, in seconds: the longest the app waits behind a migration.",
        valueName: "seconds"))
    var lockTimeout: Double = LockWaitPolicy().timeout

    @Option(help: "How many times a migration is tried while a table it needs stays locked (the pause between doubles from 0.5 s).")
    var lockAttempts: Int = LockWaitPolicy().attempts

    func validate() throws {
        if status && printSQL { throw ValidationError("--status and --print cannot be combined") }
        if all && !printSQL { throw ValidationError("--all is only valid with --print") }
        if supabaseFolder != nil && !printSQL { throw ValidationError("--supabase is only valid with --print") }
        if citus && (status || printSQL) { throw ValidationError("--citus applies: it cannot be combined with --status or --print") }
        if !(lockTimeout > 0) { throw ValidationError("--lock-timeout must be a number of seconds above 0") }
        if lockAttempts < 1 { throw ValidationError("--lock-attempts must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            let logger = options.bootstrapLogging()
            let migrations = try MigrationCatalog.shipped()
            let migrator = Migrator(migrations: migrations, logger: logger,
                                    lockWait: LockWaitPolicy(timeout: lockTimeout, attempts: lockAttempts))
            if printSQL && all {
                try printMigrations(migrations)
                return
            }
            let connection = try PostgresConnection(url: options.resolvedDatabaseURL)
            if status {
                printStatus(try migrator.status(on: connection))
            } else if printSQL {
                try printMigrations(try migrator.status(on: connection).filter { $0.state == .pending }.map(\.migration))
            } else {
                let url = options.resolvedDatabaseURL
                let applied = try migrator.migrate(connection) { try PostgresConnection(url: url, applicationName: "crm-pipeline migrate") }
                print(applied.isEmpty
                    ? "The database is up to date (\(migrations.count) migrations)."
                    : "Applied \(applied.count) migration(s): \(applied.map(\.name).joined(separator: ", ")).")
                // Once distributed, every migrate distributes again: a new migration may have created what
                // only plain PostgreSQL can have (a trigger that writes profiles from a shard).
                if try citus || CitusDistribution.isDistributed(on: connection) {
                    try CitusDistribution.apply(on: connection)
                    let layout = try CitusDistribution.layout(on: connection)
                    print("Citus: " + layout.map { "\($0.table) \($0.kind)" }.joined(separator: ", ") + ".")
                }
            }
        }
    }

    /// The SQL of `migrations`: one script on standard output, or one file each with `--supabase`.
    private func printMigrations(_ migrations: [Migration]) throws {
        guard let supabaseFolder else {
            print(Migrator.script(for: migrations), terminator: "")
            return
        }
        let written = try MigrationFolder.write(migrations, into: supabaseFolder)
        print(written.isEmpty
            ? "Nothing to write: no migration is pending."
            : "Wrote \(written.count) migration file(s) to \(supabaseFolder): \(written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")).")
    }

    private func printStatus(_ statuses: [Migrator.Status]) {
        let width = statuses.map(\.migration.name.count).max() ?? 10
        print("MIGRATION".padding(toLength: width, withPad: " ", startingAt: 0) + "  STATE    APPLIED AT")
        for status in statuses {
            let name = status.migration.name.padding(toLength: width, withPad: " ", startingAt: 0)
            switch status.state {
            case .applied(let at): print("\(name)  applied  \(at)")
            case .pending: print("\(name)  pending")
            }
        }
        let pending = statuses.filter { $0.state == .pending }.count
        print(pending == 0 ? "Up to date." : "\(pending) pending: run `crm-pipeline migrate` to apply.")
    }
}
