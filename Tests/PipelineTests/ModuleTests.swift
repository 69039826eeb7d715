import Foundation
import Pipeline
import PipelineCore
import Testing

@Suite("Pipeline definitions, through their API")
struct ModuleTests {
    @Test("a pipeline resolves to command lines in order, with ${VAR:-default} substituted and flags without values")
    func resolvesSteps() throws {
        let text = """
            name: nightly
            steps:
              - migrate: {}
              - import:
                  paths: ["${DROP:-/srv/drop}", "extra.csv"]
                  mode: backfill
                  dry-run: true
              - report: {kind: summary, month: "${MONTH}"}
            """
        let steps = try PipelineDefinition.parse(text, path: "p.yml", environment: ["MONTH": "2024-05"])
        #expect(steps.map(\.command) == ["migrate", "import", "report"])
        #expect(steps[0].arguments == ["migrate"])
        #expect(steps[1].arguments.first == "import")
        #expect(steps[1].arguments.contains("/srv/drop") && steps[1].arguments.contains("extra.csv"))
        #expect(steps[1].arguments.contains("--dry-run"))
        #expect(zip(steps[1].arguments, steps[1].arguments.dropFirst()).contains { $0 == "--mode" && $1 == "backfill" })
        #expect(zip(steps[2].arguments, steps[2].arguments.dropFirst()).contains { $0 == "--month" && $1 == "2024-05" })
        #expect(steps.map(\.location.line) == [3, 4, 8])
    }

    @Test("the shipped pipelines all resolve")
    func shippedPipelines() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines").standardized.path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yml") }
        #expect(files.count >= 3)
        for file in files {
            let steps = try PipelineDefinition.load(path: folder + "/" + file, environment: [:])
            #expect(!steps.isEmpty, "\(file)")
        }
    }

    @Test("a step that is no command is an error at its line, exit 64")
    func unknownStep() {
        let error = #expect(throws: PipelineError.self) {
            try PipelineDefinition.parse("steps:\n  - migrate: {}\n  - explode: {}\n", path: "p.yml", environment: [:])
        }
        #expect(error?.exitStatus == .usage)
        #expect(error?.description.hasPrefix("p.yml:3") == true, "\(String(describing: error))")
    }
}
