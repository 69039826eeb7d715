import Foundation
import TestSupport
import Testing

@Suite("Documentation")
struct DocumentationTests {
    static let root = SharedFolder.projectRoot

    static var pages: [String] {
        ["README.md"] + ((try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    @Test("the README stays a front page: at most 250 lines, the rest in docs/")
    func readmeLength() throws {
        let lines = try String(contentsOfFile: Self.root + "/README.md", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 250, "\(lines.count) lines")
    }

    @Test("every link between the pages leads to a file that is there", arguments: pages)
    func linksResolve(page: String) throws {
        let text = try String(contentsOfFile: Self.root + "/" + page, encoding: .utf8)
        let folder = URL(fileURLWithPath: Self.root + "/" + page).deletingLastPathComponent()
        let links = text.matches(of: /\]\(([^)#\s]+)(#[^)]*)?\)/).map { String($0.output.1) }.filter { !$0.contains("://") }
        for link in links {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(link).path), "\(page) links to \(link)")
        }
    }
}
