import ArgumentParser
import Foundation
import Generate

/// `crm-pipeline generate`: realistic, deterministic synthetic exports for demos and benchmarks.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic CRM export (all five entities), the same bytes for the same seed.",
        discussion: """
            Each user gets 0–3 job requests, 0–5 recordings (linked to their job requests, charged only
            while they have credits), 0–2 resumes and 0–2 payments. Sign-ups are spread over the --months
            that end with December 2025, and each user's activity over the rest of that window. --duplicates adds a second row for that share of users (other case, spaces, empty
            fields); --bad-rows adds rows each wrong for one reject reason. Use 0 and 0 for a clean set.
            --layout hubspot|salesforce|pipedrive writes that CRM's contacts export instead (users only, in its
            columns and date formats), for the shipped mappings; --required-only keeps the email column alone.
            """
    )

    @Option(help: "How many users.")
    var users = 1_000

    @Option(help: "csv (one file per entity), xml (one crm-export.xml) or xlsx (one crm-export.xlsx, a sheet per entity).")
    var format: GenerateOptions.Format = .csv

    @Option(help: "The random seed.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Where to write the files.", valueName: "dir"))
    var out = "generated"

    @Option(help: "The share of users that appear twice (0–1).")
    var duplicates = 0.05

    @Option(name: .customLong("bad-rows"), help: "The share of users (0–1) that get one extra bad row.")
    var badRows = 0.02

    @Option(help: "Dates spread over this many months.")
    var months = 12

    @Option(help: "Write a CRM's contacts export instead: hubspot, salesforce (Contact.csv, or XML with --format xml) or pipedrive.")
    var layout: ContactLayout?

    @Flag(name: .customLong("required-only"), help: "With --layout: only the email column.")
    var requiredOnly = false

    @Option(help: "Pack the files written: gz (each gzipped), zip or tar.gz (one archive).")
    var pack: GenerateOptions.Packing?

    func validate() throws {
        guard users >= 0 else { throw ValidationError("--users must be 0 or more") }
        guard (0...1).contains(duplicates), (0...1).contains(badRows) else {
            throw ValidationError("--duplicates and --bad-rows are shares between 0 and 1")
        }
        guard (1...600).contains(months) else { throw ValidationError("--months must be between 1 and 600") }
        guard layout != nil || !requiredOnly else { throw ValidationError("--required-only needs --layout") }
        if let layout, format == .xml, layout != .salesforce {
            throw ValidationError("--format xml with --layout is Salesforce's only (its API writes XML)")
        }
        if layout == .salesforce, format == .xlsx {
            throw ValidationError("--format xlsx with --layout is for hubspot and pipedrive (Salesforce exports CSV or XML)")
        }
    }

    func run() throws {
        try runReportingErrors {
            var options = GenerateOptions()
            options.users = users
            options.format = format
            options.seed = seed
            options.out = out
            options.duplicates = duplicates
            options.badRows = badRows
            options.months = months
            options.pack = pack
            let counts = try layout.map { try ContactExportGenerator(options: options, layout: $0, requiredOnly: requiredOnly).run() }
                ?? ExportGenerator(options: options).run()
            let total = counts.values.reduce(0, +)
            print("Wrote \(total) rows to \(out): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}

extension GenerateOptions.Format: ExpressibleByArgument {}
extension ContactLayout: ExpressibleByArgument {}
extension GenerateOptions.Packing: ExpressibleByArgument {}
