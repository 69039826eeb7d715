import ArgumentParser
import Extract
import Foundation
import Load
import Logging
import PipelineCore
import Validate

/// `crm-pipeline import PATH...`: extract → validate → dedupe → load (SPEC §4).
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import CRM exports (CSV or XML files, or folders of them).",
        discussion: """
            nightly mode loads everything in one transaction: all of it or none of it. Rejected rows go
            to the reject file (JSON Lines, mode 0600) and do not fail the run unless --max-errors or
            --max-error-rate is exceeded. A file already imported (same sha256) is skipped unless --force.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("A mapping file (YAML) for a foreign export.", valueName: "file"))
    var mapping: String?

    @Option(help: "csv or xml; by default the file extension decides.")
    var format: InputFormatArgument?

    @Option(help: "nightly (one transaction) or backfill (chunked commits, resumable).")
    var mode: ImportOptions.Mode = .nightly

    @Option(help: "charge: a charged recording uses a credit; skip: load recordings uncharged.")
    var credits: RecordValidator.CreditPolicy = .charge

    @Option(name: .customLong("reject-file"), help: ArgumentHelp("Where rejected rows go (JSON Lines).", valueName: "path"))
    var rejectFile: String?

    @Option(name: .customLong("max-errors"), help: "Fail, committing nothing, when more rows are rejected.")
    var maxErrors: Int?

    @Option(name: .customLong("max-error-rate"), help: "Fail, committing nothing, when a larger share (0–1) is rejected.")
    var maxErrorRate: Double?

    @Option(help: ArgumentHelp(
        "The CRM these users come from: a snapshot removes only users of its own source (default: default).", valueName: "name"))
    var source: String = ImportOptions().source

    @Flag(name: .customLong("users-snapshot"), help: """
        The users files are the source's complete list: its stored users they do not name are removed, with all their rows.
        """)
    var usersSnapshot = false

    @Option(name: .customLong("max-deletes"), help: "Fail, committing nothing, when the import would remove more stored users.")
    var maxDeletes: Int?

    @Option(name: .customLong("max-delete-rate"), help: ArgumentHelp(
        "Fail, committing nothing, when it would remove a larger share (0–1) of the stored users (from 10 removals on).",
        valueName: "rate"))
    var maxDeleteRate: Double = ImportOptions().maxDeleteRate

    @Flag(name: .customLong("dry-run"), help: "Do everything, then roll back.")
    var dryRun = false

    @Flag(help: "Import files even if they were imported before.")
    var force = false

    @Option(help: "Backfill: parallel connections, each loading its own chunks of users.")
    var jobs = 1

    @Option(name: .customLong("chunk-rows"), help: "Backfill: rows per chunk; each chunk commits on its own.")
    var chunkRows = 100_000

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp(
        "Write the run's outcome for Prometheus' node exporter (textfile collector), replacing the file atomically.",
        valueName: "path"))
    var metricsFile: String?

    @Option(name: .customLong("move-to"), help: ArgumentHelp(
        "After a successful import, move the input files into this folder (a drop folder's processed/).",
        valueName: "dir"))
    var moveTo: String?

    @Option(help: "CSV field separator: , ; | or tab.")
    var delimiter: String = ","

    @Option(help: "utf-8, latin1 or windows-1252.")
    var encoding: TextEncoding = .utf8

    func validate() throws {
        guard let byte = delimiterByte else { throw ValidationError("--delimiter must be one of , ; | tab") }
        _ = byte
        if let maxErrors, maxErrors < 0 { throw ValidationError("--max-errors must be 0 or more") }
        if let maxErrorRate, !(0...1).contains(maxErrorRate) { throw ValidationError("--max-error-rate must be between 0 and 1") }
        if let maxDeletes, maxDeletes < 0 { throw ValidationError("--max-deletes must be 0 or more") }
        if source.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--source needs a name") }
        if !(0...1).contains(maxDeleteRate) { throw ValidationError("--max-delete-rate must be between 0 and 1") }
        if jobs < 1 { throw ValidationError("--jobs must be 1 or more") }
        if chunkRows < 1 { throw ValidationError("--chunk-rows must be 1 or more") }
        if jobs > 1 && mode != .backfill { throw ValidationError("--jobs needs --mode backfill: a nightly import is one transaction on one connection") }
    }

    private var delimiterByte: UInt8? {
        switch delimiter {
        case ",": UInt8(ascii: ",")
        case ";": UInt8(ascii: ";")
        case "|": UInt8(ascii: "|")
        case "\t", "tab", "\\t": UInt8(ascii: "\t")
        default: nil
        }
    }

    func run() throws {
        var outcome = ImportOutcome(tally: nil, exitStatus: .ok, seconds: 0)
        outcome.dryRun = dryRun
        let started = Date()
        do {
            try importFiles(&outcome)
        } catch {
            outcome.exitStatus = ExitStatus.of(error)
            try? ImportMetricsRecorder.record(outcome, since: started, file: metricsFile, prefix: "crm_pipeline_import")
            throw error
        }
        try ImportMetricsRecorder.record(outcome, since: started, file: metricsFile, prefix: "crm_pipeline_import")
    }

    private func importFiles(_ outcome: inout ImportOutcome) throws {
        try runReportingErrors {
            let logger = options.bootstrapLogging()
            var importOptions = ImportOptions()
            importOptions.mode = mode
            importOptions.credits = credits
            importOptions.format = format?.format
            importOptions.mapping = try mapping.map { try MappingLoader.load(path: $0) }
            importOptions.csv = CSVOptions(delimiter: delimiterByte ?? UInt8(ascii: ","), encoding: encoding)
            importOptions.rejectFile = rejectFile
            importOptions.maxErrors = maxErrors
            importOptions.maxErrorRate = maxErrorRate
            importOptions.source = source
            importOptions.usersSnapshot = usersSnapshot
            importOptions.maxDeletes = maxDeletes
            importOptions.maxDeleteRate = maxDeleteRate
            importOptions.dryRun = dryRun
            importOptions.force = force
            importOptions.jobs = jobs
            importOptions.chunkRows = chunkRows
            let files = try InputFile.collect(paths, format: importOptions.format, mapping: importOptions.mapping) { member in
                logger.notice("not a CRM file: skipped", metadata: ["member": "\(member)"])
            }
            let progress = ProgressReporter(logger: logger)
            let importer = Importer(url: options.resolvedDatabaseURL, options: importOptions, logger: logger, progress: progress.update)
            let summary = try importer.run(files: files)
            progress.finish()
            let paths = files.map(\.path).uniqued()
            outcome.tally = summary.tally
            outcome.filesSkipped = summary.skippedFiles.count
            outcome.filesRead = paths.count - summary.skippedFiles.count
            outcome.inputBytes = paths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
            print(ImportSummaryView(summary: summary).text, terminator: "")
            if let moveTo, !dryRun {
                let moved = try ProcessedFiles.move(files.map(\.path).uniqued(), to: moveTo)
                print("Moved \(moved.count) file(s) to \(moveTo).")
            }
        }
    }
}

/// `--format csv|xml`.
struct InputFormatArgument: ExpressibleByArgument {
    let format: InputFormat
    init?(argument: String) {
        guard let format = InputFormat(rawValue: argument.lowercased()) else { return nil }
        self.format = format
    }
}

extension ImportOptions.Mode: ExpressibleByArgument {}
extension RecordValidator.CreditPolicy: ExpressibleByArgument {}
extension TextEncoding: ExpressibleByArgument {}
