import Foundation
import PipelineCore

/// Writes rejects as JSON Lines to a file created with mode 0600 (it holds personal data), opened on the
/// first reject only.
/// Thread-safe: parallel backfill jobs write through one writer (every access is under `lock`).
final class RejectFileWriter: @unchecked Sendable {
    private let lock = NSLock()
    let path: String
    private var handle: FileHandle?
    private let encoder: JSONEncoder
    private(set) var count = 0

    private struct Line: Encodable {
        let file: String
        let line: Int
        let entity: String
        let field: String?
        let value: String?
        let reason: String
        let message: String
    }

    init(path: String) {
        self.path = path
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit {
        try? handle?.close()
    }

    /// Appends one reject.
    ///
    /// - Throws: ``LoadError/rejectFile(path:reason:)`` when the file cannot be created or written.
    func write(_ reject: Reject) throws {
        lock.lock()
        defer { lock.unlock() }
        let handle = try openIfNeeded()
        let line = Line(
            file: reject.location.file, line: reject.location.line, entity: reject.entity.name,
            field: reject.field?.name, value: reject.value, reason: reject.reason.rawValue, message: reject.message)
        do {
            var data = try encoder.encode(line)
            data.append(0x0A)
            try handle.write(contentsOf: data)
        } catch {
            throw LoadError.rejectFile(path: path, reason: "\(error)")
        }
        count += 1
    }

    private func openIfNeeded() throws -> FileHandle {
        if let handle { return handle }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LoadError.rejectFile(path: path, reason: String(cString: strerror(errno))) }
        // An existing file keeps its mode through O_CREAT: narrow it, whatever the umask was.
        guard fchmod(descriptor, 0o600) == 0 else {
            close(descriptor)
            throw LoadError.rejectFile(path: path, reason: String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.handle = handle
        return handle
    }
}
