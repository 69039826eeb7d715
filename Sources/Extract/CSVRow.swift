/// One CSV record: its fields' bytes in one reused buffer, where it started, and what was wrong with it.
///
/// Reuse one row for a whole file (``CSVReader/next(into:)`` clears it): reading allocates nothing per row.
public struct CSVRow {
    /// What makes a row unusable while the file itself stays readable.
    public enum Problem: Sendable, Equatable {
        /// A field is over the size limit; the rest of the record was skipped.
        case fieldTooLarge(field: Int, limit: Int)
        /// The record is over the size limit; the rest of it was skipped.
        case recordTooLarge(limit: Int)
        /// A quoted field has text after its closing quote (`"abc"def`).
        case textAfterClosingQuote(field: Int)
    }

    /// The 1-based line where the record starts.
    public internal(set) var line = 0
    /// The first problem found in this record, if any.
    public internal(set) var problem: Problem?
    var storage: [UInt8] = []
    var ends: [Int] = []

    public init() {}

    /// The number of fields.
    public var count: Int { ends.count }

    /// The field at `index` as a string (the bytes were checked to be UTF-8 while reading).
    public subscript(index: Int) -> String {
        let start = index == 0 ? 0 : ends[index - 1]
        return storage.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<ends[index]]), as: UTF8.self)
        }
    }

    /// The length in bytes of the field at `index`.
    public func byteCount(at index: Int) -> Int {
        ends[index] - (index == 0 ? 0 : ends[index - 1])
    }

    /// Whether any field holds a NUL byte (0x00): one pass over the record's bytes.
    public var containsNUL: Bool { storage.contains(0) }

    /// The offset of the first NUL byte in the field at `index`, or `nil` when it has none.
    public func nulOffset(at index: Int) -> Int? {
        let start = index == 0 ? 0 : ends[index - 1]
        return storage[start..<ends[index]].firstIndex(of: 0).map { $0 - start }
    }

    /// Every field as strings.
    public var fields: [String] {
        (0..<count).map { self[$0] }
    }

    mutating func reset(line: Int) {
        self.line = line
        problem = nil
        storage.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
