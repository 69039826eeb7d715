import Foundation
import TestSupport
import Testing

/// The rules of docs/CONTRIBUTING.md that a machine can check, over the product's sources.
@Suite("Source rules")
struct SourceRulesTests {
    struct SourceFile: CustomTestStringConvertible {
        let path: String
        let text: String
        var module: String { path.split(separator: "/")[1].description }
        var testDescription: String { path }
    }

    /// Every Swift file under Sources/ but the test-only TestSupport.
    static let productFiles: [SourceFile] = {
        let root = SharedFolder.projectRoot
        let paths = FileManager.default.enumerator(atPath: root + "/Sources")?.compactMap { $0 as? String } ?? []
        return paths.filter { $0.hasSuffix(".swift") && !$0.hasPrefix("TestSupport/") }.sorted().compactMap { path in
            (try? String(contentsOfFile: root + "/Sources/" + path, encoding: .utf8)).map { SourceFile(path: "Sources/" + path, text: $0) }
        }
    }()

    @Test("the sources are there to check")
    func found() {
        #expect(Self.productFiles.count > 50)
    }

    @Test("no file over 250 lines", arguments: productFiles)
    func short(file: SourceFile) {
        let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(lines <= 250, "\(file.path): \(lines) lines")
    }

    @Test("query results are decoded by column name, outside PostgresClient: no positional rows, no \"t\" for true", arguments: productFiles)
    func typedResults(file: SourceFile) {
        guard file.module != "PostgresClient" else { return }
        for pattern in ["textRows", "textScalar", "== \"t\"", "[[String?]]"] {
            #expect(!file.text.contains(pattern), "\(file.path) uses \(pattern)")
        }
    }

    @Test("the CLI sends no SQL: commands call the modules", arguments: productFiles.filter { $0.module == "CRMPipelineCLI" })
    func cliKnowsNoSQL(file: SourceFile) {
        #expect(!file.text.contains(".query("), "\(file.path)")
        let statement = #/"(SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK|CREATE|ALTER|DROP|SET) /#
        #expect(file.text.firstMatch(of: statement) == nil, "\(file.path)")
    }

    @Test("concurrency is checked by the compiler: no @unchecked Sendable or nonisolated(unsafe) without the invariant written above it",
          arguments: productFiles)
    func checkedConcurrency(file: SourceFile) {
        let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where line.contains("@unchecked Sendable") || line.contains("nonisolated(unsafe)") {
            #expect(index > 0 && lines[index - 1].contains("// @unchecked:"), "\(file.path):\(index + 1)")
        }
    }

    /// The lines of `text` that are code, not comments (a line that starts with `//`).
    static func codeLines(_ text: String) -> [(number: Int, text: Substring)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .filter { !$0.element.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.map { ($0.offset + 1, $0.element) }
    }

    /// How SQL would spell the credit rule (4 to open, +3 per payment, −1 per charged recording) by its numbers.
    static let creditNumbers = [" 3 * ", "(3 * ", "* 3)", "4 + 3", ", 4)", "(4, '", "-1 AS "]

    /// The lines of `text` that spell a credit number instead of calling `CreditSQL` or `CreditRule`.
    static func creditRuleViolations(in text: String) -> [String] {
        codeLines(text).filter { line in creditNumbers.contains { line.text.contains($0) } }.map { "line \($0.number): \($0.text)" }
    }

    /// Every table, temporary table and function CRMSchema names (those with an underscore: `profiles` and
    /// `touched` are words too), read from its sources.
    static let schemaNames: [String] = {
        let definition = #/SQLName\((?:schema: [^,]+, )?"([A-Za-z_]+)"\)/#
        return productFiles.filter { $0.module == "CRMSchema" }.flatMap { file in
            file.text.matches(of: definition).map { String($0.output.1) }
        }.filter { $0.contains("_") }
    }()

    /// A project name written raw: anywhere for `crm_…` names, after a keyword that takes a table for the others
    /// (`new_users` is also a report's column).
    static func rawUse(of name: String) -> String {
        let context = name.hasPrefix("crm_") || name == "digital_resume_by_CRM" ? "(^|[^A-Za-z_])" : "(FROM|JOIN|INTO|TABLE|UPDATE|USING|ANALYZE) "
        return context + name + "($|[^A-Za-z_])"
    }

    // @unchecked: built once, then only read.
    nonisolated(unsafe) static let rawUses = schemaNames.map { try! Regex(rawUse(of: $0)) }

    /// The lines of `text` that name a table or function of CRMSchema raw (or make an `SQLName` of their own).
    static func rawNameViolations(in text: String) -> [String] {
        codeLines(text).filter { line in
            line.text.contains("SQLName(\"") || line.text.contains("SQLName(schema:") || line.text.contains("pg_temp.")
                || rawUses.contains { line.text.contains($0) }
        }.map { "line \($0.number): \($0.text)" }
    }

    /// The modules that write SQL but own no name: everything but CRMSchema (the names), PostgresClient (the
    /// client, which knows none) and the CLI (which sends no SQL).
    static let sqlWriters = productFiles.filter { !["CRMSchema", "PostgresClient", "CRMPipelineCLI"].contains($0.module) }

    @Test("the credit rule is written once: no credit numbers in the SQL of Load, Report or Generate (CreditSQL, CreditRule)",
          arguments: sqlWriters)
    func creditRuleOnce(file: SourceFile) {
        #expect(Self.creditRuleViolations(in: file.text).isEmpty, "\(file.path): \(Self.creditRuleViolations(in: file.text))")
    }

    @Test("every table, temporary table and function is named in CRMSchema only", arguments: sqlWriters)
    func namesInCRMSchema(file: SourceFile) {
        #expect(Self.rawNameViolations(in: file.text).isEmpty, "\(file.path): \(Self.rawNameViolations(in: file.text))")
    }

    /// What only PostgresClient may write: savepoints (``PostgresConnection/withSavepoint(_:)``), SQLSTATEs by
    /// their code (``SQLState``), and a row by its position.
    static let clientOnly = ["SAVEPOINT", "sqlState == \"", "SQLState(rawValue:", ".rows[0]"]

    static func clientOnlyViolations(in text: String) -> [String] {
        codeLines(text).filter { line in clientOnly.contains { line.text.contains($0) } }.map { "line \($0.number): \($0.text)" }
    }

    @Test("savepoints through withSavepoint, SQLSTATEs by name, rows never by position (outside PostgresClient)",
          arguments: productFiles.filter { $0.module != "PostgresClient" })
    func clientConventions(file: SourceFile) {
        #expect(Self.clientOnlyViolations(in: file.text).isEmpty, "\(file.path): \(Self.clientOnlyViolations(in: file.text))")
    }

    @Test("the rules above catch a planted violation, and CRMSchema's names were found")
    func plantedViolations() {
        #expect(Self.schemaNames.contains("crm_dashboard_stats") && Self.schemaNames.contains("identity_moves"))
        #expect(Self.creditRuleViolations(in: "let q: SQLQuery = \"SELECT 4 + 3 * payments\"").count == 1)
        #expect(Self.creditRuleViolations(in: "// the balance is 4 + 3 * payments").isEmpty)
        #expect(Self.rawNameViolations(in: "let q: SQLQuery = \"SELECT * FROM crm_dashboard_stats\"").count == 1)
        #expect(Self.rawNameViolations(in: "let t = SQLName(\"scratch\")").count == 1)
        #expect(Self.rawNameViolations(in: "let t = SQLName.dashboardStats").isEmpty)
        #expect(Self.clientOnlyViolations(in: "try connection.query(\"SAVEPOINT x\")").count == 1)
        #expect(Self.clientOnlyViolations(in: "} catch let error as PostgresError where error.sqlState == \"23505\" {}").count == 1)
        #expect(Self.clientOnlyViolations(in: "where error.sqlState == .uniqueViolation").isEmpty)
    }

    @Test("C libraries are imported internally, each by its one module", arguments: productFiles)
    func cInterop(file: SourceFile) {
        for (library, module) in [("CLibPQ", "PostgresClient"), ("CLibXML2", "XMLStream"), ("CLibArchive", "ArchiveStream"),
                                  ("CSHA256", "PipelineCore")]
        where file.text.contains("import \(library)") {
            #expect(file.module == module, "\(file.path) imports \(library)")
            #expect(file.text.contains("internal import \(library)"), "\(file.path): the import of \(library) is not internal")
        }
    }
}
