import Foundation
import PipelineCore

/// What `crm-pipeline generate` writes.
public struct GenerateOptions: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, xml, xlsx }

    public var users = 1_000
    public var format = Format.csv
    public var seed: UInt64 = 1
    public var out = "generated"
    /// The share of users that appear a second time (other case, whitespace, empty fields).
    public var duplicates = 0.05
    /// The share of users that get one extra bad row, the rows cycling through every reject reason.
    public var badRows = 0.02
    /// Dates spread over this many months, ending with December 2025 (fixed, so that a seed always
    /// gives the same bytes).
    public var months = 12
    /// Packs the written files afterwards: each gzipped, or all in one zip or tar.gz.
    public var pack: Packing?

    /// How `generate --pack` packs the files it wrote.
    public enum Packing: String, Sendable, CaseIterable {
        case gz, zip
        case tarGz = "tar.gz"
    }

    public init() {}
}

/// Streams a realistic synthetic export of every entity; memory does not grow with `users`.
public struct ExportGenerator {
    private let options: GenerateOptions

    /// The reject reasons the bad rows cycle through (`too_large` would need a 1 MiB field per row).
    static let badReasons: [RejectReason] = [
        .invalidEmail, .missingRequired, .invalidDate, .futureDate, .invalidURL, .invalidNumber, .outOfRange,
        .unknownUser, .unknownJobRequest, .malformedRow, .insufficientCredits,
    ]

    public init(options: GenerateOptions) {
        self.options = options
    }

    /// The files ``run()`` writes, by name.
    var fileNames: [String] {
        switch options.format {
        case .csv: Entity.crmRecords.map { "\($0.name).csv" }
        case .xml: ["crm-export.xml"]
        case .xlsx: ["crm-export.xlsx"]
        }
    }

    /// Writes the files (packed as `options.pack` says) and returns the number of rows per entity, good and bad.
    @discardableResult
    public func run() throws -> [String: Int] {
        let counts = try write()
        if let packing = options.pack { try ExportPacker.pack(fileNames, in: options.out, as: packing, archiveName: "crm-export") }
        return counts
    }

    private func write() throws -> [String: Int] {
        try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        let sink: any RowSink = options.format == .xlsx
            ? try WorkbookSink(folder: options.out) : try ExportSink(folder: options.out, format: options.format)
        var random = SeededGenerator(seed: options.seed)
        let end = Date(timeIntervalSince1970: 1_767_225_599)  // 2025-12-31T23:59:59Z
        let span = Double(options.months) * 30.4 * 86_400
        var badIndex = 0
        func stamp(_ date: Date) -> String {
            Timestamp.format(date, offset: [0, -5 * 3_600, 3_600, 9 * 3_600][Int(date.timeIntervalSince1970) % 4])
        }
        for n in 0..<options.users {
            let email = "user\(n)@\(random.pick(SampleVocabulary.domains))"
            // Sign-ups spread over the whole window, and each user's activity over what is left of it.
            let created = end.addingTimeInterval(-span + Double(random.below(Int(span))))
            let first = random.pick(SampleVocabulary.firstNames)
            let last = random.pick(SampleVocabulary.lastNames)
            let user = [email, "C-\(n)", first, last, "+\(random.below(90) + 1) \(random.below(900_000_000) + 100_000_000)",
                        stamp(created), stamp(created.addingTimeInterval(Double(random.below(86_400 * 30))))]
            try sink.write(.users, user)
            if random.chance(options.duplicates) {
                try sink.write(.users, ["  " + email.uppercased() + " ", "C-\(n)", "", last + "-" + first, "", "", stamp(created)])
            }
            var time = created
            // Normal rows end an hour before the window does: the insufficient-credits bad rows come last.
            let lastNormal = end.addingTimeInterval(-3_600)
            func later() -> Date {
                let left = max(lastNormal.timeIntervalSince(time), 0)
                time = time.addingTimeInterval(Double(random.below(max(Int(left / 16), 1)) + 60))
                return min(time, lastNormal)
            }
            let payments = random.below(3)
            for p in 0..<payments {
                try sink.write(.payments, [email, "P\(p)", String(random.below(5_000) + 500), random.pick(SampleVocabulary.currencies), stamp(later())])
            }
            let jobs = random.below(4)
            for j in 0..<jobs {
                let date = later()
                try sink.write(.jobRequests, [email, "J\(j)", random.pick(SampleVocabulary.jobTitles),
                                              random.pick(SampleVocabulary.companies), random.pick(SampleVocabulary.statuses),
                                              stamp(date), stamp(date)])
            }
            var credits = CreditRule.balance(payments: payments, chargedRecordings: 0)
            for r in 0..<random.below(6) {
                let charged = credits >= CreditRule.creditsPerRecording && random.chance(0.7)
                if charged { credits -= CreditRule.creditsPerRecording }
                try sink.write(.recordings, [email, "R\(r)", jobs > 0 ? "J\(random.below(jobs))" : "",
                                             "https://cdn.example.com/videos/\(n)/\(r).mp4", String(random.below(600)),
                                             charged ? "true" : "false", stamp(later())])
            }
            for c in 0..<random.below(3) {
                try sink.write(.resumes, [email, "CV\(c)", "https://cdn.example.com/cv/\(n)-\(c).pdf", "cv \(first) \(last).pdf", stamp(later())])
            }
            // A bad row: an extra row, wrong for exactly one reason, about a user that is fine.
            if random.chance(options.badRows) {
                let reason = Self.badReasons[badIndex % Self.badReasons.count]
                badIndex += 1
                try writeBadRow(reason, email: email, user: n, credits: credits, sink: sink, stamp: stamp(later()))
            }
        }
        return try sink.finish()
    }

    private func writeBadRow(_ reason: RejectReason, email: String, user: Int, credits: Int, sink: any RowSink, stamp: String) throws {
        switch reason {
        case .invalidEmail:
            try sink.write(.users, ["not-an-email-\(user)", "C-bad", "Bad", "Email", "", stamp, stamp])
        case .missingRequired:
            try sink.write(.jobRequests, [email, "JBAD", "", "Nowhere", "applied", stamp, stamp])
        case .invalidDate:
            try sink.write(.resumes, [email, "CVBAD", "https://cdn.example.com/cv/bad.pdf", "bad.pdf", "2025-02-30"])
        case .futureDate:
            try sink.write(.payments, [email, "PBAD", "900", "EUR", "2999-01-01T00:00:00Z"])
        case .invalidURL:
            try sink.write(.recordings, [email, "RBAD1", "", "ftp://cdn.example.com/bad.mp4", "10", "false", stamp])
        case .invalidNumber:
            try sink.write(.recordings, [email, "RBAD2", "", "https://cdn.example.com/bad.mp4", "ten", "false", stamp])
        case .outOfRange:
            try sink.write(.payments, [email, "PBAD2", "-100", "EUR", stamp])
        case .unknownUser:
            try sink.write(.resumes, ["nobody\(user)@nowhere.example.com", "CV", "https://cdn.example.com/cv/x.pdf", "x.pdf", stamp])
        case .unknownJobRequest:
            try sink.write(.recordings, [email, "RBAD3", "JNONE", "https://cdn.example.com/bad.mp4", "10", "false", stamp])
        case .malformedRow:
            try sink.write(.resumes, [email, "CVBAD2", "https://cdn.example.com/cv/bad.pdf", "bad.pdf", stamp, "extra"])
        default:  // insufficientCredits: charged recordings up to the credits left, then one more, last in time
            for extra in 0...credits {
                try sink.write(.recordings, [email, "RBAD4-\(extra)", "", "https://cdn.example.com/over.mp4", "10", "true",
                                             "2025-12-31T23:59:\(String(format: "%02d", min(extra, 59)))Z"])
            }
        }
    }
}
