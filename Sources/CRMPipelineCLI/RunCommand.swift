import ArgumentParser
import Foundation
import PipelineCore
import Pipeline

/// `crm-pipeline run FILE.yml`: runs a pipeline's steps in order, stopping at the first failure with
/// that step's exit code.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline file (pipelines/*.yml): migrate, import, report and verify steps in order.",
        discussion: """
            Values may use ${VAR} and ${VAR:-default} from the environment. The first failing step stops
            the pipeline, and its exit code is the pipeline's.
            """
    )

    @Argument(help: ArgumentHelp("The pipeline file.", valueName: "file.yml"))
    var file: String

    @Flag(name: .customLong("dry-run"), help: "Print the resolved steps without running them.")
    var dryRun = false

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp(
        "Write the pipeline's outcome and its imports' rows for Prometheus' node exporter (textfile collector).",
        valueName: "path"))
    var metricsFile: String?

    func run() throws {
        let started = Date(), importsBefore = ImportMetricsRecorder.count
        do {
            try runSteps()
        } catch {
            if !dryRun {
                let outcome = ImportMetricsRecorder.combined(since: importsBefore, exitStatus: ExitStatus.of(error))
                try? ImportMetricsRecorder.record(outcome, since: started, file: metricsFile, prefix: "crm_pipeline_run")
            }
            throw error
        }
        if !dryRun {
            let outcome = ImportMetricsRecorder.combined(since: importsBefore, exitStatus: .ok)
            try ImportMetricsRecorder.record(outcome, since: started, file: metricsFile, prefix: "crm_pipeline_run")
        }
    }

    private func runSteps() throws {
        var steps: [PipelineStep] = []
        try runReportingErrors {
            steps = try PipelineDefinition.load(path: file, environment: ProcessInfo.processInfo.environment)
        }
        for (index, step) in steps.enumerated() {
            let line = "crm-pipeline " + step.arguments.map(Self.shellQuoted).joined(separator: " ")
            if dryRun {
                print("\(index + 1). \(line)    # \(step.location)")
                continue
            }
            FileHandle.standardError.write(Data("==> step \(index + 1)/\(steps.count): \(line)\n".utf8))
            do {
                var command = try CRMPipeline.parseAsRoot(step.arguments)
                try command.run()
            } catch let exit as ExitCode where exit == .success {
                continue
            } catch {
                let code = CRMPipeline.exitCode(for: error)
                if code != .success, !(error is ExitCode) {
                    FileHandle.standardError.write(Data("crm-pipeline: error: \(CRMPipeline.fullMessage(for: error))\n".utf8))
                }
                FileHandle.standardError.write(Data(
                    "crm-pipeline: step \(index + 1) (\(step.command), \(step.location)) failed with exit code \(code.rawValue); the pipeline stops here\n".utf8))
                throw code
            }
        }
    }

    private static func shellQuoted(_ text: String) -> String {
        guard text.isEmpty || text.contains(where: { " \"'$\\&|;<>()*?#".contains($0) }) else { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
