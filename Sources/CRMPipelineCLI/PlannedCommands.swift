import ArgumentParser

/// A command of SPEC §3 that a later issue builds: it accepts any arguments and exits 70 for now.
protocol PlannedCommand: ParsableCommand {
    var arguments: [String] { get }
}

extension PlannedCommand {
    func run() throws {
        try runReportingErrors { throw NotImplementedError(command: Self.configuration.commandName ?? "") }
    }
}

struct ReportCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print a report (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct VerifyCommand: PlannedCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check stats and credits against the rows (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct RunCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a pipeline file (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}

struct GenerateCommand: PlannedCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write synthetic CRM exports (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
