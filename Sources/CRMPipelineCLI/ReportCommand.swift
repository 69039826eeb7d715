import ArgumentParser
import Foundation
import PipelineCore
import PostgresClient
import Report

/// `crm-pipeline report KIND`: users, summary, credits, tables or imports (SPEC §5).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a report: users, summary, credits, tables or imports.",
        discussion: """
            The period is the last complete month unless --month or --from/--to is given (UTC).
            Formats: table (terminal), csv, json (stable shape, see docs/reports.md), markdown, html (one
            self-contained file with charts).
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "users, summary, credits, tables or imports.")
    var kind: ReportKind

    @Option(help: ArgumentHelp("The month to report on.", valueName: "YYYY-MM"))
    var month: String?

    @Option(help: ArgumentHelp("The first day of the period.", valueName: "YYYY-MM-DD"))
    var from: String?

    @Option(help: ArgumentHelp("The last day of the period, included.", valueName: "YYYY-MM-DD"))
    var to: String?

    @Option(help: "table, csv, json, markdown or html.")
    var format: ReportFormat = .table

    @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "path"))
    var output: String?

    @Option(help: "At most this many rows (users: the most active in the period).")
    var top: Int?

    func validate() throws {
        if month != nil && (from != nil || to != nil) { throw ValidationError("give either --month or --from/--to") }
        if (from == nil) != (to == nil) { throw ValidationError("--from and --to go together") }
        if let month, ReportPeriod.month(month) == nil { throw ValidationError("--month must be YYYY-MM, got \(month)") }
        if let from, let to, ReportPeriod.days(from: from, to: to) == nil {
            throw ValidationError("--from and --to must be YYYY-MM-DD dates, --from not after --to")
        }
        if let top, top < 1 { throw ValidationError("--top must be 1 or more") }
    }

    private var period: ReportPeriod {
        if let month, let period = ReportPeriod.month(month) { return period }
        if let from, let to, let period = ReportPeriod.days(from: from, to: to) { return period }
        return ReportPeriod.lastCompleteMonth()
    }

    func run() throws {
        try runReportingErrors {
            _ = options.bootstrapLogging()
            let connection = try PostgresConnection(url: options.resolvedDatabaseURL)
            // One snapshot for the whole report (the builder's): consistent even while an import runs.
            let report = try ReportBuilder(
                connection: connection, period: period, periodGiven: month != nil || from != nil, top: top
            ).build(kind)
            let text = format.render(report, width: TerminalWidth.current)
            guard let output else {
                print(text, terminator: "")
                return
            }
            do {
                let folder = (output as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw OutputFileError(path: output, reason: "\(error.localizedDescription)")
            }
            print("Wrote the \(kind.rawValue) report (\(format.rawValue)) to \(output)")
        }
    }
}

/// A report file that cannot be written.
struct OutputFileError: UserFacingError {
    let path: String
    let reason: String
    var exitStatus: ExitStatus { .cannotCreate }
    var description: String { "cannot write \(path): \(reason)" }
}

/// The terminal's width in columns (`COLUMNS`, else the terminal, else 120).
enum TerminalWidth {
    static var current: Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 20 { return columns }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 120
    }
}

extension ReportKind: ExpressibleByArgument {}
extension ReportFormat: ExpressibleByArgument {}
