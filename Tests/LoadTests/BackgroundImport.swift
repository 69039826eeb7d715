import Dispatch
import Extract
@testable import Load
import Synchronization
import TestSupport

/// An import running on another thread, for tests that hold something it needs from a second connection.
final class BackgroundImport: Sendable {
    private let outcome = Mutex<Result<ImportSummary, any Error>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(_ importer: Importer, files: [InputFile]) {
        DispatchQueue.global().async { [self] in
            let result = Result { try importer.run(files: files) }
            outcome.withLock { $0 = result }
            finished.signal()
        }
    }

    /// Its summary, once it has finished (within 60 s); rethrows what it threw.
    func summary() throws -> ImportSummary {
        guard finished.wait(timeout: .now() + 60) == .success else { throw TestSupportError("the import did not finish in 60 s") }
        return try outcome.withLock { $0 }!.get()
    }
}
