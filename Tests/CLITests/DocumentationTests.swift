import Foundation
import TestSupport
import Testing

/// What the docs claim about the code that a test can check: the modules, scripts, benchmarks and test
/// targets that docs/architecture.md lists, and the rules of docs/CONTRIBUTING.md against SourceRulesTests.
@Suite("The docs say what the code does")
struct DocumentationTests {
    static let root = SharedFolder.projectRoot

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    static func entries(of folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The code block of docs/architecture.md that lays out the tree.
    static func tree() throws -> String {
        let text = try text("docs/architecture.md")
        let start = try #require(text.range(of: "```\nSources/"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test("architecture.md lists every module of Package.swift under Sources/, and only those")
    func modules() throws {
        let package = try Self.text("Package.swift"), tree = try Self.tree()
        let modules = Self.entries(of: "Sources")
        #expect(modules.count > 10)
        for module in modules {
            #expect(package.contains("name: \"\(module)\""), "Sources/\(module) is no target of Package.swift")
            #expect(tree.contains("  \(module)/"), "architecture.md does not list Sources/\(module)")
        }
        let listed = tree.matches(of: #/\n  ([A-Za-z0-9]+)/ /#).map { String($0.output.1) }
        #expect(Set(listed) == Set(modules), "listed but not in Sources/: \(Set(listed).subtracting(modules))")
    }

    @Test("every module has its test target, named after it, and architecture.md names every test target")
    func testTargets() throws {
        let tree = try Self.tree(), targets = Set(Self.entries(of: "Tests"))
        // C modules (no Swift file) are tested through the Swift module above them.
        let cModules = Set(try Self.entries(of: "Sources").filter { module in
            let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root + "/Sources/" + module)
            return !files.contains { $0.hasSuffix(".swift") }
        })
        for module in Self.entries(of: "Sources") where !cModules.contains(module) && module != "TestSupport" {
            let target = module == "CRMPipelineCLI" ? "CLITests" : module + "Tests"
            #expect(targets.contains(target), "Sources/\(module) has no Tests/\(target)")
        }
        for target in targets { #expect(tree.contains(target), "architecture.md does not name Tests/\(target)") }
    }

    @Test("architecture.md names every script and every benchmark", arguments: ["scripts", "Benchmarks"])
    func scriptsAndBenchmarks(folder: String) throws {
        let tree = try Self.tree()
        for entry in Self.entries(of: folder) {
            #expect(tree.contains(entry), "architecture.md does not name \(folder)/\(entry)")
        }
    }

    @Test("each rule of CONTRIBUTING.md names a SourceRulesTests test that exists, or review; every such test is named")
    func contributingRules() throws {
        let contributing = try Self.text("docs/CONTRIBUTING.md"), rules = try Self.text("Tests/CLITests/SourceRulesTests.swift")
        let section = try #require(contributing.components(separatedBy: "## Rules").dropFirst().first?.components(separatedBy: "\n## ").first)
        let bullets = section.components(separatedBy: "\n- ").dropFirst()
        #expect(bullets.count >= 8)
        var named: Set<String> = []
        for bullet in bullets {
            #expect(bullet.contains("(checked") || bullet.contains("reviewed"), "a rule says neither how it is checked nor that review does: \(bullet.prefix(60))")
            named.formUnion(bullet.matches(of: #/`([a-zA-Z]+)`/#).map { String($0.output.1) }.filter { rules.contains("func \($0)(") })
        }
        let tests = Set(rules.matches(of: #/@Test[^\n]*\n(?:[^\n]*\n)?\s+func ([a-zA-Z]+)\(/#).map { String($0.output.1) })
        #expect(tests.count >= 8)
        for test in tests where test != "found" && test != "plantedViolations" {
            #expect(named.contains(test), "SourceRulesTests.\(test) checks a rule CONTRIBUTING.md does not state")
        }
    }
}
