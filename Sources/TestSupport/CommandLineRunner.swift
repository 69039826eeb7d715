import Foundation

/// Runs the real `crm-pipeline` binary, as cron or an operator would.
public enum CommandLineRunner {
    /// What a finished run left behind.
    public struct Outcome: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    /// The binary: `CRM_PIPELINE_BIN` (set by `make test`), else the debug build in `.build`.
    public static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["CRM_PIPELINE_BIN"], !path.isEmpty { return path }
        return FileManager.default.currentDirectoryPath + "/.build/debug/crm-pipeline"
    }

    /// Runs `crm-pipeline` with `arguments` and waits for it.
    ///
    /// - Parameters:
    ///   - arguments: The command line after the program name.
    ///   - environment: Variables to set or (with `nil`) remove, on top of this process's environment.
    ///   - standardInput: Bytes to send on standard input.
    public static func run(
        _ arguments: [String], environment: [String: String?] = [:], standardInput: String? = nil
    ) throws -> Outcome {
        try run(executable: binaryPath, arguments, environment: environment, standardInput: standardInput)
    }

    /// Starts `crm-pipeline` with `arguments` in the background, for tests that kill it or work beside
    /// it. Its standard output is discarded; its standard error is collected as it comes.
    public static func start(_ arguments: [String]) throws -> RunningCommand {
        try RunningCommand(executable: binaryPath, arguments)
    }

    /// Runs any executable (such as `psql`) found on `PATH` or by absolute path, and waits for it.
    public static func run(
        executable: String, _ arguments: [String], environment: [String: String?] = [:], standardInput: String? = nil
    ) throws -> Outcome {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        // Read both pipes while the process runs, so that a full pipe never blocks it.
        let collected = CollectedOutput()
        let group = DispatchGroup()
        for (pipe, keyPath) in [(output, \CollectedOutput.stdout), (errors, \CollectedOutput.stderr)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(keyPath, data)
                group.leave()
            }
        }
        if let standardInput { input.fileHandleForWriting.write(Data(standardInput.utf8)) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: collected.stdout, as: UTF8.self),
            standardError: String(decoding: collected.stderr, as: UTF8.self))
    }
}

// @unchecked: its mutable state is only read and written while holding `lock`.
private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    var stdout = Data()
    var stderr = Data()

    func set(_ keyPath: ReferenceWritableKeyPath<CollectedOutput, Data>, _ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        self[keyPath: keyPath] = data
    }
}

/// A `crm-pipeline` running in the background, with its standard error collected as it comes, so that a
/// test can act at the moment the program logs that it reached a point (a stage boundary).
// @unchecked: its mutable state is only read and written while holding `lock`.
public final class RunningCommand: @unchecked Sendable {
    /// The process, to kill or to wait for.
    public let process: Process
    private let lock = NSLock()
    private var errors = Data()
    /// Signalled once the reader has read standard error to its end.
    private let drained = DispatchSemaphore(value: 0)

    init(executable: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardError = pipe
        try process.run()
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while case let data = reader.availableData, !data.isEmpty {
                lock.lock()
                errors.append(data)
                lock.unlock()
            }
            drained.signal()
        }
    }

    /// Waits until the program ends and everything it wrote to standard error is read: after the process's own
    /// `waitUntilExit()`, its last lines may still be in the pipe.
    public func waitUntilExit() {
        process.waitUntilExit()
        drained.wait()
        drained.signal()
    }

    /// Everything written to standard error so far.
    public var standardError: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: errors, as: UTF8.self)
    }

    /// Waits until standard error contains `text` (checking every 2 ms), the program ends, or `timeout`
    /// seconds pass. Returns whether the text appeared.
    public func waitForStandardError(containing text: String, timeout: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if standardError.contains(text) { return true }
            if !process.isRunning { return standardError.contains(text) }
            usleep(2_000)
        }
        return false
    }
}
