import Dispatch
import Synchronization

/// Work handed to background threads whose results come back in the order it was handed out, with at most
/// `window` pieces in flight (memory stays flat, and the caller's own work overlaps the workers').
struct OrderedResults<Output: Sendable> {
    private let window: Int
    private var inFlight: [Slot] = []

    init(window: Int) {
        self.window = window
    }

    /// Starts `work` on a background thread; when `window` pieces are in flight, first waits for the oldest
    /// and returns its result (else `nil`).
    mutating func submit(_ work: @escaping @Sendable () -> Output) -> Output? {
        let slot = Slot()
        DispatchQueue.global().async { slot.fill(work()) }
        inFlight.append(slot)
        return inFlight.count > window ? inFlight.removeFirst().wait() : nil
    }

    /// Waits for the oldest piece in flight and returns its result; `nil` when none is left.
    mutating func next() -> Output? {
        inFlight.isEmpty ? nil : inFlight.removeFirst().wait()
    }

    /// One result to come.
    private final class Slot: Sendable {
        private let ready = DispatchSemaphore(value: 0)
        private let value = Mutex<Output?>(nil)

        func fill(_ output: Output) {
            value.withLock { $0 = output }
            ready.signal()
        }

        func wait() -> Output {
            ready.wait()
            return value.withLock { $0! }
        }
    }
}
