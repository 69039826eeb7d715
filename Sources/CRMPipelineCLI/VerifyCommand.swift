import ArgumentParser
import PipelineCore
import PostgresClient
import Report

/// `crm-pipeline verify`: checks stats, credits and every invariant of SPEC §2; `--fix` repairs drift.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check stats and credits against the real rows, and every invariant; --fix repairs drift.",
        discussion: "Exits 0 when everything holds, 65 when something does not (each violation is listed)."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Repair stats and credits drift in one transaction, then check again.")
    var fix = false

    func run() throws {
        try runReportingErrors {
            _ = options.bootstrapLogging()
            let connection = try PostgresConnection(url: options.resolvedDatabaseURL)
            let verifier = Verifier(connection: connection)
            if fix {
                let changes = try verifier.fix()
                print(changes.isEmpty ? "Nothing to repair." : "Repaired \(changes.count) drift(s):")
                changes.forEach { print("  " + $0) }
            }
            let violations = try verifier.check()
            guard !violations.isEmpty else {
                print("All invariants hold: stats equal the real rows, credits equal the ledger, RLS, privileges and triggers are in place.")
                return
            }
            print("\(violations.count) violation(s):")
            violations.forEach { print("  \($0)") }
            throw VerificationFailed(count: violations.count)
        }
    }
}

/// Verify found violations: exit 65, after listing them.
struct VerificationFailed: UserFacingError {
    let count: Int
    var exitStatus: ExitStatus { .dataError }
    var description: String { "\(count) invariant violation(s) found (listed above); `crm-pipeline verify --fix` repairs stats and credits drift" }
}
