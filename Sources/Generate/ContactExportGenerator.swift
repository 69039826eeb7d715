import Foundation
import PipelineCore

/// Writes a CRM contacts export (``ContactLayout``) of `options.users` contacts, the same bytes for the
/// same seed; with `requiredOnly`, a file of the email column alone.
public struct ContactExportGenerator {
    private let options: GenerateOptions
    private let layout: ContactLayout
    private let requiredOnly: Bool

    public init(options: GenerateOptions, layout: ContactLayout, requiredOnly: Bool = false) {
        self.options = options
        self.layout = layout
        self.requiredOnly = requiredOnly
    }

    /// Writes the file (and, in Salesforce's Data Export zip, an `Account.csv` beside it), packed as
    /// `options.pack` says, and returns the number of contacts (`users`).
    @discardableResult
    public func run() throws -> [String: Int] {
        try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        let counts = options.format == .xlsx ? try writeWorkbook() : try writeText()
        var names = [layout.fileName(format: options.format)]
        // The Data Export zip holds every object; Account.csv stands for the ones a CRM import skips.
        if layout == .salesforce, options.format == .csv, options.pack == .zip || options.pack == .tarGz {
            try writeAccounts()
            names.append("Account.csv")
        }
        if let packing = options.pack {
            // Salesforce names its weekly export WE_<org id>_<part>.zip.
            let archive = layout == .salesforce ? "WE_00D000000000001EAA_1" : "\(layout.rawValue)-export"
            try ExportPacker.pack(names, in: options.out, as: packing, archiveName: archive)
        }
        return counts
    }

    /// `Account.csv`: an account per contact.
    private func writeAccounts() throws {
        var text = Self.csvLine(["Id", "IsDeleted", "Name", "Type", "CreatedDate"])
        var contacts = ContactSequence(options: options)
        for number in 0..<options.users {
            let contact = contacts.next(number)
            text += Self.csvLine([contact.salesforceID("001"), "false", contact.company, "Customer",
                                  ContactLayout.format(contact.created, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")])
        }
        guard FileManager.default.createFile(atPath: options.out + "/Account.csv", contents: Data(text.utf8)) else {
            throw GenerateError.cannotWrite(options.out + "/Account.csv")
        }
    }

    private func writeText() throws -> [String: Int] {
        let path = options.out + "/" + layout.fileName(format: options.format)
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw GenerateError.cannotWrite(path)
        }
        defer { try? file.close() }
        let columns = requiredOnly ? [layout.emailColumn] : layout.columns
        let xml = layout == .salesforce && options.format == .xml
        var text = xml ? Self.xmlHead : Self.csvLine(columns)
        var contacts = ContactSequence(options: options)
        for number in 0..<options.users {
            let contact = contacts.next(number)
            let all = Dictionary(uniqueKeysWithValues: zip(layout.columns, layout.values(of: contact, row: number)))
            let values = columns.map { all[$0] ?? "" }
            text += xml ? Self.xmlRecord(columns, values) : Self.csvLine(values)
            if text.utf8.count > 1 << 20 {
                try file.write(contentsOf: Data(text.utf8))
                text = ""
            }
        }
        if xml { text += "</result></queryResponse>\n" }
        try file.write(contentsOf: Data(text.utf8))
        return ["users": options.users]
    }

    /// The export as an XLSX workbook of one sheet: dates as date cells, ids as numbers.
    private func writeWorkbook() throws -> [String: Int] {
        let writer = XLSXWriter(folder: options.out)
        let sheet = try writer.addSheet(layout.sheetName)
        let columns = requiredOnly ? [layout.emailColumn] : layout.columns
        try writer.append(columns.map { .shared($0) }, to: sheet)
        var contacts = ContactSequence(options: options)
        for number in 0..<options.users {
            let contact = contacts.next(number)
            let all = Dictionary(uniqueKeysWithValues: zip(layout.columns, layout.values(of: contact, row: number)))
            try writer.append(columns.map { column -> XLSXWriter.Cell? in
                if let date = layout.dateColumns[column] { return .date(contact[keyPath: date]) }
                guard let value = all[column], !value.isEmpty else { return nil }
                return layout.numberColumns.contains(column) ? .number(value) : .inline(value)
            }, to: sheet)
        }
        try writer.finish(to: options.out + "/" + layout.fileName(format: .xlsx))
        return ["users": options.users]
    }

    private static func csvLine(_ values: [String]) -> String {
        values.map(CSVField.quoted).joined(separator: ",") + "\n"
    }

    private static let xmlHead = """
        <?xml version="1.0" encoding="UTF-8"?>
        <queryResponse xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com"
                       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><result>

        """

    /// One `<records>` element; empty values are left out, as Salesforce writes nil fields.
    private static func xmlRecord(_ columns: [String], _ values: [String]) -> String {
        "<records xsi:type=\"sf:Contact\"><sf:type>Contact</sf:type>"
            + zip(columns, values).filter { !$0.1.isEmpty }.map { "<sf:\($0.0)>\(ExportSink.xmlText($0.1))</sf:\($0.0)>" }.joined()
            + "</records>\n"
    }
}

/// The contacts of a seed, the same in every layout.
struct ContactSequence {
    private var random: SeededGenerator
    private let months: Int

    init(options: GenerateOptions) {
        random = SeededGenerator(seed: options.seed)
        months = options.months
    }

    mutating func next(_ number: Int) -> Contact {
        let end = 1_767_225_599  // 2025-12-31T23:59:59Z
        let span = months * 2_626_560  // 30.4 days a month
        let created = end - span + random.below(span)
        return Contact(
            number: number, email: "contact\(number)@\(random.pick(SampleVocabulary.domains))",
            first: random.pick(SampleVocabulary.firstNames), last: random.pick(SampleVocabulary.lastNames),
            phone: "+\(random.below(90) + 1) \(random.below(900_000_000) + 100_000_000)",
            company: random.pick(SampleVocabulary.companies), title: random.pick(SampleVocabulary.jobTitles),
            created: Date(timeIntervalSince1970: TimeInterval(created)),
            updated: Date(timeIntervalSince1970: TimeInterval(min(created + random.below(86_400 * 30), end))))
    }
}
