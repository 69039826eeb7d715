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

    /// Appends a field holding `number` in decimal, with no string made for it.
    mutating func appendField(_ number: Int64) {
        startField()
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// Appends a field holding the UUID whose sixteen bytes are `uuid`'s two words, in its text form
    /// (8-4-4-4-12 lower-case hex digits).
    mutating func appendField(uuid: (high: UInt64, low: UInt64)) {
        startField()
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            var at = 0
            for digit in 0..<32 {
                if digit == 8 || digit == 12 || digit == 16 || digit == 20 {
                    text[at] = UInt8(ascii: "-")
                    at += 1
                }
                let nibble = Int(truncatingIfNeeded: (digit < 16 ? uuid.high : uuid.low) >> UInt64(60 - 4 * (digit & 15))) & 0xF
                text[at] = Self.hexDigits[nibble]
                at += 1
            }
            bytes.append(contentsOf: text)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

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

    /// Appends the rows of `other`.
    mutating func append(_ other: CopyTextWriter) {
        bytes.append(contentsOf: other.bytes)
        rows += other.rows
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        rows = 0
        rowStarted = false
    }
}
