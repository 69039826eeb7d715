import Foundation
import PipelineCore
import Synchronization

/// Writes rejects as JSON Lines to a file created with mode 0600 (it holds personal data), opened on the
/// first reject only. Parallel backfill jobs write through one writer: its state is behind a lock.
final class RejectFileWriter: Sendable {
    let path: String
    private let state = Mutex(State())

    private struct State {
        var descriptor: Int32 = -1
        var count = 0
    }

    /// One reject line. Every key is always there (`null` when there is no field or value), so that a
    /// warehouse loading the file sees the same columns on every line.
    private struct Line: Encodable {
        let file: String?
        let line: Int?
        let entity: String
        let field: String?
        let value: String?
        let reason: String
        let message: String

        private enum CodingKeys: String, CodingKey {
            case file, line, entity, field, value, reason, message
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(file, forKey: .file)
            try container.encode(line, forKey: .line)
            try container.encode(entity, forKey: .entity)
            try container.encode(field, forKey: .field)
            try container.encode(value, forKey: .value)
            try container.encode(reason, forKey: .reason)
            try container.encode(message, forKey: .message)
        }
    }

    init(path: String) {
        self.path = path
    }

    deinit {
        state.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    /// The rejects written so far.
    var count: Int { state.withLock { $0.count } }

    /// Appends one reject.
    ///
    /// - Throws: ``LoadError/rejectFileNotCreated(path:reason:)`` when the file cannot be created, and
    ///   ``LoadError/rejectFileNotWritten(path:reason:)`` when a write fails (a full disk).
    func write(_ reject: Reject) throws {
        try write(Line(
            file: reject.location.file, line: reject.location.line, entity: reject.entity.name,
            field: reject.field?.name, value: reject.value, reason: reject.reason.rawValue, message: reject.message))
    }

    /// Appends, in a dry run, a stored user the run would remove (`reason` `removed`): where the export says so,
    /// when a row does (a tombstone), else `null` (a snapshot's absent user).
    func writeRemoval(email: String, why: String, at location: SourceLocation?) throws {
        try write(Line(file: location?.file, line: location?.line, entity: Entity.users.name, field: Field.email.name, value: email,
                       reason: "removed", message: "would be removed with all its rows: \(why)"))
    }

    private func write(_ line: Line) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(line)
        data.append(0x0A)
        try state.withLock { state in
            let descriptor = try openIfNeeded(&state)
            try Self.writeAll(data, to: descriptor, path: path)
            state.count += 1
        }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw LoadError.rejectFileNotWritten(path: path, reason: String(cString: strerror(errno)))
                }
                offset += written
            }
        }
    }

    private func openIfNeeded(_ state: inout State) throws -> Int32 {
        if state.descriptor >= 0 { return state.descriptor }
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard opened >= 0 else { throw LoadError.rejectFileNotCreated(path: path, reason: String(cString: strerror(errno))) }
        // An existing file keeps its mode through O_CREAT: narrow it, whatever the umask was.
        guard fchmod(opened, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            close(opened)
            throw LoadError.rejectFileNotCreated(path: path, reason: reason)
        }
        state.descriptor = opened
        return opened
    }
}
