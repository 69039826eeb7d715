/// Builds the data of a `COPY … FROM STDIN` in PostgreSQL's text format: tab-separated, `\N` for NULL,
/// and backslash escapes for backslash, tab, line feed and carriage return.
struct CopyTextWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0

    /// Whether the row being written has a field already (the next one needs a tab before it).
    private var rowStarted = false

    /// Appends one row of `values`.
    mutating func appendRow(_ values: [String?]) {
        for value in values { appendField(value) }
        endRow()
    }

    /// Appends a field to the row being written: `value`, escaped, or `\N` for `nil`.
    mutating func appendField(_ value: String?) {
        startField()
        guard let value else {
            bytes.append(contentsOf: [0x5C, 0x4E])  // \N
            return
        }
        // Most values need no escape: copied at once.
        var text = value
        if text.withUTF8({ Self.appendUnescaped($0, to: &bytes) }) { return }
        for byte in value.utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            default: bytes.append(byte)
            }
        }
    }

    /// Ends the row being written.
    mutating func endRow() {
        bytes.append(0x0A)
        rows += 1
        rowStarted = false
    }

    private mutating func startField() {
        if rowStarted { bytes.append(0x09) }
        rowStarted = true
    }

    /// Appends `text` when it holds no byte to escape; returns whether it did.
    private static func appendUnescaped(_ text: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) -> Bool {
        guard !text.contains(where: needsEscape) else { return false }
        bytes.append(contentsOf: text)
        return true
    }

    /// Backslash, tab, line feed, carriage return.
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == 0x5C || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        rows = 0
        rowStarted = false
    }
}
