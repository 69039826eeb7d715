import ArgumentParser
import Foundation
import PipelineCore

/// Runs a command's work and turns any error into a message on standard error and a sysexits code.
///
/// This is the one place where errors become exit codes.
func runReportingErrors(_ work: () throws -> Void) throws {
    do {
        try work()
    } catch let error as any UserFacingError {
        // One `error:` per line: a located error already reads `file:line: error: message`.
        let line = error.isLocated ? "\(error)" : "crm-pipeline: error: \(error)"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        throw ExitCode(error.exitStatus.rawValue)
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("crm-pipeline: internal error: \(error)\n".utf8))
        throw ExitCode(ExitStatus.software.rawValue)
    }
}
