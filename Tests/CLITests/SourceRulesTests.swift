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

    @Test("C libraries are imported internally, each by its one module", arguments: productFiles)
    func cInterop(file: SourceFile) {
        for (library, module) in [("CLibPQ", "PostgresClient"), ("CLibXML2", "XMLStream")]
        where file.text.contains("import \(library)") {
            #expect(file.module == module, "\(file.path) imports \(library)")
            #expect(file.text.contains("internal import \(library)"), "\(file.path): the import of \(library) is not internal")
        }
    }
}
