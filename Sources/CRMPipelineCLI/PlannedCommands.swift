import ArgumentParser

// Commands of SPEC §3 that later issues build. Each accepts any arguments and exits 70 for now.

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import CRM exports (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { try runReportingErrors { throw NotImplementedError(command: "import") } }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Print a report (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { try runReportingErrors { throw NotImplementedError(command: "report") } }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check stats and credits against the rows (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { try runReportingErrors { throw NotImplementedError(command: "verify") } }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a pipeline file (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { try runReportingErrors { throw NotImplementedError(command: "run") } }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write synthetic CRM exports (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { try runReportingErrors { throw NotImplementedError(command: "generate") } }
}
