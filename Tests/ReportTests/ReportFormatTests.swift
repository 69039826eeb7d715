import Extract
import Foundation
import TestSupport
import Testing
import XMLStream

@Suite("Report formats, through the binary")
struct ReportFormatTests {
    @Test("JSON has the documented keys")
    func jsonShape() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let users = try ReportDataSet.json(database, ["users", "--month", "2024-05"])
            #expect(Set(users.keys) == ["report", "period", "generated_at", "rows", "totals"])
            let row = try #require((users["rows"] as? [[String: Any]])?.first)
            #expect(Set(["email", "total_applications", "total_recordings", "total_resumes", "credits"]).isSubset(of: row.keys))
            let tables = try ReportDataSet.json(database, ["tables"])
            let table = try #require((tables["rows"] as? [[String: Any]])?.first)
            #expect(Set(["table", "rows", "table_bytes", "index_bytes", "total_bytes"]).isSubset(of: table.keys))
        }
    }

    @Test("CSV round-trips through an RFC 4180 reader, with commas, quotes and line breaks in names")
    func csvRoundTrip() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let outcome = try ReportDataSet.report(database, ["users", "--month", "2024-05", "--format", "csv"])
            let path = NSTemporaryDirectory() + "report-\(UUID().uuidString).csv"
            try outcome.standardOutput.write(toFile: path, atomically: true, encoding: .utf8)
            let reader = try CSVReader(path: path)
            #expect(reader.header.first == "email")
            var row = CSVRow()
            var names: [String] = []
            while try reader.next(into: &row) {
                #expect(row.count == reader.header.count)
                names.append(row[1])
            }
            #expect(names.contains("<script>alert(1)</script> Comma, \"Quote\"\nNewline"))
            #expect(names.contains("山田 🚀 Taro"))
        }
    }

    @Test("HTML is one well-formed self-contained file with SVG charts, and escapes every value")
    func html() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            for kind in ["summary", "users", "tables"] {
                let html = try ReportDataSet.report(database, [kind, "--month", "2024-05", "--format", "html"]).standardOutput
                #expect(HTMLCheck.errors(in: html).isEmpty, "\(kind): \(HTMLCheck.errors(in: html))")
                #expect(!html.contains("<script"), "\(kind)")
                #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
                #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("src="))
                if kind != "users" { #expect(html.contains("<svg")) }
                if kind == "users" { #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")) }
            }
        }
    }

    @Test("the terminal table aligns wide characters and emoji")
    func terminalAlignment() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let outcome = try CommandLineRunner.run(
                ["report", "users", "--month", "2024-05", "--database-url", database.url], environment: ["COLUMNS": "200"])
            let lines = outcome.standardOutput.split(separator: "\n").map(String.init)
            let header = try #require(lines.firstIndex { $0.hasPrefix("Email") })
            let table = Array(lines[header...].prefix(5))
            let widths = table.map(Self.columns)
            #expect(Set(widths).count == 1, "\(table)")
            #expect(table.contains { $0.contains("山田 🚀 Taro") })
        }
    }

    /// Display columns of a line: East Asian wide characters and emoji count two (checked independently).
    static func columns(_ line: String) -> Int {
        line.unicodeScalars.reduce(0) { width, scalar in
            let value = scalar.value
            if (0x4E00...0x9FFF).contains(value) || (0x3040...0x30FF).contains(value) || (0x1F300...0x1FAFF).contains(value) {
                return width + 2
            }
            return width + 1
        }
    }

    @Test("--output writes the report to a file and says where")
    func outputFile() throws {
        try TestDatabase.withFresh { database throws in
            let path = NSTemporaryDirectory() + "report-\(UUID().uuidString).md"
            let outcome = try ReportDataSet.report(database, ["summary", "--format", "markdown", "--output", path])
            #expect(outcome.status == 0)
            #expect(outcome.standardOutput.contains(path))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("# summary report"))
            #expect(text.contains("| Month |"))
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("people read words, machines keys: the HTML, Markdown and table formats label the figures, JSON keeps its keys",
          arguments: ["html", "markdown", "table"])
    func humanLabels(format: String) throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            let text = try ReportDataSet.report(database, ["summary", "--month", "2024-05", "--format", format]).standardOutput
            for label in ["Active users", "Applications per active user", "Credits bought"] {
                #expect(text.contains(label), "\(format): \(label)")
            }
            for key in ["users_active", "applications_per_active_user", "credits_bought"] {
                #expect(!text.contains(key), "\(format) shows the JSON key \(key)")
            }
        }
    }

    @Test("tables, and imports without a period, show the state now: their heading says \"as of\", not a month")
    func snapshotHeadings() throws {
        try TestDatabase.withFresh { database throws in
            try ReportDataSet.load(into: database.connect())
            for arguments in [["tables"], ["imports"]] {
                let heading = try ReportDataSet.report(database, arguments).standardOutput.split(separator: "\n").first ?? ""
                #expect(heading.hasPrefix("\(arguments[0]) report as of 20"), "\(heading)")
            }
            let inMonth = try ReportDataSet.report(database, ["imports", "--month", "2024-05"]).standardOutput
            #expect(inMonth.hasPrefix("imports report for 2024-05"), "\(inMonth)")
        }
    }
}
