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

struct RunCommand: PlannedCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a pipeline file (not yet).")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
